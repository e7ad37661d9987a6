package call

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// fakeHost records what a Manager or HostServer asks of an SFU.
type fakeHost struct {
	mu      sync.Mutex
	offers  map[string]int
	dropped []string
	closed  bool
	layers  map[string][]byte // the latest layer request, by participant
	// allowed is whom each participant may exchange media with, as the
	// latest Allow said (absent: anyone); leaked records each media
	// flow an Allow opened between two participants, as "from>to", and
	// "*>to" when to connected with no Allow (it receives anyone's).
	allowed map[string][]string
	leaked  map[string]bool
}

func (h *fakeHost) Allow(peer string, from []string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.allowed == nil {
		h.allowed, h.leaked = map[string][]string{}, map[string]bool{}
	}
	h.allowed[peer] = slices.Clone(from)
	for _, o := range from {
		h.leaked[o+">"+peer] = true
	}
	return nil
}

// allowedOf is whom peer may exchange media with (nil, false: no Allow).
func (h *fakeHost) allowedOf(peer string) ([]string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a, ok := h.allowed[peer]
	return a, ok
}

// flowed reports whether from's media could ever reach to: an Allow
// let it, or to connected with no Allow.
func (h *fakeHost) flowed(from, to string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.leaked[from+">"+to] || h.leaked["*>"+to]
}

func (h *fakeHost) Layers(from string, blob []byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.layers == nil {
		h.layers = map[string][]byte{}
	}
	h.layers[from] = blob
	return nil
}

func (h *fakeHost) layersOf(from string) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.layers[from]
}

func (h *fakeHost) Offer(from string, blob []byte) ([]byte, error) {
	if !bytes.HasPrefix(blob, []byte("sfu offer from "+from)) {
		return nil, fmt.Errorf("not an SFU offer from %s: %q", from, blob)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, errors.New("closed")
	}
	h.offers[from]++
	if _, ok := h.allowed[from]; !ok {
		if h.leaked == nil {
			h.leaked = map[string]bool{}
		}
		h.leaked["*>"+from] = true
	}
	return []byte("answer to " + from), nil
}

func (h *fakeHost) Drop(peer string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.dropped = append(h.dropped, peer)
}

func (h *fakeHost) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	return nil
}

func (h *fakeHost) Participants() []string { return h.connected() }

