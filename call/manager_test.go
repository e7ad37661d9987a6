package call

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// fakeMedia records what a Manager asks of a call's media.
type fakeMedia struct {
	w      *testNet
	self   string
	signal func(string, []byte)

	mu        sync.Mutex
	sendKIDs  []uint64
	recv      map[string][]uint64 // key ids set, by sender
	live      map[string][]uint64 // key ids not dropped, by sender
	connected map[string]bool
	blobs     map[string]int // media messages handled, by sender
	closed    bool
	hosts     []string // SetHost's arguments, in order
	lost      func(string)
	ice       []ICEServer // the ICE servers the media was given
	layers    func([]byte) error
	// failing: frames from these senders fail to decrypt (a key lost)
	// until a key of theirs is set; fails counts the failures.
	failing map[string]bool
	fails   uint64
	// keyTries counts SetRecvKey's calls, those that fail included.
	keyTries int
}

func (f *fakeMedia) Connect(peer string) error {
	f.mu.Lock()
	f.connected[peer] = true
	f.mu.Unlock()
	if f.self < peer { // the lower id offers
		f.signal(peer, []byte("offer from "+f.self))
	}
	return nil
}

func (f *fakeMedia) Disconnect(peer string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.connected, peer)
}

func (f *fakeMedia) HandleSignal(from string, blob []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blobs[from]++
	return nil
}

func (f *fakeMedia) SetSendKey(kid uint64, key []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sendKIDs = append(f.sendKIDs, kid)
	return nil
}

func (f *fakeMedia) SetRecvKey(from string, kid uint64, key []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keyTries++
	if f.closed {
		return errors.New("closed")
	}
	f.recv[from] = append(f.recv[from], kid)
	f.live[from] = append(f.live[from], kid)
	delete(f.failing, from)
	return nil
}

func (f *fakeMedia) DropRecvKeys(from string, keep uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.live[from] = slices.DeleteFunc(f.live[from], func(k uint64) bool { return k != keep })
}

func (f *fakeMedia) SetMuted(bool) {}

// SetHost records the host and offers to it, as call/media does.
func (f *fakeMedia) SetHost(host string) error {
	f.mu.Lock()
	f.hosts = append(f.hosts, host)
	f.mu.Unlock()
	if host != "" {
		f.signal(host, []byte("sfu offer from "+f.self))
	}
	return nil
}

func (f *fakeMedia) Stats() []PeerStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []PeerStats
	for p := range f.connected {
		st := PeerStats{Peer: p, Audio: true, FramesReceived: 10, FramesDecrypted: 9, LatencyP50: 20 * time.Millisecond}
		if f.failing[p] {
			f.fails += 10
			st.FramesReceived, st.DecryptFailures = 10+f.fails, f.fails
		}
		out = append(out, st)
	}
	return out
}

func (f *fakeMedia) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

func (f *fakeMedia) lastSend() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sendKIDs[len(f.sendKIDs)-1]
}

func (f *fakeMedia) recvFrom(p string) []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.recv[p])
}

// testNet is a community with one group, its members' Managers joined by
// net.Pipe streams, and a shared call record.
type testNet struct {
	t       *testing.T
	cid     crdt.ID
	gid     crdt.ID
	mu      sync.Mutex
	members map[crdt.PublicKey]bool
	admins  map[crdt.PublicKey]bool
	keys    map[string]crdt.PublicKey
	mgrs    map[crdt.PublicKey]*Manager
	relays  []crdt.PublicKey               // SFU relays the members reach
	servers map[crdt.PublicKey]Responder   // relays' host servers
	hosts   map[crdt.PublicKey][]*fakeHost // the SFUs each node ran
	reach   map[crdt.PublicKey]uint8       // each node's reach; absent: it cannot host
	medias  map[crdt.PublicKey][]*fakeMedia
	records map[crdt.ID]Record
	ends    map[crdt.ID][]crdt.PublicKey
	lapses  map[crdt.ID]int // lapsed ends recorded, by call
	// slow holds the links (from, to) whose messages take longer than
	// any sender waits: each waits for its context to end, then fails.
	slow map[[2]crdt.PublicKey]bool
	// delay holds how long messages on a link (from, to) take.
	delay map[[2]crdt.PublicKey]time.Duration
	n     byte
}

