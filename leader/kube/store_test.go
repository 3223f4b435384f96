package kubeleader_test

import (
	"errors"
	"strconv"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

var leasesResource = schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}

// leaseStore is the API server's storage of one Lease, shared by the fake
// clientsets of all candidates. Its reactors enforce the resourceVersion
// as a compare-and-swap, as the API server does (the fake clientset's own
// tracker does not: without it, "one leader" would prove nothing), and add
// latency, injected conflicts and partitions.
type leaseStore struct {
	mu            sync.Mutex
	lease         *coordinationv1.Lease // guarded by mu; nil until created
	rv            int                   // guarded by mu: the last resourceVersion given
	updates       int                   // guarded by mu
	conflictEvery int                   // guarded by mu: every n-th update fails with a conflict; 0: none
	latency       time.Duration         // guarded by mu: each request's time in flight
	updateLatency time.Duration         // guarded by mu: an update's time in flight, added to latency
	cut           map[string]bool       // guarded by mu: candidates whose requests fail
	noCAS         bool                  // guarded by mu: updates ignore the resourceVersion
}

func newLeaseStore() *leaseStore { return &leaseStore{cut: map[string]bool{}} }

// seed stores a Lease held by holder, renewed now (a holder that then goes
// silent: the candidates take it over once they have seen it unchanged for
// its duration).
func (s *leaseStore) seed(holder string, d time.Duration) {
	secs, tr := int32(d/time.Second), int32(0)
	now := metav1.NewMicroTime(time.Now())
	s.mu.Lock()
	defer s.mu.Unlock()
	s.storeLocked(&coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "sched"},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &secs,
			AcquireTime: &now, RenewTime: &now, LeaseTransitions: &tr},
	})
}

func (s *leaseStore) setCut(who string, cut bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cut[who] = cut
}

// holder returns the Lease's holder and transitions.
func (s *leaseStore) holder() (string, int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lease == nil || s.lease.Spec.HolderIdentity == nil {
		return "", 0
	}
	var tr int32
	if s.lease.Spec.LeaseTransitions != nil {
		tr = *s.lease.Spec.LeaseTransitions
	}
	return *s.lease.Spec.HolderIdentity, tr
}

var errUnreachable = errors.New("dial tcp: connect: connection refused")

// clientset returns a fake clientset for candidate who, whose Lease
// requests go to s.
func (s *leaseStore) clientset(who string) *fake.Clientset {
	cs := fake.NewClientset()
	cs.PrependReactor("*", "leases", func(a k8stesting.Action) (bool, runtime.Object, error) {
		s.mu.Lock()
		latency := s.latency
		if a.GetVerb() == "update" {
			latency += s.updateLatency
		}
		s.mu.Unlock()
		if latency > 0 {
			time.Sleep(latency) // the request in flight (in the synctest bubble's time)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.cut[who] {
			return true, nil, errUnreachable
		}
		switch a.GetVerb() {
		case "get":
			if s.lease == nil {
				return true, nil, apierrors.NewNotFound(leasesResource, a.(k8stesting.GetAction).GetName())
			}
			return true, s.lease.DeepCopy(), nil
		case "create":
			l := a.(k8stesting.CreateAction).GetObject().(*coordinationv1.Lease)
			if s.lease != nil {
				return true, nil, apierrors.NewAlreadyExists(leasesResource, l.Name)
			}
			return true, s.storeLocked(l), nil
		case "update":
			l := a.(k8stesting.UpdateAction).GetObject().(*coordinationv1.Lease)
			if s.lease == nil {
				return true, nil, apierrors.NewNotFound(leasesResource, l.Name)
			}
			s.updates++
			if s.conflictEvery > 0 && s.updates%s.conflictEvery == 0 {
				return true, nil, apierrors.NewConflict(leasesResource, l.Name, errors.New("injected conflict"))
			}
			if !s.noCAS && l.ResourceVersion != s.lease.ResourceVersion {
				return true, nil, apierrors.NewConflict(leasesResource, l.Name,
					errors.New("the object has been modified; resourceVersion "+l.ResourceVersion+" is not "+s.lease.ResourceVersion))
			}
			return true, s.storeLocked(l), nil
		}
		return false, nil, nil
	})
	return cs
}

// storeLocked stores a copy of l under a new resourceVersion. Called with
// s.mu held.
func (s *leaseStore) storeLocked(l *coordinationv1.Lease) *coordinationv1.Lease {
	s.rv++
	c := l.DeepCopy()
	c.ResourceVersion = strconv.Itoa(s.rv)
	s.lease = c
	return c.DeepCopy()
}