func (h *fakeHost) connected() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for p := range h.offers {
		if !slices.Contains(h.dropped, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

func (h *fakeHost) offersFrom(p string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.offers[p]
}

func (h *fakeHost) wasDropped(p string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Contains(h.dropped, p)
}

// newHost is node k's NewHost: fake SFUs, recorded.
func (w *testNet) newHost(k crdt.PublicKey) NewHost {
	return func() (Host, error) {
		h := &fakeHost{offers: map[string]int{}}
		w.mu.Lock()
		defer w.mu.Unlock()
		w.hosts[k] = append(w.hosts[k], h)
		return h, nil
	}
}

// reachOf is node k's reach, as the test sets it.
func (w *testNet) reachOf(k crdt.PublicKey) func() uint8 {
	return func() uint8 {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.reach[k]
	}
}

// host returns the latest SFU node name ran, nil if none.
func (w *testNet) host(name string) *fakeHost {
	w.mu.Lock()
	defer w.mu.Unlock()
	hs := w.hosts[w.keys[name]]
	if len(hs) == 0 {
		return nil
	}
	return hs[len(hs)-1]
}

// hostOf is the host name's latest media was last moved to ("": mesh).
func (w *testNet) hostOf(name string) string {
	f := w.media(name)
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.hosts) == 0 {
		return ""
	}
	return f.hosts[len(f.hosts)-1]
}

// answered reports whether name's media got an answer from host.
func (w *testNet) answered(name, host string) bool {
	f := w.media(name)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.blobs[host] > 0
}

func (w *testNet) peer(name string) string { return peerID(w.keys[name]) }

func (w *testNet) checkHost(t *testing.T, host string, names ...string) {
	t.Helper()
	var want []string
	for _, n := range names {
		if got := w.hostOf(n); got != w.peer(host) {
			t.Fatalf("%s's media is on host %q, want %s's %q", n, got, host, w.peer(host))
		}
		if !w.answered(n, w.peer(host)) {
			t.Fatalf("%s got no answer from the host %s", n, host)
		}
		want = append(want, w.peer(n))
	}
	slices.Sort(want)
	if h := w.host(host); h == nil || !slices.Equal(h.connected(), want) {
		var got []string
		if h != nil {
			got = h.connected()
		}
		t.Fatalf("%s's SFU connects %v, want %v", host, got, want)
	}
}

func TestElect(t *testing.T) {
	k := func(b byte) crdt.PublicKey { return crdt.PublicKey{b} }
	parts := func(n int, reach ...uint8) map[crdt.PublicKey]uint8 {
		out := map[crdt.PublicKey]uint8{}
		for i := range n {
			out[k(byte(10+i))] = ReachDirect
			if i < len(reach) {
				out[k(byte(10+i))] = reach[i]
			}
		}
		return out
	}
	for _, c := range []struct {
		name     string
		parts    map[crdt.PublicKey]uint8
		video    bool
		stay     bool
		relays   []crdt.PublicKey
		lost     map[crdt.PublicKey]bool
		wantSFU  bool
		wantHost crdt.PublicKey
	}{
		{name: "4 with video: mesh", parts: parts(4), video: true},
		{name: "5 with video: SFU on the smallest key", parts: parts(5), video: true, wantSFU: true, wantHost: k(10)},
		{name: "6 voice: mesh", parts: parts(6)},
		{name: "7 voice: SFU", parts: parts(7), wantSFU: true, wantHost: k(10)},
		{name: "direct beats relayed", parts: parts(7, ReachRelayed, ReachNone), wantSFU: true, wantHost: k(12)},
		{name: "lost hosts are skipped", parts: parts(7), lost: map[crdt.PublicKey]bool{k(10): true, k(11): true}, wantSFU: true, wantHost: k(12)},
		{name: "relayed when nobody is direct", parts: parts(5, 1, 1, 1, 1, 1), video: true, wantSFU: true, wantHost: k(10)},
		{name: "nobody can host: mesh", parts: parts(5, 0, 0, 0, 0, 0), video: true},
		{name: "an SFU call that shrank stays on one", parts: parts(3), video: true, stay: true, wantSFU: true, wantHost: k(10)},
		{name: "an SFU call with no one to host: mesh", parts: parts(3, 0, 0, 0), stay: true},
		{name: "a relay serves: SFU even for two", parts: parts(2), relays: []crdt.PublicKey{k(3), k(2)}, wantSFU: true, wantHost: k(2)},
		{name: "a lost relay is skipped", parts: parts(2), relays: []crdt.PublicKey{k(2)}, lost: map[crdt.PublicKey]bool{k(2): true}},
	} {
		host, sfu := Elect(c.parts, c.video, c.stay, c.relays, c.lost)
		if sfu != c.wantSFU || host != c.wantHost {
			t.Errorf("%s: Elect = %x, %v; want %x, %v", c.name, host[:1], sfu, c.wantHost[:1], c.wantSFU)
		}
	}
}

// TestCallMovesToAnSFUAndFailsOver: a video call is a mesh up to four;
// the fifth moves everyone to one SFU host, the best-reachable
// participant with the smallest key, whose SFU connects each of them
// (itself too) and whose status says so. When the host leaves, everyone
// moves to the next by the same rule; when that one stops answering
// (each participant's media reports it lost), to the next again; a
// newcomer adopts the host in use rather than electing itself.
// videoCall has names[0] start a synthetic video call in the test
// group and the other names join it, and lets a second pass.
func (w *testNet) videoCall(t *testing.T, mgr map[string]*Manager, names []string) crdt.ID {
	t.Helper()
	id, err := mgr[names[0]].Start(t.Context(), w.cid, w.gid, true, true)
	if err != nil {
		t.Fatal(err)
	}
	synctest.Wait()
	for _, n := range names[1:] {
		if err := mgr[n].Join(t.Context(), w.cid, id, true, true); err != nil {
			t.Fatal(err)
		}
	}
	<-time.After(time.Second)
	return id
}

func TestCallMovesToAnSFUAndFailsOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		names := []string{"ann", "ben", "cara", "dan", "eve", "abe"}
		mgr := map[string]*Manager{}
		for _, n := range names {
			mgr[n] = w.node(n, true, false, false)
			w.reach[w.keys[n]] = ReachDirect
		}
		w.reach[w.keys["ann"]] = ReachRelayed // reached only through a circuit relay
		id, err := mgr["ann"].Start(t.Context(), w.cid, w.gid, true, true)
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		for _, n := range []string{"ben", "cara", "dan"} {
			if err := mgr[n].Join(t.Context(), w.cid, id, true, true); err != nil {
				t.Fatal(err)
			}
		}
		<-time.After(time.Second)
		for _, n := range []string{"ann", "ben", "cara", "dan"} {
			if h := w.hostOf(n); h != "" {
				t.Fatalf("four in a video call: %s is on host %q, want a mesh", n, h)
			}
			if st, err := mgr[n].Status(w.cid, id); err != nil || st.Topology != api.TopologyMesh || st.SFU != "" {
				t.Fatalf("%s's status: %+v, %v", n, st, err)
			}
		}

		if err := mgr["eve"].Join(t.Context(), w.cid, id, true, true); err != nil {
			t.Fatal(err)
		}
		<-time.After(time.Second)
		w.checkHost(t, "ben", "ann", "ben", "cara", "dan", "eve")
		for _, n := range []string{"ann", "ben", "cara", "dan", "eve"} {
			if st, err := mgr[n].Status(w.cid, id); err != nil || st.Topology != api.TopologySFU || st.SFU != w.peer("ben") {
				t.Fatalf("%s's status: %+v, %v", n, st, err)
			}
		}

		// The host leaves: the next direct one with the smallest key.
		if err := mgr["ben"].Leave(t.Context(), w.cid, id); err != nil {
			t.Fatal(err)
		}
		<-time.After(time.Second)
		if h := w.host("ben"); !h.closed {
			t.Fatal("ben's SFU still runs after he left")
		}
		w.checkHost(t, "cara", "ann", "cara", "dan", "eve")

		// cara stops answering: everyone's media reports her lost, again
		// while nothing comes (one who asked before the others noticed
		// reconnects, and moves on the next report).
		for range 2 {
			for _, n := range []string{"ann", "dan", "eve"} {
				w.media(n).lost(w.peer("cara"))
			}
			<-time.After(time.Second)
		}
		w.checkHost(t, "dan", "ann", "dan", "eve")
		if got := participants(t, mgr["ann"], w.cid, id); slices.Contains(got, w.peer("cara")) {
			t.Fatalf("the lost host is still a participant: %v", got)
		}

		// abe, direct with the smallest key, joins: he adopts dan.
		if err := mgr["abe"].Join(t.Context(), w.cid, id, true, true); err != nil {
			t.Fatal(err)
		}
		<-time.After(time.Second)
		w.checkHost(t, "dan", "abe", "ann", "dan", "eve")
		if h := w.host("abe"); h != nil {
			t.Fatal("the newcomer started an SFU of his own")
		}
	})
}