func newTestNet(t *testing.T) *testNet {
	return &testNet{t: t, cid: crdt.ID{1}, gid: crdt.ID{2}, members: map[crdt.PublicKey]bool{}, admins: map[crdt.PublicKey]bool{},
		keys: map[string]crdt.PublicKey{}, mgrs: map[crdt.PublicKey]*Manager{}, medias: map[crdt.PublicKey][]*fakeMedia{},
		records: map[crdt.ID]Record{}, ends: map[crdt.ID][]crdt.PublicKey{}, lapses: map[crdt.ID]int{},
		hosts: map[crdt.PublicKey][]*fakeHost{}, reach: map[crdt.PublicKey]uint8{}, servers: map[crdt.PublicKey]Responder{}}
}

func peerID(k crdt.PublicKey) string { return hex.EncodeToString(k[:4]) }

// node adds a node; a liar's Members lets everyone into every call.
func (w *testNet) node(name string, member, admin, liar bool) *Manager {
	return w.nodeICE(name, member, admin, liar, nil)
}

// oliviaCallsAnn adds members olivia and ann; olivia starts a call and
// ann joins it once rung.
func (w *testNet) oliviaCallsAnn() (olivia, ann *Manager, id crdt.ID) {
	w.t.Helper()
	olivia, ann = w.node("olivia", true, false, false), w.node("ann", true, false, false)
	id = w.start(olivia)
	if err := ann.Join(w.t.Context(), w.cid, id, false, true); err != nil {
		w.t.Fatal(err)
	}
	return olivia, ann, id
}

// start has m start a voice call in the group and lets the ring reach
// the members.
func (w *testNet) start(m *Manager) crdt.ID {
	w.t.Helper()
	id, err := m.Start(w.t.Context(), w.cid, w.gid, false, true)
	if err != nil {
		w.t.Fatal(err)
	}
	synctest.Wait()
	return id
}

// nodeICE is node with ice as its ICE servers' source.
func (w *testNet) nodeICE(name string, member, admin, liar bool, ice ICESource) *Manager {
	k := crdt.PublicKey{}
	copy(k[:], name)
	// Calls may run while a node is added (a late joiner): the maps are
	// read under mu by their goroutines.
	w.mu.Lock()
	w.keys[name] = k
	w.members[k], w.admins[k] = member, admin
	w.mu.Unlock()
	m, err := New(Config{Self: k, PeerID: peerID, Members: members{w, liar}, Send: sender{w, k}, Recorder: recorder{w, k},
		Host: w.newHost(k), Reach: w.reachOf(k),
		Now: time.Now, ICE: ice, Media: func(cfg MediaConfig) (Media, error) {
			f := &fakeMedia{w: w, self: cfg.Self, signal: cfg.Signal, recv: map[string][]uint64{}, live: map[string][]uint64{},
				connected: map[string]bool{}, blobs: map[string]int{}, lost: cfg.HostLost, ice: cfg.ICEServers, layers: cfg.Layers}
			w.mu.Lock()
			w.medias[k] = append(w.medias[k], f)
			w.mu.Unlock()
			return f, nil
		}})
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { m.Close() })
	w.mu.Lock()
	w.mgrs[k] = m
	w.mu.Unlock()
	return m
}

func (w *testNet) media(name string) *fakeMedia {
	w.mu.Lock()
	defer w.mu.Unlock()
	ms := w.medias[w.keys[name]]
	return ms[len(ms)-1]
}

func (w *testNet) setMember(name string, in bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.members[w.keys[name]] = in
}

type members struct {
	w    *testNet
	liar bool
}

func (m members) MayCall(_, _ crdt.ID, k crdt.PublicKey) bool {
	m.w.mu.Lock()
	defer m.w.mu.Unlock()
	return m.liar || m.w.members[k]
}

func (m members) MayEndCall(cid, gid crdt.ID, k, caller crdt.PublicKey) bool {
	m.w.mu.Lock()
	admin := m.w.admins[k]
	m.w.mu.Unlock()
	return m.MayCall(cid, gid, k) && (k == caller || admin)
}

