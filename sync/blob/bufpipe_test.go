package blob

import (
	"io"
	"sync"
)

// bufPipe returns the two ends of an in-memory stream that, like a
// libp2p stream with a large flow-control window, takes a writer's bytes
// at once up to limit unread bytes a direction. Closing an end makes its
// own reads and writes fail and the other end's writes too; the other
// end still reads what was written before, then io.EOF.
func bufPipe(limit int) (io.ReadWriteCloser, io.ReadWriteCloser) {
	var mu sync.Mutex
	ab := &halfPipe{cond: sync.NewCond(&mu), limit: limit}
	ba := &halfPipe{cond: ab.cond, limit: limit}
	return &pipeEnd{in: ba, out: ab}, &pipeEnd{in: ab, out: ba}
}

// halfPipe is one direction of a bufPipe.
type halfPipe struct {
	cond   *sync.Cond
	limit  int
	buf    []byte // guarded by cond.L
	closed bool   // either end closed; guarded by cond.L
}

type pipeEnd struct{ in, out *halfPipe }

func (e *pipeEnd) Read(p []byte) (int, error) {
	h := e.in
	h.cond.L.Lock()
	defer h.cond.L.Unlock()
	for len(h.buf) == 0 && !h.closed {
		h.cond.Wait()
	}
	if len(h.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, h.buf)
	h.buf = h.buf[n:]
	h.cond.Broadcast()
	return n, nil
}

func (e *pipeEnd) Write(p []byte) (int, error) {
	h := e.out
	h.cond.L.Lock()
	defer h.cond.L.Unlock()
	n := 0
	for len(p) > 0 {
		for len(h.buf) >= h.limit && !h.closed {
			h.cond.Wait()
		}
		if h.closed {
			return n, io.ErrClosedPipe
		}
		k := min(len(p), h.limit-len(h.buf))
		h.buf = append(h.buf, p[:k]...)
		p, n = p[k:], n+k
		h.cond.Broadcast()
	}
	return n, nil
}

func (e *pipeEnd) Close() error {
	e.in.cond.L.Lock()
	defer e.in.cond.L.Unlock()
	e.in.closed, e.out.closed = true, true
	e.in.buf = nil // unread: gone, as a reset stream's
	e.in.cond.Broadcast()
	return nil
}