// TestSFUHostJudgesMembers: the participant hosting the SFU connects only
// participants crdt lets call: a non-member's offer is refused and never
// reaches the SFU; a member removed mid-call is dropped from the SFU at
// once.
func TestSFUHostJudgesMembers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		names := []string{"ann", "ben", "cara", "dan", "eve"}
		mgr := map[string]*Manager{}
		for _, n := range names {
			mgr[n] = w.node(n, true, false, false)
			w.reach[w.keys[n]] = ReachDirect
		}
		mallory := w.node("mallory", false, false, true)
		id := w.videoCall(t, mgr, names)
		w.checkHost(t, "ann", names...)

		msg := &Message{Type: TypeMedia, Community: w.cid[:], Call: id[:], Blob: []byte("sfu offer from " + w.peer("mallory"))}
		if r, err := (sender{w, w.keys["mallory"]}).Send(t.Context(), w.keys["ann"], msg); err != nil || r.Error == "" || len(r.Blob) > 0 {
			t.Fatalf("a non-member's offer: %+v, %v", r, err)
		}
		_ = mallory
		if got := w.host("ann").offers[w.peer("mallory")]; got != 0 {
			t.Fatal("a non-member's offer reached the SFU")
		}

		w.setMember("eve", false)
		for _, n := range names {
			mgr[n].Recheck(w.cid)
		}
		synctest.Wait()
		if !w.host("ann").wasDropped(w.peer("eve")) {
			t.Fatal("the SFU still forwards the removed eve's media")
		}
		w.checkHost(t, "ann", "ann", "ben", "cara", "dan")
	})
}