func (m members) Online(_, _ crdt.ID) []crdt.PublicKey {
	m.w.mu.Lock()
	defer m.w.mu.Unlock()
	var out []crdt.PublicKey
	for k, in := range m.w.members {
		if in {
			out = append(out, k)
		}
	}
	return out
}

func (m members) Name(_ crdt.ID, k crdt.PublicKey) string { return string(k[:3]) }

func (m members) Hosts(crdt.ID) []crdt.PublicKey {
	m.w.mu.Lock()
	defer m.w.mu.Unlock()
	return slices.Clone(m.w.relays)
}

type sender struct {
	w    *testNet
	self crdt.PublicKey
}

// Send carries m over a net.Pipe to the peer's Manager.
func (s sender) Send(ctx context.Context, to crdt.PublicKey, m *Message) (*Reply, error) {
	var peer Responder
	s.w.mu.Lock()
	if m := s.w.mgrs[to]; m != nil {
		peer = m
	} else if srv := s.w.servers[to]; srv != nil {
		peer = srv
	}
	slow := s.w.slow[[2]crdt.PublicKey{s.self, to}]
	delay := s.w.delay[[2]crdt.PublicKey{s.self, to}]
	s.w.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, fmt.Errorf("slow link: %w", ctx.Err())
		}
	}
	if slow {
		<-ctx.Done()
		return nil, fmt.Errorf("slow link: %w", ctx.Err())
	}
	if peer == nil {
		return nil, errors.New("unreachable")
	}
	a, b := net.Pipe()
	defer a.Close()
	go func() {
		defer b.Close()
		Handle(ctx, peer, b, s.self)
	}()
	return Exchange(a, m)
}

type recorder struct {
	w    *testNet
	self crdt.PublicKey
}

func (r recorder) RecordStart(_ context.Context, cid, gid crdt.ID, video bool) (crdt.ID, error) {
	r.w.mu.Lock()
	defer r.w.mu.Unlock()
	r.w.n++
	id := crdt.ID{0xca, r.w.n}
	r.w.records[id] = Record{Group: gid, Caller: r.self, Video: video, Started: time.Now()}
	return id, nil
}

func (r recorder) RecordEnd(_ context.Context, cid, gid, id crdt.ID, d time.Duration, joined []crdt.PublicKey) error {
	r.w.mu.Lock()
	defer r.w.mu.Unlock()
	slices.SortFunc(joined, func(a, b crdt.PublicKey) int { return slices.Compare(a[:], b[:]) })
	r.w.ends[id] = joined
	rec := r.w.records[id]
	rec.Ended = true
	r.w.records[id] = rec
	return nil
}

func (r recorder) RecordLapsed(_ context.Context, cid, gid, id crdt.ID, d time.Duration, joined []crdt.PublicKey) error {
	r.w.mu.Lock()
	defer r.w.mu.Unlock()
	r.w.lapses[id]++
	rec := r.w.records[id]
	if !rec.Ended {
		slices.SortFunc(joined, func(a, b crdt.PublicKey) int { return slices.Compare(a[:], b[:]) })
		r.w.ends[id] = joined
		rec.Ended, rec.Lapsed = true, true
	}
	r.w.records[id] = rec
	return nil
}

func (r recorder) Lookup(_, id crdt.ID) (Record, bool) {
	r.w.mu.Lock()
	defer r.w.mu.Unlock()
	rec, ok := r.w.records[id]
	return rec, ok
}

// keysFrom checks that receiver got sender's current send key, and
// returns the key ids it got from sender.
func (w *testNet) checkHasKey(receiver, sender string) {
	w.t.Helper()
	kid := w.media(sender).lastSend()
	if got := w.media(receiver).recvFrom(peerID(w.keys[sender])); !slices.Contains(got, kid) {
		w.t.Fatalf("%s has keys %v of %s, not its current key %d", receiver, got, sender, kid)
	}
}

// checkNoKey checks that receiver never got sender's current send key.
func (w *testNet) checkNoKey(receiver, sender string) {
	w.t.Helper()
	kid := w.media(sender).lastSend()
	if got := w.media(receiver).recvFrom(peerID(w.keys[sender])); slices.Contains(got, kid) || len(got) > 0 && slices.Max(got) >= kid {
		w.t.Fatalf("%s got %s's key %d (keys %v)", receiver, sender, kid, got)
	}
}

