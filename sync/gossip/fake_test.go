package gossip

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/sync/replica"
)

// fakeReplica holds communities as sets of op ids and members' roles.
type fakeReplica struct {
	mu       sync.Mutex
	held     map[crdt.ID]map[crdt.ID]bool // community → accepted op ids
	parked   map[crdt.ID]bool
	roles    map[crdt.ID]map[crdt.PublicKey]crdt.Role
	ingested []*crdt.Op
}

var _ Replica = (*fakeReplica)(nil)

func newFakeReplica() *fakeReplica {
	return &fakeReplica{held: map[crdt.ID]map[crdt.ID]bool{}, parked: map[crdt.ID]bool{}, roles: map[crdt.ID]map[crdt.PublicKey]crdt.Role{}}
}

// community adds a community whose genesis is cid, with members.
func (r *fakeReplica) community(cid crdt.ID, members ...crdt.PublicKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.held[cid] = map[crdt.ID]bool{cid: true}
	r.roles[cid] = map[crdt.PublicKey]crdt.Role{}
	for _, k := range members {
		r.roles[cid][k] = crdt.RoleMember
	}
}

func (r *fakeReplica) lacksLocked(cid crdt.ID, op *crdt.Op) []crdt.ID {
	var out []crdt.ID
	for _, id := range append(append([]crdt.ID(nil), op.Parents...), op.Deps...) {
		if !r.held[cid][id] {
			out = append(out, id)
		}
	}
	return out
}

func (r *fakeReplica) Ingest(_ context.Context, op *crdt.Op) (replica.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cid := op.CommunityID()
	if r.held[cid] == nil {
		return replica.Result{}, replica.ErrUnknownCommunity
	}
	r.ingested = append(r.ingested, op)
	if m := r.lacksLocked(cid, op); len(m) > 0 {
		r.parked[op.ID()] = true
		return replica.Result{Outcome: replica.Parked, Missing: m}, nil
	}
	r.held[cid][op.ID()] = true
	return replica.Result{Outcome: replica.Accepted, Accepted: []*crdt.Op{op}}, nil
}

func (r *fakeReplica) Lacks(cid crdt.ID, op *crdt.Op) ([]crdt.ID, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.held[cid] == nil {
		return nil, replica.ErrUnknownCommunity
	}
	return r.lacksLocked(cid, op), nil
}

func (r *fakeReplica) Holds(_ context.Context, id crdt.ID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.parked[id] {
		return true
	}
	for _, ops := range r.held {
		if ops[id] {
			return true
		}
	}
	return false
}

func (r *fakeReplica) Role(cid crdt.ID, k crdt.PublicKey) crdt.Role {
	r.mu.Lock()
	defer r.mu.Unlock()
	if role, ok := r.roles[cid][k]; ok {
		return role
	}
	return crdt.RoleNone
}

func (r *fakeReplica) Readable(cid crdt.ID, k crdt.PublicKey) ([]crdt.ID, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.held[cid] == nil {
		return nil, replica.ErrUnknownCommunity
	}
	return []crdt.ID{crdt.ZeroID}, nil
}

func (r *fakeReplica) Readers(cid, _ crdt.ID, keys []crdt.PublicKey) []crdt.PublicKey {
	var out []crdt.PublicKey
	for _, k := range keys {
		if r.Role(cid, k) != crdt.RoleNone {
			out = append(out, k)
		}
	}
	return out
}

func (r *fakeReplica) ingestedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ingested)
}

// fakePuller records what it is asked; fetch, when set, answers Fetch.
type fakePuller struct {
	mu      sync.Mutex
	pulls   []peer.ID
	fetched [][]crdt.ID
	nudged  []crdt.PublicKey
	fetch   func(ids []crdt.ID) error
}

var _ Puller = (*fakePuller)(nil)

func (p *fakePuller) Pull(from peer.ID, _ crdt.ID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pulls = append(p.pulls, from)
}

func (p *fakePuller) Fetch(_ context.Context, _ peer.ID, _ crdt.ID, ids []crdt.ID) error {
	p.mu.Lock()
	p.fetched = append(p.fetched, ids)
	f := p.fetch
	p.mu.Unlock()
	if f == nil {
		return errors.New("fetch: no answer")
	}
	return f(ids)
}

func (p *fakePuller) Nudge(_ crdt.ID, k crdt.PublicKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nudged = append(p.nudged, k)
}

func (p *fakePuller) pullCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pulls)
}

// bare returns a service with no network: enough for the validator, flood
// control and scoring, which need none. self is its peer id.
func bare(t *testing.T, rep Replica, pl Puller, now func() time.Time, self peer.ID) *Service {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return &Service{self: self, rep: rep, peers: pl, now: now, log: testLogger(),
		ctx: ctx, cancel: cancel, topics: map[string]*joinedTopic{}, published: map[string]time.Time{},
		owed: map[owedNudge]struct{}{}, owedCh: make(chan struct{}, 1), penalties: map[peer.ID][]time.Time{}}
}

func testLogger() *slog.Logger {
	if os.Getenv("GOSSIP_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// member is a test identity with its peer id and crdt key.
type member struct {
	id  *identity.Identity
	pid peer.ID
	key crdt.PublicKey
}

func newMember(t testing.TB, seed byte, name string) member {
	t.Helper()
	id, err := identity.FromSeed(bytes.Repeat([]byte{seed}, 32), name)
	if err != nil {
		t.Fatal(err)
	}
	var k crdt.PublicKey
	copy(k[:], id.PublicKey())
	return member{id: id, pid: peerkey.ID(id), key: k}
}

// profileOp signs a control op of community cid by m citing parents.
func profileOp(t testing.TB, m member, cid crdt.ID, parents ...crdt.ID) *crdt.Op {
	t.Helper()
	op, err := crdt.Sign(crdt.Op{Community: cid, Kind: crdt.KindProfile, Parents: parents, Height: 2, Body: []byte{0xa0}}, m.id)
	if err != nil {
		t.Fatal(err)
	}
	return op
}