// TestRelayHostsTheSFU: with a relay that hosts SFUs serving the
// community, even a three-person call runs through it. The relay admits
// only whom its Admit allows, drops a participant the others report
// removed, and a leaver; the end stops its SFU.
//
// The relay cannot read removals, so it admits whom it knows is or was a
// member; a removed member (mallory, the trial's) who offers to the call
// it hosts is refused: no participant named her, while dan, who joined
// through the participants, gets in.
func TestRelayHostsTheSFU(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		names := []string{"ann", "ben", "cara", "dan"}
		w, mgr, srv := relayNet(t, names...)
		mallory := crdt.PublicKey{'m'}
		w.members[mallory] = false // removed
		w.relays = []crdt.PublicKey{{0xee}}

		id, err := mgr["ann"].Start(t.Context(), w.cid, w.gid, false, true)
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		for _, n := range names[1:3] {
			if err := mgr[n].Join(t.Context(), w.cid, id, false, true); err != nil {
				t.Fatal(err)
			}
		}
		<-time.After(time.Second)
		// ann, alone, had no SFU to move to until Hosts named the relay
		// at her first roster change; everyone is on it now.
		w.checkHost(t, "relay", names[:3]...)
		if st, err := mgr["ben"].Status(w.cid, id); err != nil || st.Topology != api.TopologySFU || st.SFU != w.peer("relay") {
			t.Fatalf("status: %+v, %v", st, err)
		}

		offer := func(k crdt.PublicKey) *Reply {
			return srv.Answer(t.Context(), k, &Message{Type: TypeMedia, Community: w.cid[:], Call: id[:], Blob: []byte("sfu offer from " + peerID(k))})
		}
		if r := offer(crdt.PublicKey{0x01}); r.Error == "" {
			t.Fatalf("the relay answered a stranger: %+v", r)
		}
		if r := offer(mallory); !strings.Contains(r.Error, "no participant of the call named you") {
			t.Fatalf("the removed mallory's offer: %q, want a refusal", r.Error)
		}
		if err := mgr["dan"].Join(t.Context(), w.cid, id, false, true); err != nil {
			t.Fatal(err)
		}
		<-time.After(time.Second)
		w.checkHost(t, "relay", names...)

		w.setMember("cara", false)
		for _, n := range names {
			mgr[n].Recheck(w.cid)
		}
		<-time.After(time.Second)
		if !w.host("relay").wasDropped(w.peer("cara")) {
			t.Fatal("the relay still forwards the removed cara's media")
		}
		for _, n := range []string{"ben", "dan"} {
			if err := mgr[n].Leave(t.Context(), w.cid, id); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			if !w.host("relay").wasDropped(w.peer(n)) {
				t.Fatalf("the relay still forwards %s's media after the leave", n)
			}
		}
		if err := mgr["ann"].End(t.Context(), w.cid, id); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if srv.Calls() != 0 {
			t.Fatalf("the relay hosts %d calls after the end", srv.Calls())
		}
	})
}

