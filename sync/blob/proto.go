package blob

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// Protocol is the file transfer protocol's stream id.
//
// # Transfer protocol (/umbrella/file/1)
//
// The requester opens a stream and sends Request frames; the responder
// answers each, in order, before it reads the next, and closes the stream
// when the requester is idle for Idle. A requester may send a request
// before the answer to the last has arrived (a downloader keeps Pipeline
// Chunks requests out, so the responder never waits for it). Kinds:
//
//	Have (1):   Root → Response{Chunks, Have}: how many chunks the file
//	            has and the have-bitmap of those the responder can serve
//	            (bit i%8 of byte i/8 is chunk i; a holder that lacks the
//	            tree can serve none). The requester asks again to learn
//	            what a partial holder has got since.
//	Tree (2):   Root → Response{Tree}: the outboard bao tree.
//	Chunks (3): Root, Indexes (≤ MaxWindow) → one Chunk frame an index,
//	            in the order asked: the bao slice of that chunk, which the
//	            requester verifies against the root, or Error "not held".
//
// A request the responder refuses gets a Response with Error, and the
// stream ends. Serving is gated by an authorisation function of the
// consumer, asked for every request's root: a member's node serves only
// peers who may read a group in which a message carries the file (so a
// removed member cannot fetch files posted after its removal); a relay
// serves anyone who names the root, since it holds only ciphertext that
// it cannot read either and a root is learned only from a sealed message
// body.
const Protocol = "/umbrella/file/1"

// Request kinds.
const (
	KindHave   = 1
	KindTree   = 2
	KindChunks = 3
)

// Request is one request of the transfer protocol.
type Request struct {
	Kind    int      `cbor:"1,keyasint"`
	Root    []byte   `cbor:"2,keyasint"`
	Indexes []uint32 `cbor:"3,keyasint,omitempty"`
}

// Response answers a Have or Tree request, or refuses any request.
type Response struct {
	Error  string `cbor:"1,keyasint,omitempty"`
	Chunks int    `cbor:"2,keyasint,omitempty"`
	Have   []byte `cbor:"3,keyasint,omitempty"`
	Tree   []byte `cbor:"4,keyasint,omitempty"`
}

// Chunk carries one chunk answering a Chunks request.
type Chunk struct {
	Index uint32 `cbor:"1,keyasint"`
	Slice []byte `cbor:"2,keyasint,omitempty"`
	Error string `cbor:"3,keyasint,omitempty"`
}

// errNotHeld is a Chunk's Error when the responder cannot serve it.
const errNotHeld = "not held"

// ErrRefused is a request the responder refused.
var ErrRefused = errors.New("refused")

// check validates a decoded request's own limits.
func (r *Request) check() error {
	if len(r.Root) != 32 {
		return fmt.Errorf("root of %d bytes", len(r.Root))
	}
	switch r.Kind {
	case KindHave, KindTree:
		if len(r.Indexes) != 0 {
			return fmt.Errorf("kind %d names chunks", r.Kind)
		}
	case KindChunks:
		if len(r.Indexes) == 0 || len(r.Indexes) > MaxWindow {
			return fmt.Errorf("%d chunks asked, 1 to %d", len(r.Indexes), MaxWindow)
		}
		for _, i := range r.Indexes {
			if i >= MaxChunks {
				return fmt.Errorf("chunk %d beyond the largest file", i)
			}
		}
	default:
		return fmt.Errorf("unknown request kind %d", r.Kind)
	}
	return nil
}

// checkHave validates a Have response for a file of n chunks.
func (r *Response) checkHave(n int) error {
	if r.Error != "" {
		return fmt.Errorf("%w: %s", ErrRefused, r.Error)
	}
	if r.Chunks != n || len(r.Have) != (n+7)/8 {
		return fmt.Errorf("have-bitmap of %d chunks in %d bytes, want %d", r.Chunks, len(r.Have), n)
	}
	if n%8 != 0 && r.Have[len(r.Have)-1]>>(n%8) != 0 {
		return fmt.Errorf("have-bitmap names chunks beyond %d", n)
	}
	return nil
}

// Serve answers the requests of one stream from store until the
// requester closes it or is idle for Idle, then closes rw. allow is asked
// for every request's root: an error refuses the request and ends the
// stream. lim, shared by all of a node's streams, bounds the rate at
// which chunks go out (nil: no bound).
func Serve(rw io.ReadWriteCloser, store *Store, allow func(Root) error, lim *Limiter) error {
	defer rw.Close()
	idle := time.AfterFunc(Idle, func() { rw.Close() })
	defer idle.Stop()
	rd := wire.NewReader(rw)
	var (
		f    *File
		root Root
	)
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	for {
		var req Request
		if err := rd.Read(&req, MaxRequest); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) {
				return nil
			}
			return fmt.Errorf("file request: %w", err)
		}
		idle.Stop()
		if err := req.check(); err != nil {
			wire.Write(rw, &Response{Error: "malformed request"})
			return fmt.Errorf("file request: %w", err)
		}
		if f == nil || Root(req.Root) != root {
			if err := allow(Root(req.Root)); err != nil {
				wire.Write(rw, &Response{Error: "not allowed"})
				return fmt.Errorf("file request for %x: %w", req.Root[:6], err)
			}
			if f != nil {
				f.Close()
				f = nil
			}
			var err error
			if f, err = store.Lookup(Root(req.Root)); err != nil {
				wire.Write(rw, &Response{Error: errNotHeld})
				return fmt.Errorf("file request for %x: %w", req.Root[:6], err)
			}
			root = Root(req.Root)
		}
		if err := answer(rw, f, &req, lim); err != nil {
			return err
		}
		idle.Reset(Idle)
	}
}

func answer(w io.Writer, f *File, req *Request, lim *Limiter) error {
	switch req.Kind {
	case KindHave:
		resp := Response{Chunks: f.Chunks(), Have: make([]byte, (f.Chunks()+7)/8)}
		if f.Tree() != nil {
			resp.Have = f.Have()
		}
		return wire.Write(w, &resp)
	case KindTree:
		t := f.Tree()
		if t == nil {
			return wire.Write(w, &Response{Error: errNotHeld})
		}
		return wire.Write(w, &Response{Tree: t})
	default:
		for _, i := range req.Indexes {
			c := Chunk{Index: i}
			s, err := f.SliceOf(int(i))
			if err != nil {
				c.Error = errNotHeld
			} else {
				c.Slice = s
				lim.wait(len(s))
			}
			if err := wire.Write(w, &c); err != nil {
				return err
			}
		}
		return nil
	}
}

// Lookup opens the stored file at root, whole or in part, failing with
// ErrNotHeld when none is stored; the caller closes it.
func (s *Store) Lookup(root Root) (*File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.open[root]; ok {
		f.refs++
		return f, nil
	}
	size, err := readSize(s.path(root, "size"))
	if err != nil {
		return nil, fmt.Errorf("file %s: %w", root.String()[:12], ErrNotHeld)
	}
	return s.openLocked(root, size)
}
