package view

import (
	"slices"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestCallsList: the calls of a community's groups, newest first; an
// active one says who may end it, an ended one who joined and for how
// long; CallRecord finds one by id.
func TestCallsList(t *testing.T) {
	w := newWorld(t, "Glow Team")
	olivia, ben := w.owner, member(1)
	w.join(ben, "Ben")
	gid := w.general
	first := w.write(ben, gid, crdt.KindCall, &crdt.CallBody{Action: crdt.CallStart, Video: true, Time: w.now()})
	w.write(ben, gid, crdt.KindCall, &crdt.CallBody{Action: crdt.CallEnd, Target: first.Bytes(), Duration: 90_000,
		Joined: [][]byte{[]byte(ben.PublicKey()), []byte(olivia.PublicKey())}, Time: w.now()})
	second := w.write(olivia, gid, crdt.KindCall, &crdt.CallBody{Action: crdt.CallStart, Time: w.now()})

	calls, err := w.views(ben).Calls(w.cid)
	if err != nil || len(calls) != 2 {
		t.Fatalf("calls %+v, %v", calls, err)
	}
	now, ended := calls[0], calls[1]
	if now.ID != second || !now.Active || now.Video || now.StartedByName != "Olivia" || now.CanEnd || now.Group != gid || len(now.Participants) != 0 {
		t.Fatalf("the active call as Ben sees it: %+v", now)
	}
	want := []string{testNames{}.PeerID(ben.Key()), testNames{}.PeerID(olivia.Key())}
	if ended.ID != first || ended.Active || !ended.Video || time.Duration(ended.Duration) != 90*time.Second ||
		!slices.Equal(slices.Sorted(slices.Values(ended.Participants)), slices.Sorted(slices.Values(want))) {
		t.Fatalf("the ended call: %+v", ended)
	}
	if c, _ := w.views(olivia).Calls(w.cid); !c[0].CanEnd {
		t.Fatal("the caller may not end her call")
	}
	if r, ok := w.views(ben).CallRecord(w.cid, first); !ok || r.Active {
		t.Fatalf("CallRecord: %+v, %v", r, ok)
	}
	if _, ok := w.views(ben).CallRecord(w.cid, crdt.ID{7}); ok {
		t.Fatal("CallRecord finds a call that is not there")
	}
	// Removed, Ben lists none of the community's calls.
	w.write(olivia, crdt.ZeroID, crdt.KindRemove, &crdt.RemoveBody{Member: []byte(ben.PublicKey()), Time: w.now()})
	if calls, err := w.views(ben).Calls(w.cid); err != nil || len(calls) != 0 {
		t.Fatalf("a removed member lists calls %+v, %v", calls, err)
	}
}

// TestCallRowInConversation: a call shows as a row of kind "call" at its
// start's place, active until its end records how long it ran and who
// joined; it is no new message: it counts in neither the unread count nor
// the first unread message.
func TestCallRowInConversation(t *testing.T) {
	w := newWorld(t, "Glow Team")
	olivia, ben := w.owner, member(1)
	w.join(ben, "Ben")
	gid := w.general
	call := w.write(olivia, gid, crdt.KindCall, &crdt.CallBody{Action: crdt.CallStart, Video: true, Time: w.now()})
	w.post(olivia, gid, "Join the call!")
	v := w.views(ben)
	gs := []api.Group{{ID: w.cid, Joined: true}, {ID: gid, Joined: true}}
	if err := v.FillGroups(w.cid, gs); err != nil || gs[1].Unread != 1 {
		t.Fatalf("unread with a call and a message: %d, %v; want 1", gs[1].Unread, err)
	}
	page, err := v.MessagePage(w.cid, gid, 0, 10)
	if err != nil || page.Total != 2 || page.FirstUnread != 1 {
		t.Fatalf("page: %d rows, first unread %d; want 2 and 1: %v", page.Total, page.FirstUnread, err)
	}
	m := page.Messages[0]
	if m.ID != call || m.Kind != "call" || m.Call == nil || !m.Call.Active || !m.Call.Video ||
		m.Call.StartedBy != (testNames{}).PeerID(olivia.Key()) || m.AuthorName != "Olivia" || len(m.Call.Joined) != 0 {
		t.Fatalf("the active call's row: %+v %+v", m, m.Call)
	}
	w.write(olivia, gid, crdt.KindCall, &crdt.CallBody{Action: crdt.CallEnd, Target: call.Bytes(), Duration: 23 * 60_000,
		Joined: [][]byte{[]byte(ben.PublicKey()), []byte(olivia.PublicKey())}, Time: w.now()})
	ms, err := w.views(ben).Messages(w.cid, gid)
	if err != nil || len(ms) != 2 {
		t.Fatalf("messages %d, %v", len(ms), err)
	}
	if c := ms[0].Call; c == nil || c.Active || time.Duration(c.Duration) != 23*time.Minute || len(c.Joined) != 2 {
		t.Fatalf("the ended call's row: %+v", c)
	}
}
