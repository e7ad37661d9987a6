// Package proctest helps tests that run real processes (umbrellad, the
// app): collecting their output while reading it, and waiting for them.
package proctest

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// Buffer collects a child's output while the test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Eventually polls cond every 100 ms until it holds, failing t if it does
// not within the given time. Real processes have no virtual clock to wait
// on, so a bounded poll is the honest way to wait for them.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		<-tick.C
	}
}