// TestHostServerMakesRoomFromDeadCalls: a relay hosting MaxCalls calls
// refuses another, unless some of them have nobody connected any more
// (participants that vanished without a leave): those stop and make room.
func TestHostServerMakesRoomFromDeadCalls(t *testing.T) {
	w := newTestNet(t)
	relay := crdt.PublicKey{0xee}
	srv, err := NewHostServer(HostServerConfig{PeerID: peerID, Host: w.newHost(relay),
		Admit: func(_ crdt.ID, k crdt.PublicKey) bool { return k[0] == 'm' }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	member := func(call byte) crdt.PublicKey { return crdt.PublicKey{'m', call} } // one each
	offer := func(call byte) *Reply {
		m := member(call)
		msg := &Message{Type: TypeMedia, Community: w.cid[:], Call: []byte{call, 31: 0}, Blob: []byte("sfu offer from " + peerID(m))}
		return srv.Answer(t.Context(), m, msg)
	}
	for i := range MaxCalls {
		if r := offer(byte(i)); r.Error != "" {
			t.Fatalf("call %d: %s", i, r.Error)
		}
	}
	if r := offer(MaxCalls); r.Error == "" {
		t.Fatal("a relay hosting MaxCalls calls took one more")
	}
	w.mu.Lock()
	dead := w.hosts[relay][3]
	w.mu.Unlock()
	dead.Drop(peerID(member(3))) // its connection failed
	if r := offer(MaxCalls); r.Error != "" {
		t.Fatalf("no room made from a dead call: %s", r.Error)
	}
	if !dead.closed || srv.Calls() != MaxCalls {
		t.Fatalf("the dead call's SFU closed: %v; calls hosted: %d", dead.closed, srv.Calls())
	}
}

// TestHostServerBoundsOneMembersCalls: a member (the trial's hostile one)
// who offers to the SFUs of calls of made-up ids takes part in at most
// MaxHostedPerMember of them: each offer beyond takes her out of the call
// she connected to first (its SFU stops once nobody is left), instead of
// filling the relay's MaxCalls so that no real call finds a host; the
// others in such a call stay, and others' calls are still served. A
// member whose calls moved away from the relay while her connections
// there lived on (a second trial: her next call through it got no media
// at all, "already in 2 calls on this relay") gets into her next call.
func TestHostServerBoundsOneMembersCalls(t *testing.T) {
	w := newTestNet(t)
	mallory, ben := crdt.PublicKey{'m'}, crdt.PublicKey{'b'}
	relay := crdt.PublicKey{0xee}
	srv, err := NewHostServer(HostServerConfig{PeerID: peerID, Host: w.newHost(relay),
		Admit: func(_ crdt.ID, k crdt.PublicKey) bool { return k == mallory || k == ben }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	offer := func(from crdt.PublicKey, call byte) *Reply {
		msg := &Message{Type: TypeMedia, Community: w.cid[:], Call: []byte{call, 31: 0}, Blob: []byte("sfu offer from " + peerID(from))}
		return srv.Answer(t.Context(), from, msg)
	}
	in := func(k crdt.PublicKey, call byte) bool {
		key := callKey{cid: w.cid}
		key.id[0] = call
		srv.mu.Lock()
		defer srv.mu.Unlock()
		hc := srv.calls[key]
		return hc != nil && hc.parts[k]
	}
	if r := offer(ben, 0); r.Error != "" { // ben's call, which mallory joins first
		t.Fatalf("ben's call: %s", r.Error)
	}
	for i := range MaxHostedPerMember {
		if r := offer(mallory, byte(i)); r.Error != "" {
			t.Fatalf("call %d: %s", i, r.Error)
		}
	}
	if r := offer(mallory, 0); r.Error != "" {
		t.Fatalf("an offer again to a call she is in: %s", r.Error)
	}
	for i := MaxHostedPerMember; i < 20; i++ {
		if r := offer(mallory, byte(i)); r.Error != "" {
			t.Fatalf("her offer to call %d: %s", i, r.Error)
		}
	}
	if n := srv.Calls(); n != MaxHostedPerMember+1 {
		t.Fatalf("after her offers to 20 calls the relay hosts %d, want her %d and ben's", n, MaxHostedPerMember)
	}
	if in(mallory, 0) || !in(ben, 0) {
		t.Fatalf("ben's call, which she joined first: she is in it %v, ben %v; want her out, ben in", in(mallory, 0), in(ben, 0))
	}
	if !in(mallory, 18) || !in(mallory, 19) {
		t.Fatal("she is not in her two latest calls")
	}
	if r := offer(ben, 30); r.Error != "" {
		t.Fatalf("ben's second call: %s", r.Error)
	}
}

// TestHostServerTakesNoOnesWordAlone: a relay cannot judge roles, so one
// participant's Remove of another is not enough in a call of three (the
// trial's hostile member silenced a participant that way), nor is an End
// from anyone: it only takes the sender out. A majority of the others
// saying a participant is out (as every participant's node does on a
// removal) drops it.
func TestHostServerTakesNoOnesWordAlone(t *testing.T) {
	w := newTestNet(t)
	ann, ben, cara := crdt.PublicKey{'a'}, crdt.PublicKey{'b'}, crdt.PublicKey{'c'}
	relay := crdt.PublicKey{0xee}
	w.keys["relay"] = relay
	srv, err := NewHostServer(HostServerConfig{PeerID: peerID, Host: w.newHost(relay),
		Admit: func(_ crdt.ID, k crdt.PublicKey) bool { return k == ann || k == ben || k == cara }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	id := crdt.ID{9}
	send := func(from crdt.PublicKey, typ uint8, peer crdt.PublicKey) {
		t.Helper()
		msg := &Message{Type: typ, Community: w.cid[:], Call: id[:]}
		switch typ {
		case TypeMedia:
			msg.Blob = []byte("sfu offer from " + peerID(from))
		case TypeRemove:
			msg.Peer = peer[:]
		}
		if r := srv.Answer(t.Context(), from, msg); r.Error != "" {
			t.Fatalf("%v from %s: %s", typ, peerID(from), r.Error)
		}
	}
	send(ann, TypeMedia, crdt.PublicKey{}) // she starts the SFU and names the others
	if r := srv.Answer(t.Context(), ann, &Message{Type: TypeRoster, Community: w.cid[:], Call: id[:],
		Roster: [][]byte{ann[:], ben[:], cara[:]}}); r.Error != "" {
		t.Fatal(r.Error)
	}
	send(ben, TypeMedia, crdt.PublicKey{})
	send(cara, TypeMedia, crdt.PublicKey{})
	send(ben, TypeRemove, cara)
	send(ben, TypeRemove, cara) // saying it twice is still one word
	if w.host("relay").wasDropped(peerID(cara)) {
		t.Fatal("one participant's word dropped cara")
	}
	send(ben, TypeEnd, crdt.PublicKey{})
	if srv.Calls() != 1 || !w.host("relay").wasDropped(peerID(ben)) || w.host("relay").wasDropped(peerID(ann)) {
		t.Fatalf("ben's End: calls hosted %d, ben dropped %v, ann dropped %v", srv.Calls(),
			w.host("relay").wasDropped(peerID(ben)), w.host("relay").wasDropped(peerID(ann)))
	}
	// ann is now the only other participant: her word is a majority.
	send(ann, TypeRemove, cara)
	if !w.host("relay").wasDropped(peerID(cara)) {
		t.Fatal("the majority's word did not drop cara")
	}
	// Dropped so (a removed member the relay still knows), she cannot
	// connect to the call's SFU again; ben, who left, can.
	if r := srv.Answer(t.Context(), cara, &Message{Type: TypeMedia, Community: w.cid[:], Call: id[:], Blob: []byte("sfu offer from " + peerID(cara))}); r.Error == "" {
		t.Fatal("cara, dropped by the others' word, connected again")
	}
	send(ben, TypeMedia, crdt.PublicKey{})
}

// TestLayerRequestsReachTheHost: a participant's layer request travels
// to the call's SFU host, whether a participant or a relay hosts it, and
// the host takes one only from a participant it connects; in a mesh
// there is no host to ask.
func TestLayerRequestsReachTheHost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		names := []string{"ann", "ben", "cara", "dan", "eve"}
		mgr := map[string]*Manager{}
		for _, n := range names {
			mgr[n] = w.node(n, true, false, false)
			w.reach[w.keys[n]] = ReachDirect
		}
		w.node("mallory", false, false, true)
		id, err := mgr["ann"].Start(t.Context(), w.cid, w.gid, true, true)
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if err := w.media("ann").layers([]byte("alone")); !errors.Is(err, ErrNoHost) {
			t.Fatalf("a layer request in a mesh: %v, want ErrNoHost", err)
		}
		for _, n := range names[1:] {
			if err := mgr[n].Join(t.Context(), w.cid, id, true, true); err != nil {
				t.Fatal(err)
			}
		}
		<-time.After(time.Second)
		w.checkHost(t, "ann", names...)
		for _, n := range []string{"ben", "ann"} { // a participant, and the host itself
			if err := w.media(n).layers([]byte("tiles of " + n)); err != nil {
				t.Fatalf("%s's layer request: %v", n, err)
			}
			synctest.Wait()
			if got := string(w.host("ann").layersOf(w.peer(n))); got != "tiles of "+n {
				t.Fatalf("the host has %s's layer request as %q", n, got)
			}
		}
		msg := &Message{Type: TypeLayers, Community: w.cid[:], Call: id[:], Blob: []byte("mallory's tiles")}
		if r, err := (sender{w, w.keys["mallory"]}).Send(t.Context(), w.keys["ann"], msg); err != nil || r.Error == "" {
			t.Fatalf("a non-member's layer request: %+v, %v", r, err)
		}
		if r, err := (sender{w, w.keys["cara"]}).Send(t.Context(), w.keys["ben"], msg); err != nil || r.Error == "" {
			t.Fatalf("a layer request to a participant that does not host: %+v, %v", r, err)
		}
		if got := w.host("ann").layersOf(w.peer("mallory")); got != nil {
			t.Fatalf("a non-member's layer request reached the SFU: %q", got)
		}
		if err := w.media("ben").layers(make([]byte, MaxLayersBlob+1)); err == nil {
			t.Fatal("a layer request over MaxLayersBlob was sent")
		}

		relay := crdt.PublicKey{0xee}
		w.keys["relay"] = relay
		srv, err := NewHostServer(HostServerConfig{PeerID: peerID, Host: w.newHost(relay),
			Admit: func(_ crdt.ID, k crdt.PublicKey) bool { return (members{w, false}).MayCall(w.cid, w.gid, k) }})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		msg.Blob = []byte("sfu offer from " + w.peer("ben"))
		msg.Type = TypeMedia
		if r := srv.Answer(t.Context(), w.keys["ben"], msg); r.Error != "" {
			t.Fatalf("the relay refused ben's offer: %s", r.Error)
		}
		msg.Type, msg.Blob = TypeLayers, []byte("ben's tiles")
		if r := srv.Answer(t.Context(), w.keys["ben"], msg); r.Error != "" {
			t.Fatalf("the relay refused ben's layer request: %s", r.Error)
		}
		if got := string(w.host("relay").layersOf(w.peer("ben"))); got != "ben's tiles" {
			t.Fatalf("the relay's SFU has ben's request as %q", got)
		}
		if r := srv.Answer(t.Context(), w.keys["cara"], msg); r.Error == "" {
			t.Fatal("the relay took a layer request from a member not connected to its SFU")
		}
		if got := w.host("relay").layersOf(w.peer("cara")); got != nil {
			t.Fatalf("an unconnected member's layer request reached the relay's SFU: %q", got)
		}
	})
}

// TestHostLostByOneDoesNotSplit: when only ann's media loses the host
// (her own link failed) she asks the others, who still have it, and
// reconnects to it rather than elect a host of her own: the call stays
// on one SFU. When everyone loses it, it is lost and all move to the
// same next host.
func TestHostLostByOneDoesNotSplit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		names := []string{"ann", "ben", "cara", "dan", "eve"}
		mgr := map[string]*Manager{}
		for _, n := range names {
			mgr[n] = w.node(n, true, false, false)
			w.reach[w.keys[n]] = ReachDirect
		}
		w.reach[w.keys["ann"]] = ReachRelayed
		id := w.videoCall(t, mgr, names)
		w.checkHost(t, "ben", names...)
		before := w.host("ben").offersFrom(w.peer("ann"))

		// Only ann's media loses ben.
		w.media("ann").lost(w.peer("ben"))
		<-time.After(time.Second)
		w.checkHost(t, "ben", names...)
		if got := w.host("ben").offersFrom(w.peer("ann")); got <= before {
			t.Fatalf("ann did not reconnect to ben: %d offers, %d before", got, before)
		}
		if got := participants(t, mgr["ann"], w.cid, id); !slices.Contains(got, w.peer("ben")) {
			t.Fatalf("ann dropped the host the others still have: %v", got)
		}
		for _, n := range []string{"cara", "dan", "eve"} {
			if w.host(n) != nil {
				t.Fatalf("%s runs an SFU: the call split", n)
			}
		}

		// Everyone's media loses ben, and goes on reporting it as media
		// does while nothing comes: he is gone, and all move to cara (one
		// who asked before the others noticed, and reconnected, moves on
		// the next report).
		for range 2 {
			for _, n := range []string{"ann", "cara", "dan", "eve"} {
				w.media(n).lost(w.peer("ben"))
			}
			<-time.After(time.Second)
		}
		w.checkHost(t, "cara", "ann", "cara", "dan", "eve")
	})
}

