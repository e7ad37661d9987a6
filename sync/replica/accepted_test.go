package replica

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// TestAccepted: Accepted gives an accepted op of a group with its decoded
// body, and nothing for an op or a community not held.
func TestAccepted(t *testing.T) {
	ops, cid, _ := history(t)
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
}