func participants(t *testing.T, m *Manager, cid, id crdt.ID) []string {
	t.Helper()
	calls := m.Fill(cid, nil)
	for _, c := range calls {
		if c.ID == id {
			slices.Sort(c.Participants)
			return c.Participants
		}
	}
	t.Fatalf("call %s not listed", id.Short())
	return nil
}

// TestCallKeysFollowTheRoster: the caller rings the group; members join
// and each gets every other participant's current key; a newcomer gets
// no key used before it joined; a leaver, and a member removed from the
// group mid-call, get no key made after; a non-member's join is refused
// even by a node that lets it in; the end reaches everyone and is
// recorded with who took part.
func TestCallKeysFollowTheRoster(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		olivia := w.node("olivia", true, true, false)
		ann := w.node("ann", true, false, false)
		ben := w.node("ben", true, false, false)
		mallory := w.node("mallory", false, false, true)
		cid, gid := w.cid, w.gid

		id, err := olivia.Start(t.Context(), cid, gid, true, true)
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if calls := ann.Fill(cid, nil); len(calls) != 1 || calls[0].ID != id || !calls[0].Active || calls[0].Joined {
			t.Fatalf("ann after the ring: %+v", calls)
		}
		if calls := mallory.Fill(cid, nil); len(calls) != 0 {
			t.Fatalf("a non-member was rung: %+v", calls)
		}

		if err := ann.Join(t.Context(), cid, id, false, true); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		w.checkHasKey("ann", "olivia")
		w.checkHasKey("olivia", "ann")
		beforeBen := w.media("olivia").lastSend()

		if err := ben.Join(t.Context(), cid, id, false, true); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		for _, a := range []string{"olivia", "ann", "ben"} {
			for _, b := range []string{"olivia", "ann", "ben"} {
				if a != b {
					w.checkHasKey(a, b)
				}
			}
		}
		if got := w.media("ben").recvFrom(peerID(w.keys["olivia"])); slices.Min(got) <= beforeBen {
			t.Fatalf("ben got olivia's key %v from before he joined (then %d)", got, beforeBen)
		}
		want := []string{peerID(w.keys["ann"]), peerID(w.keys["ben"]), peerID(w.keys["olivia"])}
		slices.Sort(want)
		for _, m := range []*Manager{olivia, ann, ben} {
			if got := participants(t, m, cid, id); !slices.Equal(got, want) {
				t.Fatalf("participants %v, want %v", got, want)
			}
		}
		// Media messages went from the lower peer id to the higher.
		lo, hi := "ann", "ben"
		if peerID(w.keys[lo]) > peerID(w.keys[hi]) {
			lo, hi = hi, lo
		}
		if w.media(hi).blobs[peerID(w.keys[lo])] == 0 {
			t.Fatalf("%s's offer did not reach %s", lo, hi)
		}
		st, err := ann.Status(cid, id)
		if err != nil || st.Topology != api.TopologyMesh || len(st.Participants) != 3 || !st.Participants[0].Self ||
			st.Participants[1].FramesReceived != 10 || st.Participants[1].LatencyP50 != 20 {
			t.Fatalf("status %+v, %v", st, err)
		}

		// A non-member who thinks it may join is refused by the others.
		if err := mallory.Join(t.Context(), cid, id, false, true); !errors.Is(err, api.ErrCallRefused) {
			t.Fatalf("a non-member's join: %v", err)
		}
		synctest.Wait()
		if got := participants(t, olivia, cid, id); slices.Contains(got, peerID(w.keys["mallory"])) {
			t.Fatal("a refused non-member is in the roster")
		}

		// Ben leaves: the others renew their keys, and he gets none.
		if err := ben.Leave(t.Context(), cid, id); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		w.checkNoKey("ben", "olivia")
		w.checkNoKey("ben", "ann")
		w.checkHasKey("olivia", "ann")
		w.checkHasKey("ann", "olivia")
		if !w.media("ben").closed {
			t.Fatal("ben's media still runs")
		}
		// Once KeyGrace has passed, each keeps only the newest key of each
		// sender.
		time.Sleep(KeyGrace + time.Second)
		synctest.Wait()
		if live := w.media("olivia").live[peerID(w.keys["ann"])]; len(live) != 1 {
			t.Fatalf("olivia keeps ann's keys %v after the grace", live)
		}

		// Ann is removed from the group mid-call: she is dropped and gets
		// no new key.
		if err := ben.Join(t.Context(), cid, id, false, true); err != nil {
			t.Fatalf("ben joins again: %v", err)
		}
		synctest.Wait()
		w.setMember("ann", false)
		for _, m := range []*Manager{olivia, ann, ben} {
			m.Recheck(cid)
		}
		synctest.Wait()
		w.checkNoKey("ann", "olivia")
		w.checkNoKey("ann", "ben")
		w.checkHasKey("ben", "olivia")
		want = []string{peerID(w.keys["ben"]), peerID(w.keys["olivia"])}
		slices.Sort(want)
		if got := participants(t, olivia, cid, id); !slices.Equal(got, want) {
			t.Fatalf("after ann's removal: %v, want %v", got, want)
		}
		if !w.media("ann").closed {
			t.Fatal("ann's media still runs after her removal")
		}

		// Ben may not end olivia's call; olivia ends it for everyone.
		if err := ben.End(t.Context(), cid, id); !errors.Is(err, crdt.ErrUnauthorized) {
			t.Fatalf("a member ends another's call: %v", err)
		}
		if err := olivia.End(t.Context(), cid, id); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if !w.media("ben").closed {
			t.Fatal("the end did not reach ben")
		}
		if calls := ben.Fill(cid, nil); len(calls) != 0 {
			t.Fatalf("an ended call unrecorded in the view is listed: %+v", calls)
		}
		took := w.ends[id]
		if len(took) != 3 { // olivia, ann and ben took part while olivia did
			t.Fatalf("end records %v", took)
		}
		if err := ben.Join(t.Context(), cid, id, false, true); !errors.Is(err, api.ErrCallEnded) {
			t.Fatalf("joining an ended call: %v", err)
		}
	})
}

