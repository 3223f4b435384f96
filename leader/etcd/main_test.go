package etcdleader_test

import (
	"flag"
	"testing"

	"go.uber.org/goleak"

	"github.com/arbor-go/arbor/internal/testutil"
)

// No goroutine of etcd or gRPC is ignored: each test closes its clients
// and its embedded server (t.Cleanup), and every goroutine of a term ends
// with its resignation or its failed campaign. goleak retries for a while
// before it reports, which covers gRPC's connections closing
// asynchronously.
func TestMain(m *testing.M) {
	flag.Parse()
	patience = testutil.Patience()
	goleak.VerifyTestMain(m)
}
