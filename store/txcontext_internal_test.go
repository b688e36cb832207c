package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestTxContextEndedDuringBegin: when the caller's context ends while BEGIN
// is still answering, the transaction context stays ended (Done closed, Err
// set) and refuses the transaction; a context derived from it does not
// panic. Before, BEGIN's late success reset Err to nil with Done closed, and
// context.WithCancel on it panicked with "missing cancel error".
func TestTxContextEndedDuringBegin(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	c := newTxContext(parent)
	cancel()
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("txContext did not follow its parent during BEGIN")
	}
	rolledBack := false
	if c.opened(func() { rolledBack = true }) {
		t.Fatal("opened accepted a transaction whose context had ended")
	}
	if rolledBack {
		t.Fatal("opened ran the rollback itself; Begin does")
	}
	if !errors.Is(c.Err(), context.Canceled) {
		t.Fatalf("Err = %v with Done closed, want context.Canceled", c.Err())
	}
	child, stop := context.WithCancel(c)
	defer stop()
	<-child.Done()
	if !errors.Is(child.Err(), context.Canceled) {
		t.Fatalf("derived context: Err = %v", child.Err())
	}
}
