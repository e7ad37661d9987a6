package store

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestPruneBefore: ops stamped before the cut are pruned, the oldest
// first and up to max; a pruned op is gone from Ops and Get but still
// held for its children (Has, PutBatch) and listed by Pruned with its
// height; ops stamped later and unstamped ops stay.
func TestPruneBefore(t *testing.T) {
	ctx := t.Context()
	s := NewMemory()
	o := newOps(t)
	g := crdt.ID{7}
	ctl := o.control(o.genesis)
	a := o.content(g)
	b := o.content(g, a)
	c := o.content(g, b)
	if err := s.PutBatch(ctx, opened(o.genesis, ctl, a, b, c)); err != nil {
		t.Fatal(err)
	}
	cid := o.genesis.ID()
	t0 := time.Unix(1_000_000, 0)
	if err := s.Stamp(ctx, cid, t0, []crdt.ID{a.ID()}); err != nil {
		t.Fatal(err)
	}
	if err := s.Stamp(ctx, cid, t0.Add(time.Hour), []crdt.ID{b.ID(), {9}}); err != nil { // {9}: never stored
		t.Fatal(err)
	}
	if err := s.Stamp(ctx, cid, t0.Add(48*time.Hour), []crdt.ID{c.ID()}); err != nil {
		t.Fatal(err)
	}

	got, size, err := s.PruneBefore(ctx, cid, t0.Add(24*time.Hour), 1)
	if err != nil || !slices.Equal(got, []crdt.ID{a.ID()}) || size != int64(len(a.Bytes())) {
		t.Fatalf("first prune: %v, %d bytes, %v; want the oldest only", got, size, err)
	}
	got, size, err = s.PruneBefore(ctx, cid, t0.Add(24*time.Hour), 10)
	if err != nil || !slices.Equal(got, []crdt.ID{b.ID()}) || size != int64(len(b.Bytes())) {
		t.Fatalf("second prune: %v, %d bytes, %v", got, size, err)
	}
	if got, size, err := s.PruneBefore(ctx, cid, t0.Add(24*time.Hour), 10); err != nil || len(got) != 0 || size != 0 {
		t.Fatalf("third prune: %v, %d bytes, %v; want nothing left before the cut", got, size, err)
	}

	if _, err := s.Get(ctx, a.ID()); !errors.Is(err, ErrPruned) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("get of a pruned op: %v", err)
	}
	if ok, _ := s.Has(ctx, b.ID()); !ok {
		t.Fatal("a pruned op is no longer held for its children")
	}
	if _, err := s.Get(ctx, c.ID()); err != nil {
		t.Fatalf("an op stamped after the cut: %v", err)
	}
	if _, err := s.Get(ctx, ctl.ID()); err != nil {
		t.Fatalf("an unstamped op: %v", err)
	}
	var live []crdt.ID
	if err := s.Ops(ctx, cid, g, func(x crdt.Opened) error { live = append(live, x.Op.ID()); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(live, []crdt.ID{c.ID()}) {
		t.Fatalf("ops of the log: %v, want only the unpruned one", live)
	}
	var pruned []uint64
	if err := s.Pruned(ctx, cid, g, func(id crdt.ID, h uint64) error { pruned = append(pruned, h); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pruned, []uint64{a.Height, b.Height}) {
		t.Fatalf("pruned heights %v", pruned)
	}
	d := o.content(g, c)
	if err := s.PutBatch(ctx, opened(d)); err != nil {
		t.Fatalf("a child stored after pruning: %v", err)
	}
	e := o.content(g, a) // a child of a pruned op
	if err := s.PutBatch(ctx, opened(e)); err != nil {
		t.Fatalf("a child of a pruned op: %v", err)
	}
}