// TestCallRemoveByAdmin: the caller or an admin drops a participant, who
// stops and gets no new key; a member may not.
func TestCallRemoveByAdmin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		ann := w.node("ann", true, false, false)
		ben := w.node("ben", true, false, false)
		cara := w.node("cara", true, true, false)
		id, err := ann.Start(t.Context(), w.cid, w.gid, false, true)
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		for _, m := range []*Manager{ben, cara} {
			if err := m.Join(t.Context(), w.cid, id, false, true); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if err := ben.Remove(t.Context(), w.cid, id, w.keys["cara"]); !errors.Is(err, crdt.ErrUnauthorized) {
			t.Fatalf("a member removes a participant: %v", err)
		}
		if err := cara.Remove(t.Context(), w.cid, id, w.keys["ben"]); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if !w.media("ben").closed {
			t.Fatal("ben was not dropped")
		}
		w.checkNoKey("ben", "ann")
		w.checkNoKey("ben", "cara")
		w.checkHasKey("ann", "cara")
		w.checkHasKey("cara", "ann")
	})
}

// TestCallWithoutMedia: with no media configured, nothing pretends: a
// start fails with api.ErrNoMedia and records nothing.
func TestCallWithoutMedia(t *testing.T) {
	w := newTestNet(t)
	k := crdt.PublicKey{1}
	m, err := New(Config{Self: k, PeerID: peerID, Members: members{w, false}, Send: sender{w, k}, Recorder: recorder{w, k}, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Start(t.Context(), w.cid, w.gid, false, true); !errors.Is(err, api.ErrNoMedia) {
		t.Fatalf("start without media: %v", err)
	}
	if err := m.Join(t.Context(), w.cid, crdt.ID{3}, false, true); !errors.Is(err, api.ErrNoMedia) {
		t.Fatalf("join without media: %v", err)
	}
	if len(w.records) != 0 {
		t.Fatal("a call was recorded")
	}
}

// TestRingsAreBounded: a member has at most MaxRingsPerCaller calls
// ringing at a node; calls not joined are forgotten after RingAge.
func TestRingsAreBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		ann := w.node("ann", true, false, false)
		ben := w.node("ben", true, false, false)
		for range MaxRingsPerCaller + 1 {
			if _, err := ann.Start(t.Context(), w.cid, w.gid, false, true); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
		}
		if calls := ben.Fill(w.cid, nil); len(calls) != MaxRingsPerCaller {
			t.Fatalf("ben has %d calls ringing, want %d", len(calls), MaxRingsPerCaller)
		}
		time.Sleep(RingAge + time.Minute)
		if _, err := ann.Start(t.Context(), w.cid, w.gid, false, true); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if calls := ben.Fill(w.cid, nil); len(calls) != 1 {
			t.Fatalf("ben has %d calls ringing after a day, want 1", len(calls))
		}
	})
}

