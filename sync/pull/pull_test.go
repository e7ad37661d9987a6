package pull

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/internal/depcheck"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// TestNoHost: the scheduler builds without a libp2p host, transport or the
// adapters that carry its pulls. (Badger still comes in through
// sync/exchange's replica.)
func TestNoHost(t *testing.T) {
	depcheck.Ban(t, "go-libp2p/p2p", "quic-go", "fyne.io", "umbrella/node", "umbrella/sync/p2p", "umbrella/sync/gossip")
}

func cids(cs []call) []crdt.ID {
	var out []crdt.ID
	for _, c := range cs {
		out = append(out, c.cid)
	}
	return out
}

// TestOnePullPerPeer: one pull from a peer runs at a time; pulls asked for
// meanwhile run after it, each once however often asked, and Syncing
// shows the one running.
func TestOnePullPerPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		a := newMember(t, 1)
		c1, c2 := w.community(1, a), w.community(2, a)
		w.gate = make(chan struct{})
		w.s.Pull(a.p, c1)
		synctest.Wait()
		if got := w.s.Syncing(); got[a.p] != c1 || len(got) != 1 {
			t.Fatalf("syncing %v, want %s from a", got, c1.Short())
		}
		w.s.Pull(a.p, c2)
		w.s.Pull(a.p, c2)
		w.s.Pull(a.p, c1)
		synctest.Wait()
		if got := w.callsOf("pull"); len(got) != 1 {
			t.Fatalf("%d pulls from one peer at once, want 1", len(got))
		}
		for range 3 {
			w.gate <- struct{}{}
			synctest.Wait()
		}
		if got, want := cids(w.callsOf("pull")), []crdt.ID{c1, c2, c1}; !slices.Equal(got, want) {
			t.Fatalf("pulled %v, want %v", got, want)
		}
		if got := w.s.Syncing(); len(got) != 0 {
			t.Fatalf("still syncing %v", got)
		}
		if st, ok := w.s.LastSync(c1); !ok || st.Peer != a.p.String() || st.Sessions != 1 || st.RoundTrips != 2 || st.Missing != 3 {
			t.Fatalf("last sync %+v, %v", st, ok)
		}
	})
}

// TestCloseStopsPulls: Close ends a running pull and waits for it; a pull
// asked for after Close starts nothing.
func TestCloseStopsPulls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		a := newMember(t, 1)
		cid := w.community(1, a)
		w.gate = make(chan struct{}) // never released
		w.s.Pull(a.p, cid)
		synctest.Wait()
		w.s.Close()
		w.s.Close()
		w.s.Pull(a.p, cid)
		w.s.Nudge(cid, a.k)
		synctest.Wait()
		if got := w.callsOf("pull"); len(got) != 1 {
			t.Fatalf("%d pulls, want the one before Close", len(got))
		}
	})
}

// TestNudgesRateLimited: a member's nudge right after a pull from it waits
// for NudgeInterval to end and then pulls once, however many came.
func TestNudgesRateLimited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		a := newMember(t, 1)
		cid := w.community(1, a)
		w.s.Nudged(cid, a.k) // no pull from a yet: at once
		synctest.Wait()
		if got := len(w.callsOf("pull")); got != 1 {
			t.Fatalf("%d pulls after the first nudge, want 1", got)
		}
		for range 5 {
			w.s.Nudged(cid, a.k)
		}
		synctest.Wait()
		if got := len(w.callsOf("pull")); got != 1 {
			t.Fatalf("%d pulls after nudges within the interval, want still 1", got)
		}
		time.Sleep(NudgeInterval)
		synctest.Wait()
		if got := len(w.callsOf("pull")); got != 2 {
			t.Fatalf("%d pulls after the interval, want 2", got)
		}
	})
}

// TestStrangersNudgeIgnored: a nudge from someone who is neither member
// nor former member pulls nothing.
func TestStrangersNudgeIgnored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		cid := w.community(1)
		w.s.Nudged(cid, newMember(t, 9).k)
		synctest.Wait()
		if len(w.calls) != 0 {
			t.Fatalf("a stranger's nudge caused %v", w.calls)
		}
	})
}

