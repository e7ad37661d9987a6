package call

import (
	"bytes"
	"testing"
	"testing/synctest"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// FuzzAnswer: whatever well-formed message a peer sends to a participant
// of a call (any type and fields, aimed at that call or not), the reply
// passes Check once Handle has cut its error, and a peer that may not be
// in the call's group is refused whatever it says.
func FuzzAnswer(f *testing.F) {
	id := bytes.Repeat([]byte{1}, 32)
	for _, m := range []Message{
		{Type: TypeRing, Community: id, Call: id, Group: id, Caller: id, Started: 5, Roster: [][]byte{id}},
		{Type: TypeJoin, Community: id, Call: id, Group: id, Caller: id, Reach: ReachDirect},
		{Type: TypeLeave, Community: id, Call: id},
		{Type: TypeEnd, Community: id, Call: id},
		{Type: TypeRemove, Community: id, Call: id, Peer: id},
		{Type: TypeRoster, Community: id, Call: id},
		{Type: TypeMedia, Community: id, Call: id, Blob: []byte("v=0")},
		{Type: TypeKey, Community: id, Call: id, KID: 3, Key: id},
		{Type: TypeKeyAsk, Community: id, Call: id},
		{Type: TypeState, Community: id, Call: id, Muted: true},
	} {
		raw, err := crdt.Marshal(&m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, true, true)
		f.Add(raw, true, false)
		f.Add(raw, false, true)
	}
	f.Fuzz(func(t *testing.T, raw []byte, aimed, member bool) {
		var m Message
		if wire.Decode(raw, &m) != nil || m.Check() != nil {
			return
		}
		synctest.Test(t, func(t *testing.T) {
			w := newTestNet(t)
			olivia, _, cid := w.oliviaCallsAnn()
			mallory := crdt.PublicKey{'m', 'a', 'l'}
			w.mu.Lock()
			w.members[mallory] = member
			w.mu.Unlock()
			if aimed {
				m.Community, m.Call = w.cid[:], cid[:]
				if m.Type == TypeRing || m.Type == TypeJoin {
					m.Group = w.gid[:]
				}
			}
			r := olivia.Answer(t.Context(), mallory, &m)
			if len(r.Error) > MaxErrorLen {
				r.Error = r.Error[:MaxErrorLen]
			}
			if err := r.Check(); err != nil {
				t.Fatalf("reply %+v to %+v: %v", r, m, err)
			}
			if !member && r.Error == "" {
				t.Fatalf("a peer outside the group got %+v to %+v", r, m)
			}
		})
	})
}
