package pull

import (
	"slices"
	"testing"
	"testing/synctest"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestAddedByContact: a nudge for a community this node does not hold,
// from someone it shares a community with, makes it expect and pull that
// community from the nudger; the pull that shows it a member completes
// it and tells subscribers EventAdded.
func TestAddedByContact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		a := newMember(t, 1)
		w.community(1, a)
		w.connect(a)
		added := crdt.ID{5}
		w.gate = make(chan struct{})
		w.s.Nudged(added, a.k)
		synctest.Wait()
		if got := w.callsOf("pull"); len(got) != 1 || got[0].p != a.p || got[0].cid != added {
			t.Fatalf("pulls %v, want one of the new community from the nudger", got)
		}
		w.mu.Lock()
		expected, awaited := slices.Clone(w.expected), slices.Clone(w.awaited)
		w.mu.Unlock()
		if !slices.Equal(expected, []crdt.ID{added}) || !slices.Equal(awaited, []crdt.ID{added}) {
			t.Fatalf("expected %v, awaited %v", expected, awaited)
		}
		// The pull brings the member.add: this node is a member.
		w.mu.Lock()
		w.roles[added] = map[crdt.PublicKey]crdt.Role{w.self.k: crdt.RoleMember, a.k: crdt.RoleOwner}
		w.mu.Unlock()
		w.gate <- struct{}{}
		synctest.Wait()
		w.mu.Lock()
		defer w.mu.Unlock()
		if !slices.ContainsFunc(w.events, func(e api.Event) bool { return e.Kind == api.EventAdded && e.Community == added }) {
			t.Fatalf("no EventAdded in %v", w.events)
		}
		if len(w.awaited) != 0 || !slices.Contains(w.joined, added) {
			t.Fatalf("awaited %v, topics joined %v", w.awaited, w.joined)
		}
	})
}

// TestStrangerCannotAdd: a nudge for an unknown community from someone
// this node shares no community with (or only one it left) is ignored.
func TestStrangerCannotAdd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		a, b := newMember(t, 1), newMember(t, 2)
		left := w.community(1, b)
		w.depart(left, w.self)
		w.connect(a, b)
		w.s.Nudged(crdt.ID{5}, a.k)
		w.s.Nudged(crdt.ID{6}, b.k)
		synctest.Wait()
		w.mu.Lock()
		defer w.mu.Unlock()
		if len(w.calls) != 0 || len(w.expected) != 0 || len(w.awaited) != 0 {
			t.Fatalf("a stranger's nudge caused calls %v, expected %v, awaited %v", w.calls, w.expected, w.awaited)
		}
	})
}

// TestAddWaitsBounded: a contact's nudges about new communities make
// this node wait for at most maxAddWaits of them at once.
func TestAddWaitsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		a := newMember(t, 1)
		w.community(1, a)
		w.connect(a)
		for i := range maxAddWaits + 5 {
			w.s.Nudged(crdt.ID{100, byte(i)}, a.k)
		}
		synctest.Wait()
		w.mu.Lock()
		defer w.mu.Unlock()
		if len(w.expected) != maxAddWaits {
			t.Fatalf("waits for %d communities, want %d", len(w.expected), maxAddWaits)
		}
	})
}

// TestNewcomerNudged: on connecting to a member who has not arrived in a
// community (no prekey there: added while away), this node nudges it;
// one who arrived is not nudged.
func TestNewcomerNudged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		a, b := newMember(t, 1), newMember(t, 2)
		cid := w.community(1, a, b)
		w.arrived = map[crdt.ID]map[crdt.PublicKey]bool{cid: {b.k: true}}
		w.connect(a, b)
		w.s.OnConnect(a.p)
		w.s.OnConnect(b.p)
		synctest.Wait()
		if got := w.callsOf("nudge"); len(got) != 1 || got[0].p != a.p || got[0].cid != cid {
			t.Fatalf("nudges %v, want one to the member who has not arrived", got)
		}
	})
}

// TestAddedSurvivesRestart: the node restarts between a contact's nudge
// and the pull that completes the add: the wait is in the book, and the
// pull after the restart tells subscribers EventAdded from the control
// log (who added it), once; a join resumed after a restart tells none.
func TestAddedSurvivesRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		a := newMember(t, 1)
		w.community(1, a)
		w.connect(a)
		added, joined := crdt.ID{5}, crdt.ID{6}
		w.gate = make(chan struct{})
		w.s.Nudged(added, a.k)
		synctest.Wait()
		w.s.Close() // the node stops before the pull completes
		close(w.gate)
		synctest.Wait()
		w.mu.Lock()
		w.gate, w.events = nil, nil
		w.awaited = append(w.awaited, joined) // a join by a link, cut short
		w.roles[added] = map[crdt.PublicKey]crdt.Role{w.self.k: crdt.RoleMember, a.k: crdt.RoleOwner}
		w.roles[joined] = map[crdt.PublicKey]crdt.Role{w.self.k: crdt.RoleMember, a.k: crdt.RoleOwner}
		w.addedBy = map[crdt.ID]string{added: "Olivia"}
		w.mu.Unlock()

		w.restart()
		w.s.OnConnect(a.p)
		synctest.Wait()
		w.s.OnConnect(a.p) // a second pull tells nothing more
		synctest.Wait()
		w.mu.Lock()
		defer w.mu.Unlock()
		var got []crdt.ID
		for _, e := range w.events {
			if e.Kind == api.EventAdded {
				got = append(got, e.Community)
			}
		}
		if !slices.Equal(got, []crdt.ID{added}) {
			t.Fatalf("EventAdded for %v after the restart, want once for the community added to", got)
		}
		if len(w.awaited) != 0 {
			t.Fatalf("still awaited: %v", w.awaited)
		}
	})
}

// TestRelayNudgeAdds: a relay registered with a community this node
// holds is heeded like a contact (the community is pulled from it), but
// for at most maxAddWaits communities at once; a relay registered with
// no community this node holds is ignored.
func TestRelayNudgeAdds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		a, r, stranger := newMember(t, 1), newMember(t, 7), newMember(t, 8)
		held := w.community(1, a)
		w.registerRelay(held, r)
		w.registerRelay(crdt.ID{9}, stranger) // a community this node does not hold
		w.connect(r, stranger)
		w.s.Nudged(crdt.ID{50}, stranger.k)
		synctest.Wait()
		w.mu.Lock()
		if len(w.calls) != 0 || len(w.expected) != 0 || len(w.awaited) != 0 {
			t.Fatalf("a foreign relay's nudge caused calls %v, expected %v, awaited %v", w.calls, w.expected, w.awaited)
		}
		w.mu.Unlock()
		for i := range maxAddWaits + 5 {
			w.s.Nudged(crdt.ID{100, byte(i)}, r.k)
		}
		synctest.Wait()
		pulls := w.callsOf("pull")
		w.mu.Lock()
		defer w.mu.Unlock()
		if len(w.expected) != maxAddWaits {
			t.Fatalf("waits for %d communities, want %d", len(w.expected), maxAddWaits)
		}
		if len(pulls) != maxAddWaits || !slices.ContainsFunc(pulls, func(c call) bool { return c.p == r.p && c.cid == (crdt.ID{100}) }) {
			t.Fatalf("pulls %v, want %d from the relay", pulls, maxAddWaits)
		}
	})
}
