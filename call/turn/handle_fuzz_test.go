package turn

import (
	"bytes"
	"io"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// stream is a request's bytes and the handler's answer, as one stream.
type stream struct {
	io.Reader
	io.Writer
}

func (stream) Close() error { return nil }

// FuzzHandle: whatever a peer sends as a credential request, the relay
// answers with a response that passes Check, or fails the stream; a
// credential goes only to an allowed member asking for this Version.
func FuzzHandle(f *testing.F) {
	for _, v := range []uint8{Version, Version + 1} {
		var b bytes.Buffer
		if err := wire.Write(&b, &Request{Version: v}); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes(), true)
		f.Add(b.Bytes(), false)
	}
	f.Add([]byte{0x02, 0xa0, 0x00}, true)
	f.Fuzz(func(t *testing.T, data []byte, allowed bool) {
		iss, err := NewIssuer(IssuerConfig{URLs: []string{"turn:10.0.0.1:3478"}, PeerID: peerID, Member: memberOf,
			Allowed: func(crdt.PublicKey) bool { return allowed }})
		if err != nil {
			t.Fatal(err)
		}
		out := &bytes.Buffer{}
		if err := Handle(stream{bytes.NewReader(data), out}, iss, crdt.PublicKey{3}); err != nil {
			return
		}
		var r Response
		if err := wire.Read(out, &r, MaxFrame); err != nil {
			t.Fatalf("the handler answered, and the answer does not read: %v", err)
		}
		if err := r.Check(); err != nil {
			t.Fatalf("the handler answered %+v: %v", r, err)
		}
		var req Request
		got := r.Error == ""
		if want := allowed && wire.Read(bytes.NewReader(data), &req, MaxFrame) == nil && req.Version == Version; got != want {
			t.Fatalf("a credential given: %v, want %v (allowed %v, request %x)", got, want, allowed, data)
		}
	})
}
