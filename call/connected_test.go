package call

import (
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// relayNet is a test network whose members are named and whose relay
// (key 0xee, "relay") hosts SFUs with a HostServer that admits whom it
// knows is or was a member, and tells the participants who is connected.
func relayNet(t *testing.T, names ...string) (*testNet, map[string]*Manager, *HostServer) {
	w := newTestNet(t)
	mgr := map[string]*Manager{}
	for _, n := range names {
		mgr[n] = w.node(n, true, true, false)
		w.reach[w.keys[n]] = ReachDirect
	}
	relay := crdt.PublicKey{0xee}
	w.keys["relay"] = relay
	srv, err := NewHostServer(HostServerConfig{PeerID: peerID, Host: w.newHost(relay), Send: sender{w, relay},
		Admit: func(_ crdt.ID, k crdt.PublicKey) bool {
			w.mu.Lock()
			defer w.mu.Unlock()
			_, was := w.members[k]
			return was
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	w.mu.Lock()
	w.servers[relay] = srv
	w.mu.Unlock()
	return w, mgr, srv
}

// TestRemovedMemberWhoOffersFirstWatchesNothing: mallory, removed from
// the community but still known to the relay, offers to a relay-hosted
// call's SFU before any participant (she learnt its id) and names
// everyone in her roster, or no one (she must not keep the members out
// either way). Ann, then ben and cara, connect: no member's
// media ever reaches her (nobody named her), hers reaches no one, the
// relay tells the members who is connected, their nodes report her, and
// the relay drops her within a second (the first member's word is the
// majority of her others while they are two); she cannot connect again,
// the status of whoever reported her names her, and the members' call
// runs on through the relay.
func TestRemovedMemberWhoOffersFirstWatchesNothing(t *testing.T) {
	for _, namesAll := range []bool{true, false} {
		t.Run(map[bool]string{true: "she names everyone", false: "she names no one"}[namesAll], func(t *testing.T) {
			removedMemberOffersFirst(t, namesAll)
		})
	}
}

func removedMemberOffersFirst(t *testing.T, namesAll bool) {
	synctest.Test(t, func(t *testing.T) {
		names := []string{"ann", "ben", "cara"}
		w, mgr, srv := relayNet(t, names...)
		mallory := crdt.PublicKey{'m'}
		w.members[mallory] = false // removed
		w.keys["mallory"] = mallory

		id := w.start(mgr["ann"]) // a mesh of one: the relay is not reached yet
		ask := func(typ uint8, roster ...crdt.PublicKey) *Reply {
			msg := &Message{Type: typ, Community: w.cid[:], Call: id[:]}
			if typ == TypeMedia {
				msg.Blob = []byte("sfu offer from " + peerID(mallory))
			}
			for _, k := range roster {
				msg.Roster = append(msg.Roster, k[:])
			}
			return srv.Answer(t.Context(), mallory, msg)
		}
		if r := ask(TypeMedia); r.Error != "" || len(r.Blob) == 0 {
			t.Fatalf("mallory's first offer: %+v", r)
		}
		all := []crdt.PublicKey{mallory}
		for _, n := range names {
			all = append(all, w.keys[n])
		}
		if !namesAll {
			all = all[:1]
		}
		if r := ask(TypeRoster, all...); r.Error != "" {
			t.Fatalf("mallory's roster: %s", r.Error)
		}

		w.mu.Lock()
		w.relays = []crdt.PublicKey{{0xee}}
		w.mu.Unlock()
		for _, n := range names[1:] {
			if err := mgr[n].Join(t.Context(), w.cid, id, false, true); err != nil {
				t.Fatal(err)
			}
		}
		<-time.After(time.Second)

		h := w.host("relay")
		if !h.wasDropped(w.peer("mallory")) {
			t.Fatalf("mallory is still connected to the relay's SFU: %v", h.connected())
		}
		w.checkHost(t, "relay", names...)
		reported := 0
		for _, n := range names {
			if h.flowed(w.peer(n), w.peer("mallory")) {
				t.Errorf("%s's media could reach mallory", n)
			}
			if h.flowed(w.peer("mallory"), w.peer(n)) {
				t.Errorf("mallory's media could reach %s", n)
			}
			others := w.peersBut(names, n)
			if got, _ := h.allowedOf(w.peer(n)); !slices.Equal(got, others) {
				t.Errorf("%s exchanges media with %v, want %v", n, got, others)
			}
			st, err := mgr[n].Status(w.cid, id)
			if err != nil {
				t.Fatal(err)
			}
			// The word of the first to connect dropped her: the others
			// may not have seen her.
			if len(st.Reported) == 0 {
				continue
			}
			reported++
			if len(st.Reported) != 1 || st.Reported[0].PeerID != w.peer("mallory") || !strings.Contains(st.Reported[0].Reason, w.peer("mallory")) {
				t.Errorf("%s's status reports %+v, want mallory", n, st.Reported)
			}
		}
		if reported == 0 {
			t.Error("nobody's status reports mallory")
		}
		if r := ask(TypeMedia); r.Error == "" {
			t.Fatal("mallory connected again once dropped")
		}
	})
}

// TestFirstOffererIsNotDropped: a member who offers first to the relay
// hosting the call is named by those who join after and exchanges media
// with them (and the relay lets each participant exchange media with
// those only); nobody reports anyone.
func TestFirstOffererIsNotDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		names := []string{"ann", "ben", "cara"}
		w, mgr, _ := relayNet(t, names...)
		w.relays = []crdt.PublicKey{{0xee}}
		id := w.start(mgr["ann"])
		for _, n := range names[1:] {
			if err := mgr[n].Join(t.Context(), w.cid, id, false, true); err != nil {
				t.Fatal(err)
			}
		}
		<-time.After(time.Second)
		w.checkHost(t, "relay", names...)
		h := w.host("relay")
		for _, n := range names {
			if h.wasDropped(w.peer(n)) {
				t.Errorf("%s was dropped", n)
			}
			others := w.peersBut(names, n)
			if got, ok := h.allowedOf(w.peer(n)); !ok || !slices.Equal(got, others) {
				t.Errorf("%s exchanges media with %v (restricted: %v), want %v", n, got, ok, others)
			}
			if st, err := mgr[n].Status(w.cid, id); err != nil || len(st.Reported) != 0 {
				t.Errorf("%s's status: reported %+v, %v", n, st.Reported, err)
			}
		}
	})
}

// peersBut lists the peer ids of names but skip, sorted.
func (w *testNet) peersBut(names []string, skip string) []string {
	var out []string
	for _, n := range names {
		if n != skip {
			out = append(out, w.peer(n))
		}
	}
	slices.Sort(out)
	return out
}

// TestConnectedJudgedAgainOnRecheck: mallory, still a member, connects
// first to the relay's SFU of a call she never joined; the members, told
// she is connected, have no reason to report her (and she gets none of
// their media: nobody named her). When she is removed, their nodes judge
// the relay's list again and report her, and the relay drops her.
func TestConnectedJudgedAgainOnRecheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		names := []string{"ann", "ben"}
		w, mgr, srv := relayNet(t, names...)
		mallory := crdt.PublicKey{'m'}
		w.members[mallory] = true
		w.keys["mallory"] = mallory
		id := w.start(mgr["ann"])
		msg := &Message{Type: TypeMedia, Community: w.cid[:], Call: id[:], Blob: []byte("sfu offer from " + peerID(mallory))}
		if r := srv.Answer(t.Context(), mallory, msg); r.Error != "" {
			t.Fatalf("mallory's offer: %s", r.Error)
		}
		w.mu.Lock()
		w.relays = []crdt.PublicKey{{0xee}}
		w.mu.Unlock()
		if err := mgr["ben"].Join(t.Context(), w.cid, id, false, true); err != nil {
			t.Fatal(err)
		}
		<-time.After(time.Second)
		h := w.host("relay")
		if h.wasDropped(w.peer("mallory")) {
			t.Fatal("a member was dropped")
		}
		for _, n := range names {
			if h.flowed(w.peer(n), w.peer("mallory")) {
				t.Errorf("%s's media could reach mallory, whom nobody named", n)
			}
		}

		w.setMember("mallory", false)
		for _, n := range names {
			mgr[n].Recheck(w.cid)
		}
		<-time.After(time.Second)
		if !h.wasDropped(w.peer("mallory")) {
			t.Fatal("mallory, removed, is still connected to the relay's SFU")
		}
		w.checkHost(t, "relay", names...)
	})
}
