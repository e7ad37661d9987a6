package call

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// FuzzMessage: any frame either fails to decode or check, or holds a
// message that encodes back to its bytes and survives a round trip; a
// reply likewise.
func FuzzMessage(f *testing.F) {
	id := bytes.Repeat([]byte{1}, 32)
	for _, m := range []Message{
		{Type: TypeRing, Community: id, Call: id, Group: id, Caller: id, Video: true, Started: 5, Roster: [][]byte{id}},
		{Type: TypeKey, Community: id, Call: id, KID: 3, Key: id},
		{Type: TypeMedia, Community: id, Call: id, Blob: []byte("v=0")},
		{Type: TypeLayers, Community: id, Call: id, Blob: []byte{1, 0}},
		{Type: TypeRemove, Community: id, Call: id, Peer: id},
		{Type: TypeKeyAsk, Community: id, Call: id},
		{Type: TypeState, Community: id, Call: id, Muted: true},
	} {
		raw, err := crdt.Marshal(&m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte{0xa0})
	f.Fuzz(func(t *testing.T, body []byte) {
		frame := binary.AppendUvarint(nil, uint64(len(body)))
		frame = append(frame, body...)
		var m Message
		if err := wire.Read(bytes.NewReader(frame), &m, MaxFrame); err == nil && m.Check() == nil {
			again, err := crdt.Marshal(&m)
			if err != nil || !bytes.Equal(again, body) {
				t.Fatalf("accepted message does not encode back to its bytes: %v", err)
			}
			var buf bytes.Buffer
			if err := wire.Write(&buf, &m); err != nil {
				t.Fatal(err)
			}
			var back Message
			if err := wire.Read(&buf, &back, MaxFrame); err != nil || !reflect.DeepEqual(m, back) {
				t.Fatalf("message changes in a round trip: %v", err)
			}
		}
		var r Reply
		if err := wire.Read(bytes.NewReader(frame), &r, MaxFrame); err == nil && r.Check() == nil {
			if again, err := crdt.Marshal(&r); err != nil || !bytes.Equal(again, body) {
				t.Fatalf("accepted reply does not encode back to its bytes: %v", err)
			}
		}
	})
}

// TestMessageCheck: each type carries its own fields and no others.
func TestMessageCheck(t *testing.T) {
	id := bytes.Repeat([]byte{1}, 32)
	other := bytes.Repeat([]byte{2}, 32)
	ok := map[string]Message{
		"ring":   {Type: TypeRing, Community: id, Call: id, Group: id, Caller: id, Roster: [][]byte{id}},
		"join":   {Type: TypeJoin, Community: id, Call: id, Group: id, Caller: id, Video: true},
		"leave":  {Type: TypeLeave, Community: id, Call: id},
		"key":    {Type: TypeKey, Community: id, Call: id, KID: 1, Key: id},
		"remove": {Type: TypeRemove, Community: id, Call: id, Peer: other},
		"layers": {Type: TypeLayers, Community: id, Call: id, Blob: []byte{1, 0}},
		"keyask": {Type: TypeKeyAsk, Community: id, Call: id},
		"state":  {Type: TypeState, Community: id, Call: id, Muted: true, Video: true},
	}
	for name, m := range ok {
		if err := m.Check(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, m := range map[string]Message{
		"no call":          {Type: TypeLeave, Community: id},
		"unknown type":     {Type: TypeState + 1, Community: id, Call: id},
		"key in an ask":    {Type: TypeKeyAsk, Community: id, Call: id, KID: 1, Key: id},
		"muted in a leave": {Type: TypeLeave, Community: id, Call: id, Muted: true},
		"empty layers":     {Type: TypeLayers, Community: id, Call: id},
		"big layers":       {Type: TypeLayers, Community: id, Call: id, Blob: make([]byte, MaxLayersBlob+1)},
		"key id 0":         {Type: TypeKey, Community: id, Call: id, Key: id},
		"short key":        {Type: TypeKey, Community: id, Call: id, KID: 1, Key: id[:16]},
		"key on a leave":   {Type: TypeLeave, Community: id, Call: id, KID: 1, Key: id},
		"empty media":      {Type: TypeMedia, Community: id, Call: id},
		"big media":        {Type: TypeMedia, Community: id, Call: id, Blob: make([]byte, MaxBlob+1)},
		"roster on join":   {Type: TypeJoin, Community: id, Call: id, Group: id, Caller: id, Roster: [][]byte{id}},
		"remove nobody":    {Type: TypeRemove, Community: id, Call: id},
		"twice in roster":  {Type: TypeRing, Community: id, Call: id, Group: id, Caller: id, Roster: [][]byte{id, id}},
		"huge roster":      {Type: TypeRing, Community: id, Call: id, Group: id, Caller: id, Roster: distinct(MaxParticipants + 1)},
		"leave with group": {Type: TypeLeave, Community: id, Call: id, Group: id},
	} {
		if err := m.Check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func distinct(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = make([]byte, 32)
		out[i][0], out[i][1] = byte(i), byte(i>>8)
	}
	return out
}
