package store

import (
	"encoding/hex"
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
