package keys

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/internal/testworld"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// A world is a few members, each with its own replica over an in-memory
// store and its own key manager, and no network: a member's requests are
// answered by the other member's manager directly, and ops travel only
// when a test delivers them.

type signer = testworld.Signer

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type world struct {
	t       *testing.T
	clock   *clock
	members map[peer.ID]*member
}

// member is one node: the manager under test and a fake of the rest of
// the node (keys.Author, keys.Peers, keys.Listener).
type member struct {
	w    *world
	name string
	id   peer.ID
	s    signer
	pub  crdt.PublicKey
	meta *store.DS
	rep  *replica.Replica
	m    *Manager

	mu       sync.Mutex
	accepted []*crdt.Op // told by the manager (Listener.Accepted)
	secrets  []crdt.ID  // told by the manager (Listener.SecretAdded)
	pulls    []peer.ID  // asked by the manager (Peers.Pull)
	peers    []peer.ID  // connected members (Peers.Members)
}

var (
	_ Author   = (*member)(nil)
	_ Peers    = (*member)(nil)
	_ Listener = (*member)(nil)
)

func newWorld(t *testing.T) *world {
	return &world{t: t, clock: &clock{now: time.UnixMilli(1_700_000_000_000)}, members: map[peer.ID]*member{}}
}

// add starts member name, seeded by seed, with cfg's rotation settings
// (zero for the defaults).
func (w *world) add(name string, seed byte, tweak func(*Config)) *member {
	w.t.Helper()
	meta := store.NewMemory()
	return w.open(name, seed, meta, tweak)
}

// open starts member name on the store meta (a restart when it is used).
func (w *world) open(name string, seed byte, meta *store.DS, tweak func(*Config)) *member {
	w.t.Helper()
	s := testworld.Seeded(seed)
	mb := &member{w: w, name: name, id: peer.ID(name), s: s, pub: s.Key(), meta: meta}
	rep, err := replica.Open(w.t.Context(), meta, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	rep.SetClock(w.clock.Now)
	mb.rep = rep
	cfg := Config{Self: mb.pub, Suite: e2ee.X25519, RotateAfter: DefaultRotateAfter, RotateEvery: DefaultRotateEvery,
		PrekeyLifetime: DefaultPrekeyLifetime, Now: w.clock.Now, Replica: rep, Meta: meta, Author: mb, Peers: mb, Listener: mb}
	if tweak != nil {
		tweak(&cfg)
	}
	if mb.m, err = New(w.t.Context(), cfg); err != nil {
		w.t.Fatal(err)
	}
	rep.SetSealer(mb.m)
	w.t.Cleanup(mb.m.Close)
	w.members[mb.id] = mb
	return mb
}

func (mb *member) Author(ctx context.Context, cid, log crdt.ID, kind crdt.Kind, body []byte) (*crdt.Op, error) {
	return mb.rep.Author(ctx, mb.s, cid, log, kind, body)
}

func (mb *member) Request(_ context.Context, p peer.ID, req *wire.Request) (*wire.Response, error) {
	other := mb.w.members[p]
	if other == nil {
		return nil, errors.New("no such peer")
	}
	cid := crdt.ID(req.Community)
	switch req.Kind {
	case wire.KindKeys:
		return other.m.AnswerKeys(cid, mb.pub, req), nil
	case wire.KindSecret:
		return other.m.AnswerSecret(cid), nil
	}
	return &wire.Response{Error: "unknown request"}, nil
}

func (mb *member) Members(crdt.ID) []peer.ID {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]peer.ID(nil), mb.peers...)
}

func (mb *member) Pull(p peer.ID, _ crdt.ID) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.pulls = append(mb.pulls, p)
}

func (mb *member) Accepted(res replica.Result) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.accepted = append(mb.accepted, res.Accepted...)
}

func (mb *member) SecretAdded(cid crdt.ID) error {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.secrets = append(mb.secrets, cid)
	return nil
}

