package kubeleader_test

import (
	"context"
	"testing"
	"testing/synctest"

	kubeleader "github.com/arbor-go/arbor/leader/kube"
)

// A candidate whose identity still holds the Lease from a term it no
// longer has (its process restarted under the same name, as a
// StatefulSet's pod does, or its resignation failed) wins a new term with a
// new fencing token: client-go would take the Lease over as a renewal,
// keeping the old transition count, and a store fenced by the token would
// accept the old term's late writes as the new term's.
func TestStaleLeaseOfTheSameIdentityIsWonWithANewToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newLeaseStore()
		store.seed("a", leaseDuration) // the last term of a's previous process: token 0
		el, err := kubeleader.New(kubeleader.Config{Client: store.clientset("a").CoordinationV1(), Namespace: "default",
			Name: "sched", Identity: "a", LeaseDuration: leaseDuration, RenewDeadline: renewDeadline, RetryPeriod: retryPeriod})
		if err != nil {
			t.Fatal(err)
		}
		term, err := el.Campaign(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer term.Resign(context.Background())
		if holder, tr := store.holder(); holder != "a" || term.Token() != 1 || tr != 1 {
			t.Errorf("token %d, Lease held by %q with %d transitions; want token 1, held by a with 1", term.Token(), holder, tr)
		}
	})
}
