package call

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// sfuRelay starts a relay with --sfu (a HostServer over fake SFUs) that
// the community's members reach, named "relay".
func (w *testNet) sfuRelay(t *testing.T) *HostServer {
	t.Helper()
	relay := crdt.PublicKey{0xee}
	srv, err := NewHostServer(HostServerConfig{PeerID: peerID, Host: w.newHost(relay),
		Admit: func(_ crdt.ID, k crdt.PublicKey) bool {
			w.mu.Lock()
			defer w.mu.Unlock()
			return w.members[k]
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	w.mu.Lock()
	w.keys["relay"] = relay
	w.servers[relay] = srv
	w.relays = []crdt.PublicKey{relay}
	w.mu.Unlock()
	return srv
}

// directMembers adds members of the group with names, each reached directly,
// and returns their Managers by name.
func (w *testNet) directMembers(names ...string) map[string]*Manager {
	mgr := map[string]*Manager{}
	for _, n := range names {
		mgr[n] = w.node(n, true, false, false)
		w.reach[w.keys[n]] = ReachDirect
	}
	return mgr
}

// callOnRelay has names[0] start a voice call and the other names join
// it, and checks that they all run it through the relay's SFU.
func (w *testNet) callOnRelay(t *testing.T, mgr map[string]*Manager, names []string) crdt.ID {
	t.Helper()
	id := w.start(mgr[names[0]])
	for _, n := range names[1:] {
		if err := mgr[n].Join(t.Context(), w.cid, id, false, true); err != nil {
			t.Fatal(err)
		}
	}
	<-time.After(time.Second)
	w.checkHost(t, "relay", names...)
	return id
}

// setSlow makes the links between each of cut and each of the others
// (both ways) slow, or normal again.
func (w *testNet) setSlow(cut, others []string, slow bool) {
	w.eachLink(cut, others, func(l [2]crdt.PublicKey) {
		if w.slow == nil {
			w.slow = map[[2]crdt.PublicKey]bool{}
		}
		w.slow[l] = slow
	})
}

// setDelay makes the links between each of cut and each of the others
// (both ways) take d.
func (w *testNet) setDelay(cut, others []string, d time.Duration) {
	w.eachLink(cut, others, func(l [2]crdt.PublicKey) {
		if w.delay == nil {
			w.delay = map[[2]crdt.PublicKey]time.Duration{}
		}
		w.delay[l] = d
	})
}

// eachLink calls set, with w.mu held, for each link (both ways) between
// one of cut and one of others.
func (w *testNet) eachLink(cut, others []string, set func(l [2]crdt.PublicKey)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, a := range cut {
		for _, b := range others {
			ka, kb := w.keys[a], w.keys[b]
			set([2]crdt.PublicKey{ka, kb})
			set([2]crdt.PublicKey{kb, ka})
		}
	}
}

// fiveOnRelay starts a relay with --sfu and five members, ann to eve, in
// a voice call on it.
func fiveOnRelay(t *testing.T) (*testNet, map[string]*Manager, []string, crdt.ID) {
	t.Helper()
	w := newTestNet(t)
	names := []string{"ann", "ben", "cara", "dan", "eve"}
	mgr := w.directMembers(names...)
	w.sfuRelay(t)
	return w, mgr, names, w.callOnRelay(t, mgr, names)
}

// onHost reports whether every one of names has its media on host's SFU,
// with an answer from it, and host's SFU connects exactly them.
func (w *testNet) onHost(host string, names ...string) bool {
	var want []string
	for _, n := range names {
		if w.hostOf(n) != w.peer(host) || !w.answered(n, w.peer(host)) {
			return false
		}
		want = append(want, w.peer(n))
	}
	slices.Sort(want)
	h := w.host(host)
	return h != nil && slices.Equal(h.connected(), want)
}

// TestStrandedParticipantsReturnToTheHost is the loaded trial's split:
// five members in a call on a relay's SFU; ben's and cara's links to the
// relay and to the three others turn slow (nothing they send arrives
// before its sender gives up), so both lose the relay and each hears only
// the other, who lost it too. Whatever they do meanwhile, once the links
// are back both return to the relay within a bounded time, with everyone
// still in their rosters: nobody stays alone in a mesh or on a host of
// their own.
func TestStrandedParticipantsReturnToTheHost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, mgr, names, id := fiveOnRelay(t)

		stranded := []string{"ben", "cara"}
		w.setSlow(stranded, []string{"ann", "dan", "eve", "relay"}, true)
		for _, n := range stranded {
			w.media(n).lost(w.peer("relay"))
		}
		// Longer than every timeout: asks, offers, SendTimeout.
		<-time.After(3 * SendTimeout)
		w.setSlow(stranded, []string{"ann", "dan", "eve", "relay"}, false)
		back := time.Now()
		whole := func() bool {
			for _, n := range names {
				if len(participants(t, mgr[n], w.cid, id)) != len(names) {
					return false
				}
			}
			return w.onHost("relay", names...)
		}
		for !whole() {
			if time.Since(back) > 2*RejoinMax+HostAsk {
				for _, n := range names {
					t.Logf("%s: host %q, participants %v", n, w.hostOf(n), participants(t, mgr[n], w.cid, id))
				}
				t.Fatalf("%v after the links came back, the call is still split", time.Since(back))
			}
			<-time.After(100 * time.Millisecond)
		}
		t.Logf("everyone on the relay again, with everyone in their rosters, %v after the links came back", time.Since(back))
		synctest.Wait()
		for _, x := range names {
			for _, y := range names {
				if x != y {
					w.checkLiveKey(x, y) // a key dropped with a participant came again
				}
			}
		}
		for _, n := range names {
			if h := w.host(n); h != nil && !h.closed {
				t.Errorf("%s still runs an SFU of its own", n)
			}
		}

		// An SFU offer to a participant that does not host (as from one
		// that elected it alone) is refused, not taken as a mesh message.
		blobs := func() int {
			f := w.media("ann")
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.blobs[w.peer("ben")]
		}
		before := blobs()
		offer := &Message{Type: TypeMedia, Community: w.cid[:], Call: id[:], Blob: []byte("sfu offer from " + w.peer("ben"))}
		if r := mgr["ann"].Answer(t.Context(), w.keys["ben"], offer); !strings.Contains(r.Error, "not this call's SFU host") {
			t.Errorf("ann, not hosting, answered an SFU offer with %+v", r)
		}
		if blobs() != before {
			t.Errorf("ann's media took an SFU offer as a mesh message")
		}
	})
}

