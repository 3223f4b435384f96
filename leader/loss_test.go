package leader_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/arbor-go/arbor/leader"
)

func TestLossKeepsTheFirstCauseOnly(t *testing.T) {
	var l leader.Loss
	if err := l.Err(); err != nil {
		t.Fatalf("Err before Lose = %v, want nil", err)
	}
	select {
	case <-l.Lost():
		t.Fatal("Lost is closed before Lose")
	default:
	}
	first, second := errors.New("first"), errors.New("second")
	l.Lose(first)
	l.Lose(second)
	<-l.Lost()
	if err := l.Err(); err != first {
		t.Fatalf("Err = %v, want %v", err, first)
	}
}

func TestLossLostBeforeAndAfterLoseIsTheSameChannel(t *testing.T) {
	var l leader.Loss
	before := l.Lost()
	l.Lose(errors.New("gone"))
	if before != l.Lost() {
		t.Fatal("Lost returned a different channel after Lose")
	}
	<-before
}

func TestLossConcurrentLosesCloseOnce(t *testing.T) {
	var l leader.Loss
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range errs {
		errs[i] = fmt.Errorf("cause %d", i)
		wg.Add(2)
		go func() { defer wg.Done(); l.Lose(errs[i]) }()
		go func() { defer wg.Done(); <-l.Lost(); _ = l.Err() }()
	}
	wg.Wait()
	got := l.Err()
	for _, err := range errs {
		if got == err {
			return
		}
	}
	t.Fatalf("Err = %v, want one of the causes given to Lose", got)
}

// A backend's term embeds a Loss and calls Lose where it learns that the
// term is over.
func ExampleLoss() {
	type term struct {
		leader.Loss
		token leader.Token
	}
	t := &term{token: 7}
	go t.Lose(errors.New("lease expired"))
	<-t.Lost()
	fmt.Println(t.Err())
	// Output: lease expired
}
