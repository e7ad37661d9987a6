package blob

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"testing"

	"github.com/umbrella-p2p/umbrella/internal/wiretest"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// TestLargestFramesRoundTrip: the largest frame of each kind, for the
// largest file, passes its check, fits its bound and decodes back
// unchanged.
func TestLargestFramesRoundTrip(t *testing.T) {
	root := bytes.Repeat([]byte{0xff}, 32)
	indexes := make([]uint32, MaxWindow)
	for i := range indexes {
		indexes[i] = MaxChunks - 1 - uint32(i)
	}
	req := &Request{Kind: KindChunks, Root: root, Indexes: indexes}
	if err := req.check(); err != nil {
		t.Fatal(err)
	}
	have := &Response{Chunks: MaxChunks, Have: make([]byte, (MaxChunks+7)/8)}
	if err := have.checkHave(MaxChunks); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		v, back any
		max     int
	}{
		"request": {req, &Request{}, MaxRequest},
		"have":    {have, &Response{}, MaxHaveFrame},
		"tree":    {&Response{Tree: bytes.Repeat([]byte{0xff}, MaxTree)}, &Response{}, MaxTreeFrame},
		"chunk":   {&Chunk{Index: MaxChunks - 1, Slice: bytes.Repeat([]byte{0xff}, MaxSlice)}, &Chunk{}, MaxChunkFrame},
		"refusal": {&Chunk{Index: MaxChunks - 1, Error: errNotHeld}, &Chunk{}, MaxChunkFrame},
	} {
		wiretest.RoundTrip(t, name, c.v, c.back, c.max)
	}
}

// TestServeReadsAtMostMaxRequest: a peer who announces a request over
// MaxRequest is refused from its length, before its bytes are read and
// before anyone is asked whether it may have the file.
func TestServeReadsAtMostMaxRequest(t *testing.T) {
	st, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, s := net.Pipe()
	defer c.Close()
	go c.Write(binary.AppendUvarint(nil, MaxRequest+1))
	asked := false
	if err := Serve(s, st, func(Root) error { asked = true; return nil }, nil); !errors.Is(err, wire.ErrFrameTooLarge) || asked {
		t.Fatalf("got %v (asked: %v), want ErrFrameTooLarge before asking", err, asked)
	}
}
