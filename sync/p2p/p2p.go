// Package p2p carries Umbrella's stream protocols (package sync/wire
// documents their messages): for each protocol a handler and a requester
// written over io.ReadWriteCloser, and the glue that registers the
// handlers on a libp2p host and opens streams to peers (Service).
//
// It is the "protocol" half of Syncthing's protocol/model split: it reads
// and writes frames, keeps deadlines, session slots and resource-manager
// reservations, and knows nothing of communities, membership or storage.
// What a handler answers comes from a responder interface declared here
// (SyncResponder, ReconcileResponder, JoinResponder), which package
// sync/exchange implements. It must never decide who may read what, nor
// touch the replica.
//
// A handler's rw may also have a SetDeadline(time.Time) error method (a
// libp2p stream, one end of net.Pipe); when it has, the handler bounds
// each frame it waits for by Idle and the whole exchange by StreamTimeout.
// A handler never closes rw: a non-nil error means the stream should be
// reset rather than closed.
package p2p

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// ErrBadPeer: the remote sent a frame no honest peer sends (a
// reconciliation message that does not decode). The caller should
// penalise it and drop the connection.
var ErrBadPeer = errors.New("peer sent a malformed message")

// deadliner is a stream with deadlines.
type deadliner interface {
	SetDeadline(time.Time) error
}

// setDeadline sets rw's deadline if it has one.
func setDeadline(rw io.ReadWriteCloser, t time.Time) {
	if d, ok := rw.(deadliner); ok {
		d.SetDeadline(t)
	}
}

// reserver is a stream that accounts the memory its reader holds (the
// libp2p glue's stream with its resource scope).
type reserver interface {
	reserve(n int) error
	release(n int)
}

// reserveStep is how much memory a frame read reserves at a time.
const reserveStep = 64 << 10

// reserving reads from a reserver, reserving memory in its scope ahead of
// the bytes it reads, so what a frame holds is accounted as it arrives,
// not as its announced length says.
type reserving struct {
	r    io.Reader
	res  reserver
	held int // reserved
	read int // read so far; never more than held
}

func (rr *reserving) Read(p []byte) (int, error) {
	if rr.read == rr.held {
		if err := rr.res.reserve(reserveStep); err != nil {
			return 0, fmt.Errorf("reserve memory for a frame: %w", err)
		}
		rr.held += reserveStep
	}
	if room := rr.held - rr.read; len(p) > room {
		p = p[:room]
	}
	n, err := rr.r.Read(p)
	rr.read += n
	return n, err
}

// readFrame reads one frame of at most max bytes (0: wire.MaxFrame) into
// v. On a stream with a resource scope, the bytes it reads are reserved
// there while it reads.
func readFrame(rw io.Reader, v any, max int) error {
	if res, ok := rw.(reserver); ok {
		rr := &reserving{r: rw, res: res}
		defer func() { res.release(rr.held) }()
		rw = rr
	}
	return wire.Read(rw, v, max)
}

// closeWriter is a stream that can close its writing half.
type closeWriter interface {
	CloseWrite() error
}

// Call writes req as one frame on rw, closes rw's writing half if it can,
// and reads one response frame into resp: the requester of the
// one-request, one-response protocols (sync and join).
func Call(rw io.ReadWriteCloser, req, resp any) error {
	if err := wire.Write(rw, req); err != nil {
		return err
	}
	// The half-close only tells the responder nothing more comes; it
	// reads one frame and needs no end of stream. It may have answered
	// and closed its side before this goes out (QUIC then refuses the
	// half-close of a stream the remote stopped reading), so a failed
	// half-close does not lose the answer: it is read all the same.
	var closeErr error
	if cw, ok := rw.(closeWriter); ok {
		closeErr = cw.CloseWrite()
	}
	if err := readFrame(rw, resp, 0); err != nil {
		if closeErr != nil {
			return fmt.Errorf("close write: %w (read response: %w)", closeErr, err)
		}
		return fmt.Errorf("read response: %w", err)
	}
	return nil
}
