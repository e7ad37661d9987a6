package store

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-datastore"
	dsq "github.com/ipfs/go-datastore/query"
	dssync "github.com/ipfs/go-datastore/sync"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// t0 is when the tests' first ops are parked.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

var (
	mallory = key{ed25519.NewKeyFromSeed(bytes.Repeat([]byte{66}, 32))}
	trudy   = key{ed25519.NewKeyFromSeed(bytes.Repeat([]byte{67}, 32))}
)

// newOpsIn is newOps for a community of its own, named name.
func newOpsIn(t testing.TB, name string) *ops {
	b, err := crdt.Marshal(map[int]string{1: name})
	if err != nil {
		t.Fatal(err)
	}
	g, err := crdt.Sign(crdt.Op{Kind: crdt.KindGenesis, Height: 1, Body: b}, signer)
	if err != nil {
		t.Fatal(err)
	}
	return &ops{t: t, genesis: g}
}

// junk returns a validly signed op by k in o's community that cites a
// parent no one holds, with a body of size bytes (at least a few).
func (o *ops) junk(k key, size int) *crdt.Op {
	o.t.Helper()
	o.n++
	var ghost crdt.ID
	ghost[0] = 0xee
	binary.BigEndian.PutUint64(ghost[1:], uint64(o.n))
	body := fmt.Appendf(nil, "junk %d ", o.n)
	body = append(body, bytes.Repeat([]byte{'x'}, max(0, size-len(body)))...)
	op, err := crdt.Sign(crdt.Op{Community: o.genesis.ID(), Kind: crdt.KindProfile, Parents: []crdt.ID{ghost}, Height: 2, Body: body}, k)
	if err != nil {
		o.t.Fatal(err)
	}
	return op
}

func park(t testing.TB, s OpStore, at time.Time, ops ...*crdt.Op) {
	t.Helper()
	for _, op := range ops {
		if err := s.AddPending(t.Context(), op, op.Parents, at); err != nil {
			t.Fatalf("park %s: %v", op.ID().Short(), err)
		}
	}
}

func parentsOf(ops ...*crdt.Op) []crdt.ID {
	var out []crdt.ID
	for _, o := range ops {
		out = append(out, o.Parents...)
	}
	return crdt.SortIDs(out)
}