// TestEndReachesACutOffParticipant: the caller ends a call on a relay's
// SFU while cara's link to her is down, so cara never gets the End.
// Once cara holds the end's record (sync brings it, and the node calls
// Recheck), she leaves: her media stops, the relay drops her (it takes
// an End only from its sender), her status says the call ended, and her
// list shows it ended and her out of it.
func TestEndReachesACutOffParticipant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		names := []string{"ann", "ben", "cara"}
		mgr := w.directMembers(names...)
		srv := w.sfuRelay(t)
		id := w.callOnRelay(t, mgr, names)

		w.setSlow([]string{"cara"}, []string{"ann"}, true)
		if err := mgr["ann"].End(t.Context(), w.cid, id); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if _, err := mgr["ben"].Status(w.cid, id); !errors.Is(err, api.ErrCallEnded) {
			t.Fatalf("ben's status after the End: %v, want %v", err, api.ErrCallEnded)
		}
		if !w.media("ben").isClosed() || w.media("cara").isClosed() {
			t.Fatalf("after the End: ben's media closed %v, cara's (cut off) %v", w.media("ben").isClosed(), w.media("cara").isClosed())
		}

		mgr["cara"].Recheck(w.cid) // the end's record arrived
		synctest.Wait()
		if !w.media("cara").isClosed() {
			t.Fatal("cara's media still runs after the end's record arrived")
		}
		if !w.host("relay").wasDropped(w.peer("cara")) || srv.Calls() != 0 {
			t.Fatalf("the relay still hosts the call (%d calls; cara dropped: %v)", srv.Calls(), w.host("relay").wasDropped(w.peer("cara")))
		}
		if _, err := mgr["cara"].Status(w.cid, id); !errors.Is(err, api.ErrCallEnded) {
			t.Fatalf("cara's status: %v, want %v", err, api.ErrCallEnded)
		}
		calls := mgr["cara"].Fill(w.cid, []api.Call{{ID: id, Group: w.gid, Active: false}})
		if len(calls) != 1 || calls[0].Active || calls[0].Joined {
			t.Fatalf("cara's list: %+v, want the call ended and her out of it", calls)
		}
	})
}

func (f *fakeMedia) isClosed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

// checkLiveKey checks that receiver holds sender's current send key, not
// dropped since.
func (w *testNet) checkLiveKey(receiver, sender string) {
	w.t.Helper()
	kid := w.media(sender).lastSend()
	f := w.media(receiver)
	f.mu.Lock()
	defer f.mu.Unlock()
	if got := f.live[w.peer(sender)]; !slices.Contains(got, kid) {
		w.t.Fatalf("%s holds keys %v of %s, not its current key %d", receiver, got, sender, kid)
	}
}

