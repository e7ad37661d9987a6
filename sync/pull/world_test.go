package pull

import (
	"context"
	"crypto/ed25519"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/sync/exchange"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// A world is a scheduler over fakes: a replica of roles and departures, a
// network of connected peers, a book, and a transport that records every
// pull and, when gate is set, holds each pull until it is released.

type member struct {
	p peer.ID
	k crdt.PublicKey
}

// newMember returns the i-th test member, with an Ed25519 key as real
// peers have.
func newMember(t *testing.T, i byte) member {
	t.Helper()
	seed := make([]byte, ed25519.SeedSize)
	seed[0] = i + 1
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	p, err := peerkey.FromPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	var k crdt.PublicKey
	copy(k[:], pub)
	return member{p, k}
}

type call struct {
	kind string // "pull", "control", "peers", "nudge", "push"
	p    peer.ID
	cid  crdt.ID
}

type world struct {
	t    *testing.T
	self member
	s    *Scheduler

	mu        sync.Mutex
	roles     map[crdt.ID]map[crdt.PublicKey]crdt.Role
	departed  map[crdt.ID]map[crdt.PublicKey]bool
	connected map[peer.ID]bool
	known     []peer.AddrInfo
	awaited   []crdt.ID
	pending   []crdt.ID
	remember  []peer.ID
	dialled   []peer.ID
	calls     []call
	events    []api.Event
	joined    []crdt.ID
	shared    []wire.PeerAddrs // the answer to KindPeers
	gate      chan struct{}    // when set, each pull waits for a value
	failPull  error
	relays    map[crdt.ID][]api.Relay // the relays registered with each community
	nudgeErr  string                  // a relay's answer to a nudge
	nudgeGate chan struct{}           // when set, each nudge waits for a value
	pushed    [][]byte                // the ops pushed (wire.KindPush)
	expected  []crdt.ID               // communities Expect was called for
	arrived   map[crdt.ID]map[crdt.PublicKey]bool
	addedBy   map[crdt.ID]string // who added self to each community (Community.AddedBy)
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, self: newMember(t, 0), roles: map[crdt.ID]map[crdt.PublicKey]crdt.Role{},
		departed: map[crdt.ID]map[crdt.PublicKey]bool{}, connected: map[peer.ID]bool{}}
	w.restart()
	return w
}

// restart starts a new scheduler on the world, as a node does after a
// restart: what the world holds (the book, the replica) stays.
func (w *world) restart() {
	s, err := New(w.t.Context(), Config{Self: w.self.p, Interval: time.Minute, Now: time.Now,
		Transport: w, Network: w, Replica: w, Book: w, Keys: w, Gossip: w, Local: w})
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(s.Close)
	w.s = s
}

// community makes a community whose members are self and ms.
func (w *world) community(id byte, ms ...member) crdt.ID {
	cid := crdt.ID{id}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.roles[cid] = map[crdt.PublicKey]crdt.Role{w.self.k: crdt.RoleOwner}
	for _, m := range ms {
		w.roles[cid][m.k] = crdt.RoleMember
	}
	w.departed[cid] = map[crdt.PublicKey]bool{}
	return cid
}

func (w *world) depart(cid crdt.ID, m member) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.roles[cid], m.k)
	w.departed[cid][m.k] = true
}

func (w *world) connect(ms ...member) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, m := range ms {
		w.connected[m.p] = true
	}
}

func (w *world) callsOf(kind string) []call {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []call
	for _, c := range w.calls {
		if c.kind == kind {
			out = append(out, c)
		}
	}
	return out
}

func (w *world) record(kind string, p peer.ID, cid crdt.ID) {
	w.mu.Lock()
	w.calls = append(w.calls, call{kind, p, cid})
	w.mu.Unlock()
}

// Transport.

func (w *world) Pull(ctx context.Context, p peer.ID, cid crdt.ID, rc *exchange.Progress) (exchange.Stats, error) {
	w.record("pull", p, cid)
	w.mu.Lock()
	gate, fail := w.gate, w.failPull
	w.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return exchange.Stats{}, ctx.Err()
		}
	}
	return exchange.Stats{Sessions: 1, RoundTrips: 2, Missing: 3}, fail
}

func (w *world) PullControl(ctx context.Context, p peer.ID, cid crdt.ID) error {
	w.record("control", p, cid)
	return nil
}