func missing(t testing.TB, s OpStore, c crdt.ID) []crdt.ID {
	t.Helper()
	got, err := s.Missing(t.Context(), c, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func pendingOf(t testing.TB, s OpStore, c crdt.ID) int {
	t.Helper()
	n, _, err := s.PendingOf(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// reopener opens a store with limits lim and returns it with a function
// that closes it and opens the same data again, with other limits.
type reopener func(t *testing.T, lim Limits) (OpStore, func(lim Limits) OpStore)

// limits are large limits with the given changes.
func limits(change func(*Limits)) Limits {
	l := Limits{PendingOps: 1000, PendingBytes: 1 << 30, CommunityOps: 1000, CommunityBytes: 1 << 30,
		AuthorOps: 1000, AuthorBytes: 1 << 30, PendingAge: time.Hour}
	change(&l)
	return l
}

// testPending is the conformance suite of the pending buffer's bounds and
// expiry.
func testPending(t *testing.T, open reopener) {
	t.Run("author quota evicts the author's oldest", func(t *testing.T) {
		s, _ := open(t, limits(func(l *Limits) { l.AuthorOps = 3 }))
		o := newOps(t)
		var flood []*crdt.Op
		for i := range 5 {
			flood = append(flood, o.junk(mallory, 10))
			park(t, s, t0.Add(time.Duration(i)*time.Second), flood[i])
		}
		if got := missing(t, s, o.genesis.ID()); !slices.Equal(got, parentsOf(flood[2:]...)) {
			t.Fatalf("after 5 parks over a quota of 3, waiting for %d ids, want the newest 3", len(got))
		}
		honest := o.junk(signer, 10)
		park(t, s, t0.Add(time.Minute), honest)
		for range 10 {
			park(t, s, t0.Add(time.Hour), o.junk(mallory, 10))
		}
		if n := pendingOf(t, s, o.genesis.ID()); n != 4 {
			t.Fatalf("community holds %d parked ops, want 3 of mallory's and 1 of the honest author's", n)
		}
		if got := missing(t, s, o.genesis.ID()); !slices.Contains(got, honest.Parents[0]) {
			t.Fatal("another author's flood evicted an honest op")
		}
		for op, want := range map[*crdt.Op]bool{honest: true, flood[0]: false} {
			if got, err := s.Parked(t.Context(), op.ID()); err != nil || got != want {
				t.Errorf("Parked(%s) = %v, %v; want %v", op.ID().Short(), got, err, want)
			}
		}
	})
	t.Run("one community's flood leaves another room", func(t *testing.T) {
		s, _ := open(t, limits(func(l *Limits) { l.AuthorOps, l.CommunityOps, l.PendingOps = 3, 4, 6 }))
		glow, other := newOpsIn(t, "Glow"), newOpsIn(t, "Other")
		for i := range 4 {
			park(t, s, t0.Add(time.Duration(i)*time.Second), glow.junk(mallory, 10), glow.junk(trudy, 10))
		}
		if n := pendingOf(t, s, glow.genesis.ID()); n != 4 {
			t.Fatalf("flooded community holds %d, want its bound 4", n)
		}
		// A joiner parks its invite and join until the genesis arrives.
		inv, join := other.control(other.genesis), other.control(other.genesis)
		join.Parents = nil
		park(t, s, t0.Add(time.Minute), inv)
		if err := s.AddPending(t.Context(), join, []crdt.ID{other.genesis.ID()}, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		for range 20 {
			park(t, s, t0.Add(time.Hour), glow.junk(mallory, 10))
		}
		if n := pendingOf(t, s, other.genesis.ID()); n != 2 {
			t.Fatalf("the joined community holds %d parked ops, want 2", n)
		}
		put(t, s, other.genesis)
		ready, err := s.TakeReady(t.Context(), other.genesis.ID())
		if err != nil || !slices.Equal(ids(ready...), ids(inv, join)) {
			t.Fatalf("released %d of the joiner's ops (%v), want both", len(ready), err)
		}
		// At the overall bound, the community holding the most gives way.
		third := newOpsIn(t, "Third")
		park(t, s, t0.Add(2*time.Hour), glow.junk(trudy, 10), glow.junk(trudy, 10))
		park(t, s, t0.Add(2*time.Hour), other.junk(mallory, 10), other.junk(trudy, 10))
		park(t, s, t0.Add(2*time.Hour), third.junk(mallory, 10))
		if n, _, _ := s.PendingLen(t.Context()); n != 6 {
			t.Fatalf("%d parked in all, want the bound 6", n)
		}
		if g, o, th := pendingOf(t, s, glow.genesis.ID()), pendingOf(t, s, other.genesis.ID()), pendingOf(t, s, third.genesis.ID()); g != 3 || o != 2 || th != 1 {
			t.Fatalf("parked per community: %d, %d, %d; want 3, 2, 1", g, o, th)
		}
	})
	t.Run("byte bounds", func(t *testing.T) {
		o := newOps(t)
		one := o.junk(mallory, 200)
		size := len(encodePending(one.Bytes(), one.Parents, t0.UnixMilli()))
		s, _ := open(t, limits(func(l *Limits) { l.AuthorBytes = 2*size + size/2 }))
		park(t, s, t0, one)
		for range 5 {
			park(t, s, t0, o.junk(mallory, 200))
		}
		if n, b, _ := s.PendingLen(t.Context()); n != 2 || b > 2*size+size/2 {
			t.Fatalf("parked %d ops of %d bytes, want 2 within %d", n, b, 2*size+size/2)
		}
		if err := s.AddPending(t.Context(), o.junk(mallory, 4*size), []crdt.ID{{1}}, t0); !errors.Is(err, ErrPendingFull) {
			t.Fatalf("op larger than the quota: %v, want ErrPendingFull", err)
		}
		if n, _, _ := s.PendingLen(t.Context()); n != 2 {
			t.Fatalf("an op that cannot fit evicted others: %d left", n)
		}
	})
	t.Run("expiry survives a restart", func(t *testing.T) {
		s, reopen := open(t, limits(func(l *Limits) { l.PendingAge = time.Hour }))
		o := newOps(t)
		a, b := o.junk(mallory, 10), o.junk(signer, 10)
		park(t, s, t0, a)
		park(t, s, t0.Add(30*time.Minute), b)
		if n, err := s.ExpirePending(t.Context(), t0.Add(59*time.Minute)); n != 0 || err != nil {
			t.Fatalf("expired %d early (%v)", n, err)
		}
		if n, err := s.ExpirePending(t.Context(), t0.Add(time.Hour)); n != 1 || err != nil {
			t.Fatalf("expired %d at the age (%v), want 1", n, err)
		}
		if got := missing(t, s, o.genesis.ID()); !slices.Equal(got, parentsOf(b)) {
			t.Fatal("expiry dropped the wrong op")
		}
		s = reopen(limits(func(l *Limits) { l.PendingAge = time.Hour }))
		if n, _, _ := s.PendingLen(t.Context()); n != 1 {
			t.Fatalf("%d parked after a restart, want 1", n)
		}
		if n, err := s.ExpirePending(t.Context(), t0.Add(89*time.Minute)); n != 0 || err != nil {
			t.Fatalf("after a restart, expired %d early (%v)", n, err)
		}
		if n, err := s.ExpirePending(t.Context(), t0.Add(90*time.Minute)); n != 1 || err != nil {
			t.Fatalf("after a restart, expired %d (%v), want 1", n, err)
		}
		if n, b, _ := s.PendingLen(t.Context()); n != 0 || b != 0 {
			t.Fatalf("left %d ops, %d bytes", n, b)
		}
	})
	t.Run("restart keeps counts and order", func(t *testing.T) {
		lim := limits(func(l *Limits) { l.AuthorOps = 3 })
		s, reopen := open(t, lim)
		o := newOps(t)
		var flood []*crdt.Op
		for i := range 3 {
			flood = append(flood, o.junk(mallory, 10))
			park(t, s, t0.Add(time.Duration(3-i)*time.Second), flood[i]) // parked newest first
		}
		honest := o.junk(signer, 10)
		park(t, s, t0, honest)
		n, b, _ := s.PendingLen(t.Context())
		s = reopen(lim)
		if n2, b2, _ := s.PendingLen(t.Context()); n2 != n || b2 != b {
			t.Fatalf("after a restart %d ops, %d bytes parked; before %d, %d", n2, b2, n, b)
		}
		if c := pendingOf(t, s, o.genesis.ID()); c != 4 {
			t.Fatalf("community holds %d after a restart, want 4", c)
		}
		// The longest parked of mallory's (flood[2]) gives way first.
		next := o.junk(mallory, 10)
		park(t, s, t0.Add(time.Hour), next)
		if got, want := missing(t, s, o.genesis.ID()), parentsOf(flood[0], flood[1], honest, next); !slices.Equal(got, want) {
			t.Fatal("after a restart, eviction did not take the author's oldest")
		}
		// Lower limits apply to what was parked before.
		s = reopen(limits(func(l *Limits) { l.AuthorOps = 1 }))
		if got, want := missing(t, s, o.genesis.ID()), parentsOf(honest, next); !slices.Equal(got, want) {
			t.Fatalf("after lowering the quota to 1, waiting for %d ids, want each author's newest", len(got))
		}
	})
}

func TestMemoryPending(t *testing.T) {
	testPending(t, func(t *testing.T, lim Limits) (OpStore, func(Limits) OpStore) {
		ds := dssync.MutexWrap(datastore.NewMapDatastore())
		open := func(lim Limits) OpStore {
			s, err := New(ds, lim)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		return open(lim), open
	})
}

func TestBadgerPending(t *testing.T) {
	testPending(t, func(t *testing.T, lim Limits) (OpStore, func(Limits) OpStore) {
		dir := t.TempDir()
		var cur OpStore
		open := func(lim Limits) OpStore {
			if cur != nil {
				if err := cur.Close(); err != nil {
					t.Fatal(err)
				}
			}
			s, err := OpenBadger(dir, BadgerOptions{Limits: lim})
			if err != nil {
				t.Fatal(err)
			}
			cur = s
			return s
		}
		t.Cleanup(func() { cur.Close() })
		return open(lim), open
	})
}

// TestPendingFromOlderVersion: records parked by a version that kept no
// park time and indexed waits under /w/ still decode and release; they
// expire at the first sweep, the old index is removed, and a record that
// does not decode is dropped.
func TestPendingFromOlderVersion(t *testing.T) {
	ds := dssync.MutexWrap(datastore.NewMapDatastore())
	ctx := t.Context()
	o := newOps(t)
	a, b := o.control(o.genesis), o.junk(mallory, 10)
	for _, op := range []*crdt.Op{a, b} {
		raw, err := crdt.Marshal(struct {
			Op      []byte   `cbor:"1,keyasint"`
			Missing [][]byte `cbor:"2,keyasint"`
		}{op.Bytes(), [][]byte{op.Parents[0][:]}})
		if err != nil {
			t.Fatal(err)
		}
		ds.Put(ctx, pendKey(op.ID()), raw)
		ds.Put(ctx, datastore.RawKey("/w/"+hx(op.Parents[0])+"/"+hx(op.ID())), nil)
	}
	ds.Put(ctx, pendKey(crdt.ID{7}), []byte("not a record"))
	s, err := New(ds, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if n, _, _ := s.PendingLen(ctx); n != 2 {
		t.Fatalf("%d old records loaded, want 2", n)
	}
	res, err := ds.Query(ctx, dsq.Query{KeysOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := res.Rest()
	for _, e := range all {
		if strings.HasPrefix(e.Key, "/w/") || e.Key == pendKey(crdt.ID{7}).String() {
			t.Fatalf("key %s left after opening", e.Key)
		}
	}
	put(t, s, o.genesis)
	if ready, err := s.TakeReady(ctx, o.genesis.ID()); err != nil || len(ready) != 1 || ready[0].ID() != a.ID() {
		t.Fatalf("old record not released: %v, %v", ready, err)
	}
	if n, err := s.ExpirePending(ctx, t0); n != 1 || err != nil {
		t.Fatalf("first sweep expired %d old records (%v), want 1", n, err)
	}
}

// TestPendingQueuesStayBounded: an author with one op parked for good and
// many parked and released after it keeps an eviction queue in proportion
// to what it has parked, not to everything it ever parked.
func TestPendingQueuesStayBounded(t *testing.T) {
	s := NewMemory()
	o := newOps(t)
	park(t, s, t0, o.junk(signer, 10)) // waits for good
	put(t, s, o.genesis)
	for range 2000 {
		op := o.control(o.genesis)
		op2 := o.control(op)
		park(t, s, t0, op2)
		put(t, s, op)
		if ready, err := s.TakeReady(t.Context(), op.ID()); err != nil || len(ready) != 1 {
			t.Fatalf("released %d, %v", len(ready), err)
		}
	}
	k := authorKey{o.genesis.ID(), o.genesis.Author}
	if q := len(s.pend.byAuthor[k].queue); q > 128 {
		t.Fatalf("eviction queue holds %d entries for 1 parked op", q)
	}
	if q := len(s.pend.byComm[o.genesis.ID()].queue); q > 128 {
		t.Fatalf("community queue holds %d entries for 1 parked op", q)
	}
}
