package call

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/internal/wiretest"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// TestLargestMessagesRoundTrip: the largest message of each type and the
// largest reply pass Check, fit MaxFrame and decode back unchanged.
func TestLargestMessagesRoundTrip(t *testing.T) {
	key := func(i int) []byte { return bytes.Repeat([]byte{byte(i + 1)}, 32) }
	roster := make([][]byte, MaxParticipants)
	for i := range roster {
		roster[i] = key(i)
	}
	id := key(200)
	msgs := map[string]*Message{
		"ring":   {Type: TypeRing, Community: id, Call: id, Group: id, Caller: id, Video: true, Started: math.MaxInt64, Roster: roster},
		"join":   {Type: TypeJoin, Community: id, Call: id, Group: id, Caller: id, Video: true, Started: math.MaxInt64, Reach: ReachDirect},
		"remove": {Type: TypeRemove, Community: id, Call: id, Peer: id},
		"media":  {Type: TypeMedia, Community: id, Call: id, Blob: bytes.Repeat([]byte{0xff}, MaxBlob)},
		"key":    {Type: TypeKey, Community: id, Call: id, KID: math.MaxUint64, Key: key(201)},
	}
	for _, typ := range []uint8{TypeLeave, TypeEnd, TypeRoster} {
		msgs[fmt.Sprintf("type %d", typ)] = &Message{Type: typ, Community: id, Call: id}
	}
	for name, m := range msgs {
		if err := m.Check(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		wiretest.RoundTrip(t, name, m, &Message{}, MaxFrame)
	}
	r := &Reply{Error: strings.Repeat("é", MaxErrorLen/2), Roster: roster, Group: id, Caller: id, Video: true,
		Started: math.MaxInt64, Absent: true, Reach: ReachDirect, Host: id, Blob: bytes.Repeat([]byte{0xff}, MaxBlob)}
	if err := r.Check(); err != nil {
		t.Fatal(err)
	}
	wiretest.RoundTrip(t, "reply", r, &Reply{}, MaxFrame)
}

type askedResponder struct{ asked bool }

func (a *askedResponder) Answer(context.Context, crdt.PublicKey, *Message) *Reply {
	a.asked = true
	return &Reply{}
}

// TestHandleReadsAtMostMaxFrame: a stranger who announces a frame over
// MaxFrame is refused from its length, before its bytes are read and
// before the responder is asked anything.
func TestHandleReadsAtMostMaxFrame(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go a.Write(binary.AppendUvarint(nil, MaxFrame+1))
	r := &askedResponder{}
	if err := Handle(context.Background(), r, b, crdt.PublicKey{3}); !errors.Is(err, wire.ErrFrameTooLarge) || r.asked {
		t.Fatalf("got %v (responder asked: %v), want ErrFrameTooLarge before asking", err, r.asked)
	}
}

type refuser string

func (r refuser) Answer(context.Context, crdt.PublicKey, *Message) *Reply {
	return &Reply{Error: string(r)}
}

// TestLongRefusalIsCutToWholeCharacters: a refusal over MaxErrorLen is cut
// to at most MaxErrorLen bytes of whole characters, so that the requester
// reads the reason (a text string cut inside a character does not
// decode).
func TestLongRefusalIsCutToWholeCharacters(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	done := make(chan error, 1)
	go func() {
		done <- Handle(context.Background(), refuser("x"+strings.Repeat("é", MaxErrorLen)), b, crdt.PublicKey{3})
		b.Close()
	}()
	id := bytes.Repeat([]byte{7}, 32)
	reply, err := Exchange(a, &Message{Type: TypeLeave, Community: id, Call: id})
	if herr := <-done; err != nil || herr != nil {
		t.Fatalf("requester: %v, handler: %v", err, herr)
	}
	if want := "x" + strings.Repeat("é", (MaxErrorLen-1)/2); reply.Error != want {
		t.Fatalf("refusal of %d bytes %q, want %d bytes", len(reply.Error), reply.Error, len(want))
	}
}