func (w *world) Request(ctx context.Context, p peer.ID, req *wire.Request) (*wire.Response, error) {
	cid := crdt.ID(req.Community)
	switch req.Kind {
	case wire.KindPeers:
		w.record("peers", p, cid)
		w.mu.Lock()
		defer w.mu.Unlock()
		return &wire.Response{Peers: w.shared}, nil
	case wire.KindNudge, wire.KindPush:
		if req.Kind == wire.KindPush {
			w.record("push", p, cid)
			w.mu.Lock()
			w.pushed = append(w.pushed, req.Ops...)
			w.mu.Unlock()
		} else {
			w.record("nudge", p, cid)
		}
		w.mu.Lock()
		gate := w.nudgeGate
		w.mu.Unlock()
		if gate != nil {
			<-gate
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		return &wire.Response{Error: w.nudgeErr}, nil
	}
	return nil, errors.New("unexpected request")
}

// Network.

func (w *world) Peers() []peer.ID {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []peer.ID
	for p, on := range w.connected {
		if on {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

func (w *world) Connected(p peer.ID) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.connected[p]
}

func (w *world) Connect(ctx context.Context, ai peer.AddrInfo) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dialled = append(w.dialled, ai.ID)
	return nil
}

func (w *world) PeerInfo(p peer.ID) peer.AddrInfo {
	return peer.AddrInfo{ID: p, Addrs: []ma.Multiaddr{ma.StringCast("/ip4/10.0.0.1/tcp/4001")}}
}

func (w *world) AddAddrs(peer.ID, []ma.Multiaddr, time.Duration) {}

// Replica.

func (w *world) Communities() []crdt.ID {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []crdt.ID
	for cid := range w.roles {
		out = append(out, cid)
	}
	slices.SortFunc(out, crdt.ID.Compare)
	return out
}

func (w *world) Role(cid crdt.ID, k crdt.PublicKey) crdt.Role {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.roles[cid][k]
}

func (w *world) Departure(cid crdt.ID, k crdt.PublicKey) *crdt.Departure {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.departed[cid][k] {
		return &crdt.Departure{}
	}
	return nil
}

func (w *world) ExpirePending(context.Context) (int, error) { return 0, nil }

func (w *world) Expect(cid crdt.ID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.expected = append(w.expected, cid)
}

func (w *world) Arrived(cid crdt.ID, k crdt.PublicKey) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.arrived[cid][k]
}

// Book.

func (w *world) Known() []peer.AddrInfo {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.known)
}

func (w *world) Remember(ai peer.AddrInfo) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.remember = append(w.remember, ai.ID)
}

func (w *world) Awaited(time.Time) []crdt.ID {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.awaited)
}

func (w *world) Pending() []crdt.ID {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.pending)
}

func (w *world) SetPending(cid crdt.ID, on bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !on {
		w.pending = slices.DeleteFunc(w.pending, func(c crdt.ID) bool { return c == cid })
	}
}

func (w *world) SetJoining(cid crdt.ID, on bool, _ time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !on {
		w.awaited = slices.DeleteFunc(w.awaited, func(c crdt.ID) bool { return c == cid })
	} else if !slices.Contains(w.awaited, cid) {
		w.awaited = append(w.awaited, cid)
	}
}

// Keys.

func (w *world) EnsureKeys(context.Context, peer.ID, crdt.ID) bool { return true }
func (w *world) Secret(crdt.ID) ([]byte, bool)                     { return []byte("s"), true }
func (w *world) FetchSecret(context.Context, peer.ID, crdt.ID) error {
	return nil
}
func (w *world) Tick() {}

// Gossip.

func (w *world) JudgeUnbacked(context.Context, peer.ID, crdt.ID, error) {}

func (w *world) JoinTopics(cid crdt.ID) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.joined = append(w.joined, cid)
	return nil
}

// Local.

func (w *world) Community(cid crdt.ID) (api.Community, error) {
	c := api.Community{ID: cid, Role: w.Role(cid, w.self.k).String()}
	w.mu.Lock()
	defer w.mu.Unlock()
	c.Relays = slices.Clone(w.relays[cid])
	c.AddedBy = w.addedBy[cid]
	return c, nil
}

func (w *world) Joining(crdt.ID) bool { return false }

func (w *world) Emit(e api.Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.events = append(w.events, e)
}