// TestFailoverDoesNotWaitForACrashedParticipant: eve's node crashed
// without a leave, so she stays in everyone's roster and answers nothing;
// then the relay hosting the call goes. The others need not wait HostAsk
// for eve's answer: once those who answered decide, they move on, all to
// the same participant host, in well under HostAsk.
func TestFailoverDoesNotWaitForACrashedParticipant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, _, names, _ := fiveOnRelay(t)

		w.setSlow([]string{"eve"}, names[:4], true)
		w.mu.Lock()
		delete(w.servers, w.keys["relay"])
		w.relays = nil
		w.mu.Unlock()
		// All four lose the relay at once: their asks to each other are
		// held until every one of them doubts it (no time passes in the
		// loop), or one asking before the others noticed hears the relay
		// still named by two of three and rightly waits for eve.
		w.setDelay(names[:4], names[:4], time.Millisecond)
		lost := time.Now()
		for _, n := range names[:4] {
			w.media(n).lost(w.peer("relay"))
		}
		w.setDelay(names[:4], names[:4], 0)
		for !w.onHost("ann", names[:4]...) {
			if time.Since(lost) > HostAsk {
				for _, n := range names[:4] {
					t.Logf("%s: host %q", n, w.hostOf(n))
				}
				t.Fatalf("%v after the relay went, the others are not on one host", time.Since(lost))
			}
			<-time.After(10 * time.Millisecond)
		}
		if d := time.Since(lost); d > HostRetry {
			t.Fatalf("the failover took %v, want at most %v", d, HostRetry)
		}
		t.Logf("everyone but the crashed eve on ann's SFU %v after the relay went", time.Since(lost))
	})
}

// TestSlowAnswersDoNotSplitTheCall is the loaded trial's start: ben and
// cara lose the relay hosting the call (their links to it are down), and
// on the loaded machine the three others answer them only after 2 s each
// way (4 s a round trip). They wait for those answers, which say the
// relay is there, and stay with it, reconnecting, rather than take each
// other's doubt for its loss: neither ever moves elsewhere, and both are
// on it again once their links to it are back.
func TestSlowAnswersDoNotSplitTheCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, _, names, _ := fiveOnRelay(t)

		stranded := []string{"ben", "cara"}
		w.setDelay(stranded, []string{"ann", "dan", "eve"}, 2*time.Second)
		w.setSlow(stranded, []string{"relay"}, true)
		for _, n := range stranded {
			w.media(n).lost(w.peer("relay"))
		}
		<-time.After(3 * SendTimeout)
		for _, n := range stranded {
			f := w.media(n)
			f.mu.Lock()
			hosts := slices.Clone(f.hosts)
			f.mu.Unlock()
			for _, h := range hosts {
				if h != w.peer("relay") {
					t.Fatalf("%s moved to %q while the others still had the relay (hosts %q)", n, h, hosts)
				}
			}
		}
		w.setSlow(stranded, []string{"relay"}, false)
		back := time.Now()
		for !w.onHost("relay", names...) {
			if time.Since(back) > 2*SendTimeout {
				t.Fatalf("%v after the links to the relay came back, not everyone is on it", time.Since(back))
			}
			<-time.After(100 * time.Millisecond)
		}
	})
}

// TestMinorityThatDroppedAHostReturnsToIt is the trial's split after a
// relay stalled: everyone moved to ann's SFU; then ben's link to ann
// fails while dan and eve doubt ann too (a stall seen by several at
// once), so ben's vote finds only cara still naming ann, and ben drops
// ann and moves away. Once ben's link to ann is back, the others all
// still on ann's SFU, ben must return to it and take ann back into its
// roster: a lost host that most of the others still use is not one
// everyone left.
func TestMinorityThatDroppedAHostReturnsToIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, mgr, names, id := fiveOnRelay(t)
		w.mu.Lock()
		delete(w.servers, w.keys["relay"])
		w.relays = nil
		w.mu.Unlock()
		for _, n := range names {
			w.media(n).lost(w.peer("relay"))
		}
		<-time.After(2 * HostAsk)
		if !w.onHost("ann", names...) {
			t.Fatalf("not all on ann after the relay went: ben on %q", w.hostOf("ben"))
		}
		w.setSlow([]string{"ben"}, []string{"ann"}, true)
		for _, n := range []string{"ben", "dan", "eve"} {
			w.media(n).lost(w.peer("ann"))
		}
		<-time.After(3 * SendTimeout)
		moved := w.hostOf("ben") != w.peer("ann")
		w.setSlow([]string{"ben"}, []string{"ann"}, false)
		back := time.Now()
		for !w.onHost("ann", names...) || len(participants(t, mgr["ben"], w.cid, id)) != len(names) {
			if time.Since(back) > 2*RejoinMax+HostAsk {
				for _, n := range names {
					t.Logf("%s: host %q, participants %v", n, w.hostOf(n), participants(t, mgr[n], w.cid, id))
				}
				t.Fatalf("%v after ben's link to ann came back (ben had moved away: %v), the call is still split", time.Since(back), moved)
			}
			<-time.After(100 * time.Millisecond)
		}
		t.Logf("ben (moved away: %v) back on ann's SFU %v after the link came back", moved, time.Since(back))
	})
}
