package replica

import (
	"slices"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// TestAccepted: Accepted gives an accepted op of a group with its decoded
// body, and nothing for an op or a community not held; Groups lists the
// groups.
func TestAccepted(t *testing.T) {
	ops, cid, gid := history(t)
	r := open(t, store.NewMemory())
	r.Expect(cid)
	for _, op := range ops {
		if _, err := r.Ingest(t.Context(), op); err != nil {
			t.Fatal(err)
		}
	}
	last := ops[len(ops)-1]
	o, b := r.Accepted(cid, last.ID())
	if mb, _ := b.(*crdt.MessageBody); o == nil || o.ID() != last.ID() || mb == nil || mb.Text != "msg" {
		t.Fatalf("Accepted(last post) = %v, %#v; want the post and its body", o, b)
	}
	if o, b := r.Accepted(cid, crdt.ID{0xee}); o != nil || b != nil {
		t.Fatalf("Accepted(an op not held) = %v, %v", o, b)
	}
	if o, _ := r.Accepted(crdt.ID{1}, last.ID()); o != nil {
		t.Fatalf("Accepted in a community not held = %v", o)
	}
	st, err := r.Snapshot(cid)
	if err != nil {
		t.Fatal(err)
	}
	gs := r.Groups(cid)
	if len(gs) != len(st.Groups) || len(gs) < 2 || !slices.Contains(gs, gid) {
		t.Fatalf("Groups = %v; want the %d groups, General %s among them", gs, len(st.Groups), gid)
	}
	for _, g := range gs {
		if st.Groups[g] == nil {
			t.Fatalf("Groups lists %s, no group", g)
		}
	}
	if gs := r.Groups(crdt.ID{1}); len(gs) != 0 {
		t.Fatalf("Groups of a community not held = %v", gs)
	}
}