// TestJoinAfterTheCallerLeft: a member who knows a call only from its
// record, whose caller has left, finds who takes part by asking the
// members it reaches, and joins them.
func TestJoinAfterTheCallerLeft(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		olivia, _, id := w.oliviaCallsAnn()
		if err := olivia.Leave(t.Context(), w.cid, id); err != nil {
			t.Fatal(err)
		}
		ben := w.node("ben", true, false, false) // not rung: only the record
		if err := ben.Join(t.Context(), w.cid, id, false, true); err != nil {
			t.Fatalf("ben joins after the caller left: %v", err)
		}
		synctest.Wait()
		w.checkHasKey("ben", "ann")
		w.checkHasKey("ann", "ben")
	})
}

// TestKeyGraceFollowsTheNewestKey: a receiver keeps a sender's earlier
// keys until KeyGrace has passed since its newest key came, not since
// the first of a burst.
func TestKeyGraceFollowsTheNewestKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		olivia, _, id := w.oliviaCallsAnn()
		synctest.Wait()
		time.Sleep(KeyGrace + time.Second)
		synctest.Wait()
		c := olivia.calls[callKey{w.cid, id}]
		live := func() []uint64 {
			f := w.media("ann")
			f.mu.Lock()
			defer f.mu.Unlock()
			return slices.Clone(f.live[peerID(w.keys["olivia"])])
		}
		olivia.rekey(c)
		first := w.media("olivia").lastSend()
		time.Sleep(2 * time.Second)
		olivia.rekey(c)
		second := w.media("olivia").lastSend()
		time.Sleep(1500 * time.Millisecond) // 3.5 s after the first key, 1.5 s after the second
		synctest.Wait()
		if got := live(); !slices.Contains(got, first) || !slices.Contains(got, second) {
			t.Fatalf("1.5 s after key %d ann holds %v", second, got)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if got := live(); !slices.Equal(got, []uint64{second}) {
			t.Fatalf("after the grace ann holds %v, want only %d", got, second)
		}
	})
}

// TestForgedRingIsBounded: a member's ring with a start in the far future
// and a roster of strangers neither shows the strangers as participants
// nor keeps the call ringing past RingAge.
func TestForgedRingIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		w.node("ann", true, false, false)
		ben := w.node("ben", true, false, false)
		w.node("cat", true, false, false)
		roster := [][]byte{}
		for i := range MaxParticipants - 2 {
			k := crdt.PublicKey{0xEE, byte(i)}
			roster = append(roster, k[:])
		}
		cat := w.keys["cat"]
		roster = append(roster, cat[:])
		annKey := w.keys["ann"]
		msg := &Message{Type: TypeRing, Community: w.cid[:], Call: bytes.Repeat([]byte{9}, 32), Group: w.gid[:], Caller: annKey[:],
			Started: time.Now().AddDate(50, 0, 0).UnixMilli(), Roster: roster}
		if err := msg.Check(); err != nil {
			t.Fatal(err)
		}
		if r := ben.Answer(t.Context(), annKey, msg); r.Error != "" {
			t.Fatalf("the ring was refused: %s", r.Error)
		}
		calls := ben.Fill(w.cid, nil)
		if len(calls) != 1 || len(calls[0].Participants) != 1 || calls[0].Participants[0] != peerID(cat) {
			t.Fatalf("ben's calls after the forged ring: %+v, want one with cat alone", calls)
		}
		if calls[0].Started.After(time.Now()) {
			t.Fatalf("the call starts in the future: %v", calls[0].Started)
		}
		time.Sleep(RingAge + time.Minute)
		if _, err := w.mgrs[w.keys["cat"]].Start(t.Context(), w.cid, w.gid, false, true); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		for _, c := range ben.Fill(w.cid, nil) {
			if c.ID == crdt.ID(bytes.Repeat([]byte{9}, 32)) {
				t.Fatalf("the forged call still rings after %v", RingAge)
			}
		}
	})
}