func encode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := crdt.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// found makes mb found a community the way a node does: a genesis sealed
// under the control log's first epoch, its prekey, the first epochs of
// the control log and the announcement group, and a topic secret. It
// returns the community's id.
func (mb *member) found(name string) crdt.ID {
	t, ctx := mb.w.t, mb.w.t.Context()
	t.Helper()
	draft := crdt.Op{Kind: crdt.KindGenesis, Height: 1, Body: encode(t, &crdt.GenesisBody{Name: name}), Author: mb.pub}
	e0, secret, err := mb.m.SealGenesis(&draft)
	if err != nil {
		t.Fatal(err)
	}
	g, err := crdt.Sign(draft, mb.s)
	if err != nil {
		t.Fatal(err)
	}
	cid := g.ID()
	if err := mb.m.Bind(ctx, e0, cid); err != nil {
		t.Fatal(err)
	}
	mb.rep.Expect(cid)
	if _, err := mb.rep.Ingest(ctx, g); err != nil {
		t.Fatal(err)
	}
	if err := mb.m.PublishPrekey(ctx, cid); err != nil {
		t.Fatal(err)
	}
	if err := mb.m.WriteEpoch(ctx, cid, crdt.ZeroID, e0, secret, crdt.RekeyInitial, nil); err != nil {
		t.Fatal(err)
	}
	if err := mb.m.Rotate(ctx, cid, cid, crdt.RekeyInitial, nil); err != nil {
		t.Fatal(err)
	}
	if err := mb.m.NewSecret(ctx, cid); err != nil {
		t.Fatal(err)
	}
	return cid
}

// author writes an op as mb and fails the test if it cannot.
func (mb *member) author(cid, log crdt.ID, kind crdt.Kind, body any) *crdt.Op {
	mb.w.t.Helper()
	op, err := mb.Author(mb.w.t.Context(), cid, log, kind, encode(mb.w.t, body))
	if err != nil {
		mb.w.t.Fatalf("%s writes %s: %v", mb.name, kind, err)
	}
	return op
}

// admit lets joiner into community cid by an invite of mb's, delivers to
// joiner everything mb holds and gives joiner its keys from mb, and
// publishes the joiner's prekey back to mb.
func (mb *member) admit(cid crdt.ID, joiner *member) {
	t, ctx := mb.w.t, mb.w.t.Context()
	t.Helper()
	ipriv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{joiner.pub[0] ^ 0x55}, 32))
	inv := mb.author(cid, crdt.ZeroID, crdt.KindInvite, &crdt.InviteBody{Key: ipriv.Public().(ed25519.PublicKey), Role: crdt.RoleMember, Name: "team"})
	j := testworld.JoinOp(t, cid, inv, ipriv, joiner.s, joiner.name, 0)
	if _, err := mb.rep.Ingest(ctx, j); err != nil {
		t.Fatal(err)
	}
	joiner.rep.Expect(cid)
	if _, err := joiner.m.FetchKeys(ctx, mb.id, cid); err != nil {
		t.Fatalf("%s fetches keys: %v", joiner.name, err)
	}
	deliver(t, mb, joiner, cid)
	if err := joiner.m.PublishPrekey(ctx, cid); err != nil {
		t.Fatal(err)
	}
	deliver(t, joiner, mb, cid)
}

// deliver hands to is every op from holds of community cid, as a peer
// would receive them (encodings alone), oldest first.
func deliver(t *testing.T, from, to *member, cid crdt.ID) {
	t.Helper()
	var ops []*crdt.Op
	_ = from.rep.View(cid, func(c *crdt.Community) error {
		for _, log := range append([]crdt.ID{crdt.ZeroID}, c.ContentLogs()...) {
			var in []*crdt.Op
			c.EachOp(log, func(o *crdt.Op) { in = append(in, o) })
			slices.SortFunc(in, func(a, b *crdt.Op) int { return cmp.Compare(a.Height, b.Height) })
			ops = append(ops, in...)
		}
		return nil
	})
	for _, o := range ops {
		op, err := crdt.DecodeOp(o.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := to.rep.Ingest(t.Context(), op); err != nil {
			t.Fatalf("%s ingests %s from %s: %v", to.name, op.Kind, from.name, err)
		}
	}
}

// state returns a clone of mb's control state of community cid.
func (mb *member) state(cid crdt.ID) *crdt.State {
	var st *crdt.State
	if err := mb.rep.View(cid, func(c *crdt.Community) error { st = c.State().Clone(); return nil }); err != nil {
		mb.w.t.Fatal(err)
	}
	return st
}

// general creates an everyone-group named General and gives it its first
// epoch.
func (mb *member) general(cid crdt.ID) crdt.ID {
	mb.w.t.Helper()
	g := mb.author(cid, crdt.ZeroID, crdt.KindGroupCreate, &crdt.GroupCreateBody{Name: "General", Policy: crdt.PolicyEveryone})
	if err := mb.m.Rotate(mb.w.t.Context(), cid, g.ID(), crdt.RekeyInitial, nil); err != nil {
		mb.w.t.Fatal(err)
	}
	return g.ID()
}

func bytesOf(id crdt.ID) []byte { return id[:] }
