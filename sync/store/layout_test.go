package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"testing"

	datastore "github.com/ipfs/go-datastore"
	dsq "github.com/ipfs/go-datastore/query"
	dssync "github.com/ipfs/go-datastore/sync"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestKeyLayout pins the keys and index values PutBatch writes to the
// layout in the package doc, byte for byte: databases written before
// must still read, so a faster way of building keys must build the same.
func TestKeyLayout(t *testing.T) {
	mds := dssync.MutexWrap(datastore.NewMapDatastore())
	s, err := New(mds, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	o := newOps(t)
	group := crdt.ID{0xab, 0xcd}
	a := o.control(o.genesis)
	b := o.control(o.genesis)
	m1 := o.content(group)
	m2 := o.content(group, m1)
	m3 := o.content(group)
	ctx := t.Context()
	put(t, s, o.genesis)
	if err := s.PutBatch(ctx, []crdt.Opened{{Op: a}, {Op: b}, {Op: m1}, {Op: m2}}); err != nil {
		t.Fatal(err)
	}
	put(t, s, m3)
	c, z, g := hex.EncodeToString(o.genesis.ID().Bytes()), hex.EncodeToString(crdt.ZeroID.Bytes()), hex.EncodeToString(group.Bytes())
	hx := func(op *crdt.Op) string { return hex.EncodeToString(op.ID().Bytes()) }
	lk := func(log string, op *crdt.Op) string {
		return fmt.Sprintf("/l/%s/%s/%016x/%s", c, log, op.Height, hx(op))
	}
	res, err := mds.Query(ctx, dsq.Query{})
	if err != nil {
		t.Fatal(err)
	}
	all, err := res.Rest()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range all {
		if e.Key[:3] == "/l/" {
			got[e.Key] = "op"
		} else {
			got[e.Key] = string(e.Value)
		}
	}
	want := map[string]string{
		"/g/" + c + "/" + z:               "",
		"/g/" + c + "/" + g:               "",
		"/h/" + c + "/" + z + "/" + hx(a): "",
		"/h/" + c + "/" + z + "/" + hx(b): "",
	}
	for _, op := range []*crdt.Op{o.genesis, a, b} {
		want["/o/"+hx(op)] = lk(z, op)
		want[lk(z, op)] = "op"
	}
	for _, op := range []*crdt.Op{m1, m2, m3} {
		want["/o/"+hx(op)] = lk(g, op)
		want[lk(g, op)] = "op"
	}
	want["/h/"+c+"/"+g+"/"+hx(m2)] = "" // m1 is cited by m2 in the same batch
	want["/h/"+c+"/"+g+"/"+hx(m3)] = ""
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range got {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		if w, ok := want[k]; !ok || w != got[k] {
			t.Errorf("stored %s = %q, want %q (expected: %v)", k, got[k], w, ok)
		}
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("missing key %s", k)
		}
	}
}

// countingDS counts the lookups a store makes.
type countingDS struct {
	datastore.Batching
	has int
}

func (c *countingDS) Has(ctx context.Context, k datastore.Key) (bool, error) {
	c.has++
	return c.Batching.Has(ctx, k)
}

// TestPutBatchLooksUpOnlyRunStarts: a batch holding a run of a log (each
// op the parent of the next) looks up whether its first op and that op's
// parents are stored, not every op again: an op whose parent is new in
// the batch cannot be stored yet. Ops already stored are still skipped,
// wherever they stand in the batch.
func TestPutBatchLooksUpOnlyRunStarts(t *testing.T) {
	cds := &countingDS{Batching: dssync.MutexWrap(datastore.NewMapDatastore())}
	s, err := New(cds, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	o := newOps(t)
	put(t, s, o.genesis)
	group := crdt.ID{7}
	run := []*crdt.Op{o.content(group)}
	for range 99 {
		run = append(run, o.content(group, run[len(run)-1]))
	}
	batch := func(ops ...*crdt.Op) []crdt.Opened {
		var xs []crdt.Opened
		for _, op := range ops {
			xs = append(xs, crdt.Opened{Op: op})
		}
		return xs
	}
	ctx := t.Context()
	cds.has = 0
	if err := s.PutBatch(ctx, batch(run[:50]...)); err != nil {
		t.Fatal(err)
	}
	if cds.has != 1 { // run[0], which has no parents
		t.Fatalf("a run of 50 new ops took %d lookups, want 1", cds.has)
	}
	// Half of this batch is stored already: those are skipped, the rest
	// is written, and the log's one head is the run's last op.
	cds.has = 0
	if err := s.PutBatch(ctx, batch(run[25:]...)); err != nil {
		t.Fatal(err)
	}
	if cds.has > 25+2 {
		t.Fatalf("%d lookups for 25 stored and 50 new ops", cds.has)
	}
	if got := heads(t, s, o.genesis.ID(), group); !slices.Equal(got, ids(run[99])) {
		t.Fatalf("heads %v, want the run's last op", got)
	}
	if n, err := s.Count(ctx, o.genesis.ID(), group); err != nil || n != 100 {
		t.Fatalf("count %d (%v), want 100", n, err)
	}
	// A parent neither stored nor in the batch is still refused.
	orphan := o.content(group, o.content(group))
	if err := s.PutBatch(ctx, batch(orphan)); !errors.Is(err, ErrMissingParents) {
		t.Fatalf("put of an op with a missing parent: %v", err)
	}
}