// badOfferHost is an SFU that refuses every offer and layer request with
// an error of call/sfu's form ("sfu: …").
type badOfferHost struct{ *fakeHost }

func (badOfferHost) Offer(string, []byte) ([]byte, error) {
	return nil, errors.New("sfu: bad offer: no audio section")
}

// TestHostServerRefusalPrefixedOnce: the relay's refusal of an offer its
// SFU rejects says "sfu: " once, whether the SFU's error has the prefix
// or not (the trial saw "sfu: sfu: bad offer…").
func TestHostServerRefusalPrefixedOnce(t *testing.T) {
	w := newTestNet(t)
	m := crdt.PublicKey{'m'}
	for _, tc := range []struct {
		name string
		host NewHost
		blob string
		want string
	}{
		{"sfu error", func() (Host, error) { return badOfferHost{&fakeHost{offers: map[string]int{}}}, nil },
			"sfu offer from " + peerID(m), "sfu: bad offer: no audio section"},
		{"other error", w.newHost(crdt.PublicKey{0xee}), "junk",
			`sfu: not an SFU offer from ` + peerID(m) + `: "junk"`},
	} {
		srv, err := NewHostServer(HostServerConfig{PeerID: peerID, Host: tc.host,
			Admit: func(crdt.ID, crdt.PublicKey) bool { return true }})
		if err != nil {
			t.Fatal(err)
		}
		msg := &Message{Type: TypeMedia, Community: w.cid[:], Call: []byte{1, 31: 0}, Blob: []byte(tc.blob)}
		if r := srv.Answer(t.Context(), m, msg); r.Error != tc.want {
			t.Errorf("%s: refusal %q, want %q", tc.name, r.Error, tc.want)
		}
		srv.Close()
	}
}