// TestFormerMemberPulls: a former member is pulled from read-only
// (control ops only), at most once per Interval; asking again within it
// schedules one more pull when it ends, however often asked.
func TestFormerMemberPulls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		a := newMember(t, 1)
		cid := w.community(1, a)
		w.depart(cid, a)
		w.connect(a)
		w.s.OnConnect(a.p)
		synctest.Wait()
		if got := w.callsOf("control"); len(got) != 1 || len(w.callsOf("pull")) != 0 {
			t.Fatalf("on connect: %v control pulls and %v full pulls, want 1 and 0", got, w.callsOf("pull"))
		}
		w.s.PullDeparted(cid)
		w.s.Nudged(cid, a.k)
		w.s.OnConnect(a.p)
		synctest.Wait()
		if got := len(w.callsOf("control")); got != 1 {
			t.Fatalf("%d control pulls within the interval, want 1", got)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := len(w.callsOf("control")); got != 2 {
			t.Fatalf("%d control pulls after the interval, want 2", got)
		}
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if got := len(w.callsOf("control")); got != 2 {
			t.Fatalf("%d control pulls two intervals on, want still 2: the deferred pull ran once", got)
		}
		if got := len(w.callsOf("peers")); got != 0 {
			t.Fatal("asked a former member for addresses")
		}
	})
}

// TestNotAMemberPullsNoFormer: a node that is not a member itself does not
// pull from former members.
func TestNotAMemberPullsNoFormer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		a := newMember(t, 1)
		cid := w.community(1, a)
		w.depart(cid, a)
		w.depart(cid, w.self)
		w.s.PullFormer(a.p, cid)
		synctest.Wait()
		if len(w.calls) != 0 {
			t.Fatalf("pulled %v", w.calls)
		}
	})
}

// TestFormerPullsBounded: the former-member limiter remembers at most
// maxFormerPulls peers and communities; one more waits for its chance
// until an old entry's interval has passed.
func TestFormerPullsBounded(t *testing.T) {
	var f formerPulls
	now := time.Unix(1000, 0)
	for i := range maxFormerPulls {
		if wait, _ := f.next(formerKey{cid: crdt.ID{byte(i), byte(i >> 8)}}, now, time.Minute); wait != 0 {
			t.Fatalf("pull %d waits %v", i, wait)
		}
	}
	extra := formerKey{cid: crdt.ID{0xff, 0xff}}
	if wait, schedule := f.next(extra, now, time.Minute); wait == 0 || schedule {
		t.Fatalf("one over the bound: wait %v, schedule %v; want a wait and no schedule", wait, schedule)
	}
	if wait, _ := f.next(extra, now.Add(time.Minute), time.Minute); wait != 0 {
		t.Fatalf("after the interval: wait %v", wait)
	}
	if len(f.last) > maxFormerPulls {
		t.Fatalf("%d remembered, want at most %d", len(f.last), maxFormerPulls)
	}
}

// TestAfterAPull: a successful pull remembers the member, asks it for
// other members' addresses and dials the members among them it is not
// connected to (never itself, a non-member or one connected already).
func TestAfterAPull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		a, b, c, stranger := newMember(t, 1), newMember(t, 2), newMember(t, 3), newMember(t, 4)
		cid := w.community(1, a, b, c)
		w.connect(a, c)
		addr := w.PeerInfo(a.p).Addrs[0].Bytes()
		for _, m := range []member{w.self, b, c, stranger} {
			w.shared = append(w.shared, wire.PeerAddrs{ID: []byte(m.p), Addrs: [][]byte{addr}})
		}
		w.s.Pull(a.p, cid)
		synctest.Wait()
		if !slices.Contains(w.remember, a.p) {
			t.Fatal("the member pulled from is not remembered")
		}
		if got := w.callsOf("peers"); len(got) != 1 || got[0].p != a.p {
			t.Fatalf("peer exchange %v", got)
		}
		if !slices.Equal(w.dialled, []peer.ID{b.p}) {
			t.Fatalf("dialled %v, want only b %v", w.dialled, b.p)
		}
	})
}

