package health

import (
	"flag"
	"testing"

	"github.com/arbor-go/arbor/internal/testutil"
	"go.uber.org/goleak"
)

// TestMain sets patience from the test binary's -timeout and checks that
// no test of the package (internal or external) leaks a goroutine.
func TestMain(m *testing.M) {
	flag.Parse()
	patience = testutil.Patience()
	goleak.VerifyTestMain(m)
}
