// Package kubeleader is the Kubernetes backend of package leader: an
// Elector on k8s.io/client-go/tools/leaderelection with a Lease lock.
//
// Each campaign runs a leaderelection.LeaderElector for the candidate's
// identity. The term is won when it acquires the Lease, and lost when
// client-go's renewal fails: no successful renewal within RenewDeadline,
// tried every RetryPeriod after the last success, so the renew deadline the
// Singleton checks its stop bound against is RenewDeadline + RetryPeriod.
// Other candidates take over once they have seen the Lease unchanged for
// LeaseDuration, by their own clocks. The fencing token is the Lease's
// spec.leaseTransitions at the acquisition, which grows with every change
// of holder. A Lease that still names the candidate when it campaigns (its
// process restarted under the same identity, or a resignation failed) is
// released first: client-go would take it over as a renewal, and the new
// term would carry the old term's token. Identities must be unique among
// the live candidates.
//
// client-go's ReleaseOnCancel would release the Lease as soon as the
// renewal fails, while the actor may still run: this package never sets
// it. Resign releases the Lease itself, as client-go would (holder cleared,
// compare-and-swap on the resourceVersion), and only once the Singleton's
// actor returned.
//
// This is a module of its own, so that the library module does not depend
// on client-go; like client-go v0.37, it needs Go 1.26.
package kubeleader