// TestSharedPeers: what a member is told holds members only, with
// addresses, not the asker, not this node, each once.
func TestSharedPeers(t *testing.T) {
	w := newWorld(t)
	a, b, stranger := newMember(t, 1), newMember(t, 2), newMember(t, 3)
	cid := w.community(1, a, b)
	w.connect(a, b, stranger)
	w.known = []peer.AddrInfo{w.PeerInfo(b.p), w.PeerInfo(w.self.p), {ID: a.p}}
	got := w.s.SharedPeers(cid, a.p)
	if len(got) != 1 || got[0].ID != b.p {
		t.Fatalf("shared %v, want only b", got)
	}
}

// TestApprovedJoinFinishes: a pull that shows this node became a member of
// a community whose join awaited approval ends the wait, subscribes to its
// topics and says so.
func TestApprovedJoinFinishes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		a := newMember(t, 1)
		cid := w.community(1, a)
		w.awaited, w.pending = []crdt.ID{cid}, []crdt.ID{cid}
		w.s.Pull(a.p, cid)
		synctest.Wait()
		if len(w.awaited) != 0 || len(w.pending) != 0 {
			t.Fatalf("still awaited %v, pending %v", w.awaited, w.pending)
		}
		if !slices.Equal(w.joined, []crdt.ID{cid}) {
			t.Fatalf("joined topics of %v", w.joined)
		}
		if !slices.Contains(w.events, api.Event{Kind: api.EventCommunities, Community: cid}) {
			t.Fatalf("events %v lack the community's", w.events)
		}
	})
}

// TestPeriodicPull: every Interval the scheduler pulls each community from
// a connected member and dials a remembered member that is away; a
// connected stranger is pulled only for a community this node awaits.
func TestPeriodicPull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		a, b, stranger := newMember(t, 1), newMember(t, 2), newMember(t, 3)
		cid := w.community(1, a, b)
		w.connect(a)
		w.known = []peer.AddrInfo{w.PeerInfo(b.p)}
		w.s.Start()
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := w.callsOf("pull"); len(got) != 1 || got[0].p != a.p || got[0].cid != cid {
			t.Fatalf("pulls after one interval: %v", got)
		}
		if !slices.Contains(w.dialled, b.p) {
			t.Fatalf("dialled %v, want b among them", w.dialled)
		}
		w.mu.Lock()
		w.connected = map[peer.ID]bool{stranger.p: true}
		w.known = nil
		awaited := crdt.ID{7}
		w.awaited = []crdt.ID{awaited}
		w.mu.Unlock()
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := w.callsOf("pull"); len(got) != 2 || got[1].p != stranger.p || got[1].cid != awaited {
			t.Fatalf("pulls after two intervals: %v", got)
		}
	})
}

// askers answers AskAgain: declined for the communities in denied.
type askers struct {
	mu     sync.Mutex
	asked  []crdt.ID
	denied map[crdt.ID]bool
}

func (a *askers) AskAgain(_ context.Context, cid crdt.ID) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, cid)
	return a.denied[cid]
}

// TestWaitingRequestsAskedAgain: every Interval each request to join that
// waits is asked again; a denial learnt so is told to subscribers.
func TestWaitingRequestsAskedAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		ask := &askers{denied: map[crdt.ID]bool{}}
		s, err := New(t.Context(), Config{Self: w.self.p, Interval: time.Minute, Now: time.Now,
			Transport: w, Network: w, Replica: w, Book: w, Keys: w, Gossip: w, Local: w, Requests: ask})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		waiting, declined := crdt.ID{7}, crdt.ID{8}
		w.pending = []crdt.ID{waiting, declined}
		ask.denied[declined] = true
		s.Start()
		time.Sleep(time.Minute)
		synctest.Wait()
		ask.mu.Lock()
		asked := slices.Clone(ask.asked)
		ask.mu.Unlock()
		slices.SortFunc(asked, func(a, b crdt.ID) int { return a.Compare(b) })
		if !slices.Equal(asked, []crdt.ID{waiting, declined}) {
			t.Fatalf("asked again %v, want both", asked)
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if !slices.Contains(w.events, api.Event{Kind: api.EventCommunities, Community: declined}) ||
			slices.Contains(w.events, api.Event{Kind: api.EventCommunities, Community: waiting}) {
			t.Fatalf("events %v; want the declined community's only", w.events)
		}
	})
}
