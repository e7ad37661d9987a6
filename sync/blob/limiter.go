package blob

import (
	"sync"
	"time"
)

// Limiter bounds the bytes per second a node serves, over all its
// streams: each chunk waits for its turn at the configured rate. A nil
// Limiter does not limit.
type Limiter struct {
	rate int64 // bytes per second

	mu   sync.Mutex
	next time.Time // when the next byte may go
}

// NewLimiter returns a Limiter of bytesPerSecond, or nil (no limit) when
// bytesPerSecond is not positive.
func NewLimiter(bytesPerSecond int64) *Limiter {
	if bytesPerSecond <= 0 {
		return nil
	}
	return &Limiter{rate: bytesPerSecond}
}

// wait returns when n more bytes may be sent.
func (l *Limiter) wait(n int) {
	if l == nil {
		return
	}
	l.mu.Lock()
	now := time.Now()
	if l.next.Before(now) {
		l.next = now
	}
	at := l.next
	l.next = l.next.Add(time.Duration(int64(n) * int64(time.Second) / l.rate))
	l.mu.Unlock()
	if d := time.Until(at); d > 0 {
		time.Sleep(d)
	}
}
