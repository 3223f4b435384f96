package etcdleader_test

import (
	"testing"

	"go.uber.org/goleak"
)

// No goroutine of etcd or gRPC is ignored: each test closes its clients
// and its embedded server (t.Cleanup), and every goroutine of a term ends
// with its resignation or its failed campaign. goleak retries for a while
// before it reports, which covers gRPC's connections closing
// asynchronously.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
