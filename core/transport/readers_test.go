package transport

import (
	"sync"
	"testing"
	"time"
)

// waitSpares polls until the pool has want spare readers waiting.
func waitSpares(t *testing.T, p *readerPool, want int32) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for p.spares.Load() != want {
		if time.Now().After(deadline) {
			t.Fatalf("spare readers: %d, want %d", p.spares.Load(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestReaderPoolKeepsFinishedReaders(t *testing.T) {
	tests := []struct {
		name     string
		most     int32
		readers  int   // run at once, then all released
		spares   int32 // waiting afterwards
		nextRuns int   // run one after another afterwards
	}{
		{"none kept", 0, 3, 0, 2},
		{"one kept", 1, 1, 1, 3},
		{"fewer than the bound", 4, 3, 3, 5},
		{"bounded", 4, 10, 4, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newReaderPool(tt.most)
			release := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(tt.readers)
			for range tt.readers {
				p.run(func() { <-release; wg.Done() })
			}
			close(release)
			wg.Wait()
			waitSpares(t, p, tt.spares)
			// Each run takes a spare while one waits, and the spare
			// comes back when the work is done.
			for range tt.nextRuns {
				done := make(chan struct{})
				p.run(func() { close(done) })
				<-done
				waitSpares(t, p, tt.spares)
			}
			// Spares exit only with the process; this pool's are left
			// waiting on a channel nothing sends to.
		})
	}
}
