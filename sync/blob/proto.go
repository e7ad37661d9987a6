package blob

import (
	"encoding/binary"
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
	return ServeWatched(rw, store, allow, lim, nil)
}

// ServeWatched is Serve, telling sent (when not nil) the index of each
// chunk written to rw, as it goes: how a member follows the push of a
// file to a relay, which pulls it over the stream.
func ServeWatched(rw io.ReadWriteCloser, store *Store, allow func(Root) error, lim *Limiter, sent func(chunk int)) error {
	defer rw.Close()
	idle := time.AfterFunc(Idle, func() { rw.Close() })
	defer idle.Stop()
	rd := wire.NewReader(rw)
	var (
		f    *File
		root Root
		buf  []byte // one chunk frame at a time
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
		if err := answer(rw, f, &req, lim, &buf, sent); err != nil {
			return err
		}
		idle.Reset(Idle)
	}
}

// answer answers one request; buf is the stream's buffer for chunk
// frames, reused from one to the next.
func answer(w io.Writer, f *File, req *Request, lim *Limiter, buf *[]byte, sent func(int)) error {
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
		lim.wait(len(t)) // trees count against the upload limit too
		return wire.Write(w, &Response{Tree: t})
	default:
		for _, i := range req.Indexes {
			frame, err := chunkFrame((*buf)[:0], f, int(i))
			if err != nil {
				if err := wire.Write(w, &Chunk{Index: i, Error: errNotHeld}); err != nil {
					return err
				}
				continue
			}
			*buf = frame[:0]
			lim.wait(len(frame))
			if _, err := w.Write(frame); err != nil {
				return fmt.Errorf("write frame: %w", err)
			}
			if sent != nil {
				sent(int(i))
			}
		}
		return nil
	}
}

// chunkFrame appends to buf the whole frame (length and body) of the
// Chunk that carries the slice of held chunk i of f, the chunk read from
// disk straight into it. The body is encoded here exactly as
// crdt.Marshal encodes Chunk{Index: i, Slice: slice} (canonical CBOR: a
// map of keys 1 and 2, an unsigned integer and a byte string), so that
// the slice is not copied again on its way out.
func chunkFrame(buf []byte, f *File, i int) ([]byte, error) {
	size := sliceSize(i, f.cipherSize)
	buf = appendFrameHead(buf, i, size)
	at := len(buf)
	buf, err := f.appendSlice(buf, i)
	if err != nil {
		return nil, err
	}
	if len(buf)-at != size {
		return nil, fmt.Errorf("slice of chunk %d: %d bytes, want %d", i, len(buf)-at, size)
	}
	return buf, nil
}

// appendFrameHead appends to buf what a Chunk frame carrying a slice of
// size bytes of chunk i has before the slice: the frame's length, the
// map's head, the index and the byte string's head.
func appendFrameHead(buf []byte, i, size int) []byte {
	var head [16]byte
	h := append(head[:0], 0xa2, 0x01)
	h = appendHead(h, 0, uint64(i))
	h = append(h, 0x02)
	h = appendHead(h, 2, uint64(size))
	buf = binary.AppendUvarint(buf, uint64(len(h)+size))
	return append(buf, h...)
}

// appendHead appends the canonical CBOR head of major type major with
// argument n.
func appendHead(b []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(b, m|byte(n))
	case n <= 0xff:
		return append(b, m|24, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, m|25), uint16(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, m|26), uint32(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, m|27), n)
	}
}

// readHead reads a canonical CBOR head of major type major that fits in
// 32 bits from the start of b, and returns its argument and the bytes
// after it; ok is false for anything else.
func readHead(b []byte, major byte) (n uint64, rest []byte, ok bool) {
	if len(b) == 0 || b[0]>>5 != major {
		return 0, nil, false
	}
	switch ai := b[0] & 31; {
	case ai < 24:
		return uint64(ai), b[1:], true
	case ai == 24 && len(b) >= 2 && b[1] >= 24:
		return uint64(b[1]), b[2:], true
	case ai == 25 && len(b) >= 3:
		n = uint64(binary.BigEndian.Uint16(b[1:]))
		return n, b[3:], n > 0xff
	case ai == 26 && len(b) >= 5:
		n = uint64(binary.BigEndian.Uint32(b[1:]))
		return n, b[5:], n > 0xffff
	}
	return 0, nil, false
}

// decodeChunk decodes the bytes of a Chunk frame into c. The form every
// sender writes for a chunk it holds (chunkFrame) is read in place, its
// Slice a part of data, not a copy; anything else goes to the strict
// decoder, so both accept and refuse the same frames.
func decodeChunk(data []byte, c *Chunk) error {
	if len(data) > 2 && data[0] == 0xa2 && data[1] == 0x01 {
		if i, rest, ok := readHead(data[2:], 0); ok && len(rest) > 0 && rest[0] == 0x02 {
			if n, rest, ok := readHead(rest[1:], 2); ok && n > 0 && n == uint64(len(rest)) {
				*c = Chunk{Index: uint32(i), Slice: rest}
				return nil
			}
		}
	}
	*c = Chunk{}
	return wire.Decode(data, c)
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