// TestNonParticipantAsksWhoTakesPart: a member not in a call, who heard
// of it only from its record (it started after the ring), or whose ring
// roster aged, lists who takes part as a participant answers, asked in
// the background at most every AskEvery.
func TestNonParticipantAsksWhoTakesPart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		olivia := w.node("olivia", true, false, false)
		ann := w.node("ann", true, false, false)
		ben := w.node("ben", true, false, false)
		id := w.start(olivia)
		if err := ann.Join(t.Context(), w.cid, id, false, true); err != nil {
			t.Fatal(err)
		}
		carl := w.node("carl", true, false, false) // not rung: only the record
		synctest.Wait()
		listed := func(m *Manager) []string {
			calls := m.Fill(w.cid, []api.Call{{ID: id, Group: w.gid, Active: true, Participants: []string{}}})
			if len(calls) != 1 {
				t.Fatalf("calls %+v", calls)
			}
			slices.Sort(calls[0].Participants)
			return calls[0].Participants
		}
		listed(carl)
		listed(ben)
		synctest.Wait()
		want := []string{peerID(w.keys["olivia"]), peerID(w.keys["ann"])}
		slices.Sort(want)
		for name, m := range map[string]*Manager{"carl": carl, "ben": ben} {
			if got := listed(m); !slices.Equal(got, want) {
				t.Fatalf("%s lists participants %v, want %v", name, got, want)
			}
		}
		// ann leaves: the answer changes once AskEvery has passed.
		if err := ann.Leave(t.Context(), w.cid, id); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := listed(carl); !slices.Equal(got, want) {
			t.Fatalf("carl asked again before AskEvery: %v", got)
		}
		time.Sleep(AskEvery)
		listed(carl)
		synctest.Wait()
		if got := listed(carl); !slices.Equal(got, []string{peerID(w.keys["olivia"])}) {
			t.Fatalf("carl after ann left lists %v", got)
		}
	})
}

// TestRemovedMemberListsNoRing: a member rung for a call and then removed
// from the group no longer lists the call.
func TestRemovedMemberListsNoRing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		olivia := w.node("olivia", true, false, false)
		ann := w.node("ann", true, false, false)
		if _, err := olivia.Start(t.Context(), w.cid, w.gid, false, true); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if calls := ann.Fill(w.cid, nil); len(calls) != 1 {
			t.Fatalf("ann after the ring: %+v", calls)
		}
		w.setMember("ann", false)
		if calls := ann.Fill(w.cid, nil); len(calls) != 0 {
			t.Fatalf("removed, ann lists %+v", calls)
		}
	})
}

// TestStatusOfACallKnownFromItsRecord: a node that knows a call only from
// its record (it restarted, or was never rung) says it is not in it, as a
// rung node does; an unknown call is unknown.
func TestStatusOfACallKnownFromItsRecord(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		olivia := w.node("olivia", true, false, false)
		ann := w.node("ann", true, false, false)
		id := w.start(olivia)
		carl := w.node("carl", true, false, false) // only the record
		for name, m := range map[string]*Manager{"ann": ann, "carl": carl} {
			if _, err := m.Status(w.cid, id); !errors.Is(err, api.ErrNotInCall) {
				t.Fatalf("%s's status of a call it is not in: %v", name, err)
			}
		}
		if _, err := carl.Status(w.cid, crdt.ID{9}); !errors.Is(err, api.ErrUnknownCall) {
			t.Fatalf("status of an unknown call: %v", err)
		}
	})
}
