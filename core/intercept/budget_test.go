package intercept

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBudget(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T)
	}{
		{"Err reads the clock without Done", func(t *testing.T) {
			b := newBudget(context.Background(), 5*time.Millisecond)
			if b.Err() != nil {
				t.Fatal("expired at once")
			}
			time.Sleep(10 * time.Millisecond)
			if !errors.Is(b.Err(), context.DeadlineExceeded) {
				t.Fatalf("Err after the deadline: %v", b.Err())
			}
		}},
		{"Done closes at the deadline", func(t *testing.T) {
			b := newBudget(context.Background(), 5*time.Millisecond)
			select {
			case <-b.Done():
			case <-time.After(time.Second):
				t.Fatal("Done not closed a second after a 5ms deadline")
			}
		}},
		{"the parent's cancellation reaches Err and Done", func(t *testing.T) {
			parent, cancel := context.WithCancel(context.Background())
			b := newBudget(parent, time.Hour)
			cancel()
			<-b.Done()
			if !errors.Is(b.Err(), context.Canceled) {
				t.Fatalf("Err: %v", b.Err())
			}
		}},
		{"an earlier parent deadline wins", func(t *testing.T) {
			parent, cancel := context.WithTimeout(context.Background(), time.Millisecond)
			defer cancel()
			pd, _ := parent.Deadline()
			if d, ok := newBudget(parent, time.Hour).Deadline(); !ok || !d.Equal(pd) {
				t.Fatalf("deadline %v, want the parent's %v", d, pd)
			}
		}},
		{"after release the call is over", func(t *testing.T) {
			b := newBudget(context.Background(), time.Hour)
			b.release()
			<-b.Done()
			if !errors.Is(b.Err(), context.Canceled) {
				t.Fatalf("Err after release: %v", b.Err())
			}
			w := newBudget(context.Background(), time.Hour)
			done := w.Done()
			w.release()
			<-done
		}},
	} {
		t.Run(tc.name, tc.run)
	}
}
