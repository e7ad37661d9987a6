package replica

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

type key struct{ priv ed25519.PrivateKey }

func newKey(b byte) key                    { return key{ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, 32))} }
func (k key) PublicKey() ed25519.PublicKey { return k.priv.Public().(ed25519.PublicKey) }
func (k key) Sign(m []byte) []byte         { return ed25519.Sign(k.priv, m) }
func body(t *testing.T, v any) []byte {
	t.Helper()
	b, err := crdt.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func open(t *testing.T, st store.OpStore) *Replica {
	t.Helper()
	r, err := Open(t.Context(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// history builds a community on one replica: genesis, a group, an invite,
// two joins, and messages; it returns every op in creation order.
func history(t *testing.T) ([]*crdt.Op, crdt.ID, crdt.ID) { return historyOf(t, "Glow") }

// historyOf is history for a community named name.
func historyOf(t *testing.T, name string) ([]*crdt.Op, crdt.ID, crdt.ID) {
	ctx := t.Context()
	owner := newKey(1)
	r := open(t, store.NewMemory())
	g, err := crdt.Sign(crdt.Op{Kind: crdt.KindGenesis, Height: 1, Body: body(t, &crdt.GenesisBody{Name: name})}, owner)
	if err != nil {
		t.Fatal(err)
	}
	r.Expect(g.ID())
	if _, err := r.Ingest(ctx, g); err != nil {
		t.Fatal(err)
	}
	ops := []*crdt.Op{g}
	add := func(k key, log crdt.ID, kind crdt.Kind, b any) *crdt.Op {
		op, err := r.Author(ctx, k, g.ID(), log, kind, body(t, b))
		if err != nil {
			t.Fatalf("author %s: %v", kind, err)
		}
		ops = append(ops, op)
		return op
	}
	grp := add(owner, crdt.ZeroID, crdt.KindGroupCreate, &crdt.GroupCreateBody{Name: "General", Policy: crdt.PolicyEveryone})
	ipriv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	inv := add(owner, crdt.ZeroID, crdt.KindInvite, &crdt.InviteBody{Key: ipriv.Public().(ed25519.PublicKey), Role: crdt.RoleMember, Name: "Glow"})
	for i, k := range []key{newKey(2), newKey(3)} {
		var pk crdt.PublicKey
		copy(pk[:], k.PublicKey())
		jb := body(t, &crdt.JoinBody{Invite: idb(inv.ID()), Proof: ed25519.Sign(ipriv, crdt.JoinProofMessage(g.ID(), inv.ID(), pk)), Name: []string{"Ben", "Chloe"}[i]})
		j, err := crdt.Sign(crdt.Op{Community: g.ID(), Kind: crdt.KindJoin, Parents: []crdt.ID{inv.ID()}, Height: inv.Height + 1, Body: jb}, k)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Ingest(ctx, j); err != nil {
			t.Fatal(err)
		}
		ops = append(ops, j)
		for n := range 5 {
			add(k, grp.ID(), crdt.KindMessage, &crdt.MessageBody{Text: "msg", Time: int64(n)})
		}
	}
	return ops, g.ID(), grp.ID()
}

func idb(id crdt.ID) []byte { return id[:] }

func timeline(t *testing.T, r *Replica, cid, gid crdt.ID) []crdt.ID {
	var out []crdt.ID
	err := r.View(cid, func(c *crdt.Community) error {
		{
			for _, e := range c.Entries(gid) {
				out = append(out, e.Op.ID())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAnyDeliveryOrder: ops delivered in random order with duplicates are
// parked until their parents arrive and end in the same state.
func TestAnyDeliveryOrder(t *testing.T) {
	ops, cid, gid := history(t)
	ref := open(t, store.NewMemory())
	ref.Expect(cid)
	for _, op := range ops {
		if _, err := ref.Ingest(t.Context(), op); err != nil {
			t.Fatal(err)
		}
	}
	want := timeline(t, ref, cid, gid)
	if len(want) != 10 {
		t.Fatalf("reference has %d messages, want 10", len(want))
	}
	for seed := range 50 {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		r := open(t, store.NewMemory())
		r.Expect(cid)
		deliver := append(slices.Clone(ops), ops[rng.IntN(len(ops))], ops[rng.IntN(len(ops))])
		rng.Shuffle(len(deliver), func(i, j int) { deliver[i], deliver[j] = deliver[j], deliver[i] })
		for _, op := range deliver {
			if _, err := r.Ingest(t.Context(), op); err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
		}
		if got := timeline(t, r, cid, gid); !slices.Equal(got, want) {
			t.Fatalf("seed %d: timeline differs", seed)
		}
		if n, _, _ := r.store.PendingLen(t.Context()); n != 0 {
			t.Fatalf("seed %d: %d ops still parked", seed, n)
		}
	}
}

// TestReloadFromStore: a replica reopened on the same store has the same state.
func TestReloadFromStore(t *testing.T) {
	ops, cid, gid := history(t)
	st := store.NewMemory()
	r := open(t, st)
	r.Expect(cid)
	for _, op := range ops {
		if _, err := r.Ingest(t.Context(), op); err != nil {
			t.Fatal(err)
		}
	}
	again := open(t, st)
	if got, want := timeline(t, again, cid, gid), timeline(t, r, cid, gid); !slices.Equal(got, want) || len(got) != 10 {
		t.Fatalf("reloaded timeline has %d ops, want %d", len(got), len(want))
	}
}

func TestRejections(t *testing.T) {
	ops, cid, gid := history(t)
	ctx := context.Background()
	r := open(t, store.NewMemory())
	// An unexpected genesis is refused.
	if _, err := r.Ingest(ctx, ops[0]); !errors.Is(err, ErrUnwanted) {
		t.Fatalf("unexpected genesis: %v", err)
	}
	// Ops of an unknown community are refused, not parked.
	if _, err := r.Ingest(ctx, ops[1]); !errors.Is(err, ErrUnknownCommunity) {
		t.Fatalf("op of unknown community: %v", err)
	}
	r.Expect(cid)
	for _, op := range ops {
		r.Ingest(ctx, op)
	}
	// A stranger's message is refused with a typed error and not stored.
	stranger := newKey(50)
	var heads []crdt.ID
	r.View(cid, func(c *crdt.Community) error { heads = c.ControlHeads(); return nil })
	m, _ := crdt.Sign(crdt.Op{Community: cid, Log: gid, Kind: crdt.KindMessage, Deps: heads, Height: 1, Body: body(t, &crdt.MessageBody{Text: "spam"})}, stranger)
	if _, err := r.Ingest(ctx, m); !errors.Is(err, crdt.ErrUnauthorized) {
		t.Fatalf("stranger's message: %v", err)
	}
	if has, _ := r.Has(ctx, m.ID()); has {
		t.Fatal("refused op was stored")
	}
}

// TestPendingBounded: a flood of ops with missing parents from one author
// is held to that author's quota, the oldest giving way, never without
// limit and never refused.
func TestPendingBounded(t *testing.T) {
	ops, cid, _ := history(t)
	lim := store.DefaultLimits()
	lim.AuthorOps = 10
	st, err := store.New(newMapDS(), lim)
	if err != nil {
		t.Fatal(err)
	}
	r := open(t, st)
	r.Expect(cid)
	r.Ingest(t.Context(), ops[0])
	k := newKey(60)
	for i := range 20 {
		if _, err := r.Ingest(t.Context(), junk(t, k, cid, i)); err != nil {
			t.Fatalf("junk op %d: %v", i, err)
		}
	}
	if n, _, _ := st.PendingLen(t.Context()); n != 10 {
		t.Fatalf("pending holds %d, want the bound 10", n)
	}
}

// junk is a validly signed op by k in community cid citing a parent that
// does not exist.
func junk(t *testing.T, k key, cid crdt.ID, i int) *crdt.Op {
	var ghost crdt.ID
	ghost[0], ghost[1], ghost[2] = 0xee, byte(i>>8), byte(i)
	o, err := crdt.Sign(crdt.Op{Community: cid, Kind: crdt.KindProfile, Parents: []crdt.ID{ghost}, Height: 2, Body: body(t, &crdt.ProfileBody{Name: "x"})}, k)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestFloodLeavesOtherCommunitiesRoom: a member of one community floods
// it with more validly signed ops citing missing parents than the whole
// pending buffer once held; the flood is held to the member's quota, and
// joining another community — which parks the joiner's invite and join
// until the genesis arrives — still parks and completes.
func TestFloodLeavesOtherCommunitiesRoom(t *testing.T) {
	ctx := t.Context()
	glow, gcid, _ := history(t)
	other, ocid, ogid := historyOf(t, "Other")
	st := store.NewMemory()
	r := open(t, st)
	r.Expect(gcid)
	for _, op := range glow {
		if _, err := r.Ingest(ctx, op); err != nil {
			t.Fatal(err)
		}
	}
	ben := newKey(2) // a member of Glow
	refused := 0
	for i := range 10_001 {
		_, err := r.Ingest(ctx, junk(t, ben, gcid, i))
		if errors.Is(err, store.ErrPendingFull) {
			refused++
		} else if err != nil {
			t.Fatalf("junk op %d: %v", i, err)
		}
	}
	// The joiner's invite and join come first, then the genesis and the rest.
	r.Expect(ocid)
	var invite int
	for i, op := range other {
		if op.Kind == crdt.KindInvite {
			invite = i
		}
	}
	deliver := append([]*crdt.Op{other[invite], other[invite+1]}, other...)
	for _, op := range deliver {
		if _, err := r.Ingest(ctx, op); err != nil {
			t.Fatalf("joining Other, op %s (%s): %v", op.ID().Short(), op.Kind, err)
		}
	}
	if got := timeline(t, r, ocid, ogid); len(got) != 10 {
		t.Fatalf("Other shows %d messages, want 10", len(got))
	}
	if n, _, _ := st.PendingLen(ctx); n > 1000 {
		t.Fatalf("one member's junk parks %d ops, more than an author's quota", n)
	}
	if refused > 0 {
		t.Fatalf("%d junk ops refused: a full quota gives way rather than refuse", refused)
	}
}

func newMapDS() datastore.Batching { return dssync.MutexWrap(datastore.NewMapDatastore()) }

// TestIngestBatch: batches of any order end where one-at-a-time ingest
// ends, in memory and in the store, and a stranger's op in a batch is
// refused on its own.
func TestIngestBatch(t *testing.T) {
	ops, cid, gid := history(t)
	ref := open(t, store.NewMemory())
	ref.Expect(cid)
	for _, op := range ops {
		if _, err := ref.Ingest(t.Context(), op); err != nil {
			t.Fatal(err)
		}
	}
	want := timeline(t, ref, cid, gid)
	var heads []crdt.ID
	ref.View(cid, func(c *crdt.Community) error { heads = c.ControlHeads(); return nil })
	spam, _ := crdt.Sign(crdt.Op{Community: cid, Log: gid, Kind: crdt.KindMessage, Deps: heads, Height: 1, Body: body(t, &crdt.MessageBody{Text: "spam"})}, newKey(50))
	for seed := range 20 {
		rng := rand.New(rand.NewPCG(uint64(seed), 9))
		st := store.NewMemory()
		r := open(t, st)
		r.Expect(cid)
		deliver := append(slices.Clone(ops), spam)
		rng.Shuffle(len(deliver), func(i, j int) { deliver[i], deliver[j] = deliver[j], deliver[i] })
		for len(deliver) > 0 {
			n := min(len(deliver), 1+rng.IntN(8))
			_, errs, err := r.IngestBatch(t.Context(), deliver[:n])
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			for _, e := range errs {
				if e != nil && !errors.Is(e, crdt.ErrUnauthorized) {
					t.Fatalf("seed %d: %v", seed, e)
				}
			}
			deliver = deliver[n:]
		}
		if has, _ := r.Has(t.Context(), spam.ID()); has {
			t.Fatalf("seed %d: a stranger's message was stored", seed)
		}
		if got := timeline(t, r, cid, gid); !slices.Equal(got, want) {
			t.Fatalf("seed %d: timeline differs", seed)
		}
		if got := timeline(t, open(t, st), cid, gid); !slices.Equal(got, want) {
			t.Fatalf("seed %d: stored timeline differs", seed)
		}
	}
}

// failingStore refuses batch writes.
type failingStore struct{ store.OpStore }

var errDiskFull = errors.New("disk full")

func (failingStore) PutBatch(context.Context, []crdt.Opened) error { return errDiskFull }

// TestIngestBatchWriteFails: when the batch cannot be written, the replica
// says so and holds what the store holds, not what it could not write.
func TestIngestBatchWriteFails(t *testing.T) {
	ops, cid, gid := history(t)
	st := store.NewMemory()
	r := open(t, failingStore{st})
	r.Expect(cid)
	if _, err := r.Ingest(t.Context(), ops[0]); err != nil { // genesis: a single Put
		t.Fatal(err)
	}
	if _, _, err := r.IngestBatch(t.Context(), ops[1:]); !errors.Is(err, errDiskFull) {
		t.Fatalf("batch on a full disk: %v", err)
	}
	if got := timeline(t, r, cid, gid); len(got) != 0 {
		t.Fatalf("replica shows %d messages the store does not hold", len(got))
	}
	if has, _ := r.Has(t.Context(), ops[1].ID()); has {
		t.Fatal("op stored despite the failure")
	}
	// The ops can be ingested again once the disk has room.
	r2 := open(t, st)
	if _, _, err := r2.IngestBatch(t.Context(), ops[1:]); err != nil {
		t.Fatal(err)
	}
	if got := timeline(t, r2, cid, gid); len(got) != 10 {
		t.Fatalf("after retry: %d messages, want 10", len(got))
	}
}
