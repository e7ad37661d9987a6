package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// fuzzDecode fuzzes the decoding of message type T: any frame body
// either fails to decode or decodes to a message whose encoding is exactly
// that body, and which frames and reads back equal.
func fuzzDecode[T any](f *testing.F, seeds ...T) {
	for _, s := range seeds {
		raw, err := crdt.Marshal(&s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte{0xa0})
	f.Add([]byte{0xa1, 0x01, 0x40})
	f.Fuzz(func(t *testing.T, body []byte) {
		frame := binary.AppendUvarint(nil, uint64(len(body)))
		frame = append(frame, body...)
		var v T
		if err := Read(bytes.NewReader(frame), &v, 0); err != nil {
			return
		}
		again, err := crdt.Marshal(&v)
		if err != nil || !bytes.Equal(again, body) {
			t.Fatalf("accepted %T does not encode back to its bytes: %v", v, err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, &v); err != nil {
			t.Fatal(err)
		}
		var w T
		if err := NewReader(onlyReader{&buf}).Read(&w, 0); err != nil || !reflect.DeepEqual(v, w) {
			t.Fatalf("%T changes in a round trip: %v", v, err)
		}
	})
}

func FuzzRequest(f *testing.F) {
	fuzzDecode(f,
		Request{Kind: KindFetch, Community: make([]byte, 32), IDs: ids(3)},
		Request{Kind: KindKeys, Community: make([]byte, 32), Suite: 0x20, Prekey: make([]byte, 32)},
		Request{Kind: KindNudge, Community: make([]byte, 32)},
		Request{Kind: KindPush, Community: make([]byte, 32), Ops: [][]byte{{1, 2}, {3}}})
}

func FuzzResponse(f *testing.F) {
	fuzzDecode(f,
		Response{Error: "not a member"},
		Response{Ops: [][]byte{{1, 2}, {3}}},
		Response{Secret: make([]byte, SecretSize)},
		Response{Peers: []PeerAddrs{{ID: []byte{1}, Addrs: [][]byte{{4, 127, 0, 0, 1}}}}},
		Response{Keys: []EpochKey{{Log: make([]byte, 32), Epoch: make([]byte, 16), Wrapped: []byte{9}}, {Epoch: make([]byte, 16), Wrapped: []byte{8}}}})
}

func FuzzReconcile(f *testing.F) {
	fuzzDecode(f,
		Reconcile{Community: make([]byte, 32), Msg: []byte{1, 0, 0, 0}},
		Reconcile{Msg: []byte{1, 2, 3}},
		Reconcile{Error: "busy"})
}

func FuzzJoinRequest(f *testing.F) {
	fuzzDecode(f, JoinRequest{Invite: []byte{1, 2}, Join: []byte{3}}, JoinRequest{Lookup: make([]byte, 32)})
}

func FuzzJoinResponse(f *testing.F) {
	fuzzDecode(f,
		JoinResponse{},
		JoinResponse{Pending: true},
		JoinResponse{Error: "the invite expired", Reason: JoinReasonExpired},
		JoinResponse{Invite: []byte{1, 2, 3}},
		JoinResponse{Error: UnknownInvite},
		JoinResponse{Relayed: true, Keys: [][]byte{{1, 2}, {3}}})
}

// FuzzReader reads a stream of frames with a Reader and, separately, with
// Read: neither panics, each frame is refused or decoded alike by both, a
// frame is never read past the limit, and a stream's frames come out in
// order until the first error.
func FuzzReader(f *testing.F) {
	var two bytes.Buffer
	Write(&two, &Reconcile{Community: make([]byte, 32), Msg: []byte{1, 0, 0, 0}})
	Write(&two, &Reconcile{Msg: []byte{1, 2}})
	f.Add(two.Bytes(), uint16(0))
	f.Add(two.Bytes(), uint16(8))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, uint16(0))
	f.Add([]byte{0x80}, uint16(0))
	f.Add([]byte("0"), uint16(67))     // a length, then nothing: truncated, not a clean end
	f.Add([]byte("\x000"), uint16(82)) // an empty frame: malformed, not a clean end
	f.Add(binary.AppendUvarint(nil, MaxFrame+1), uint16(0))
	f.Fuzz(func(t *testing.T, stream []byte, limit uint16) {
		max := int(limit)
		r := NewReader(onlyReader{bytes.NewReader(stream)})
		plain := onlyReader{bytes.NewReader(stream)}
		for i := 0; ; i++ {
			var a, b Reconcile
			errA, errB := r.Read(&a, max), Read(plain, &b, max)
			if (errA == nil) != (errB == nil) || !reflect.DeepEqual(a, b) {
				t.Fatalf("frame %d: Reader %v, Read %v disagree", i, errA, errB)
			}
			if errA != nil {
				if errors.Is(errA, io.EOF) && i == 0 && len(stream) != 0 {
					t.Fatalf("io.EOF on a stream of %d bytes", len(stream))
				}
				return
			}
			if raw, _ := crdt.Marshal(&a); max > 0 && len(raw) > max {
				t.Fatalf("frame %d of %d bytes read within %d", i, len(raw), max)
			}
		}
	})
}
