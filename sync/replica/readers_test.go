package replica

import (
	"slices"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// TestReaderQueries: Role, Readable, Readers and Lacks answer from the
// community's state, and say nothing of a community not held.
func TestReaderQueries(t *testing.T) {
	ctx := t.Context()
	ops, cid, gid := history(t)
	r := open(t, store.NewMemory())
	r.Expect(cid)
	for _, op := range ops {
		if _, err := r.Ingest(ctx, op); err != nil {
			t.Fatal(err)
		}
	}
	pk := func(k key) crdt.PublicKey {
		var p crdt.PublicKey
		copy(p[:], k.PublicKey())
		return p
	}
	owner, ben, stranger := pk(newKey(1)), pk(newKey(2)), pk(newKey(7))
	if got := r.Role(cid, owner); got != crdt.RoleOwner {
		t.Errorf("owner's role %v", got)
	}
	if got := r.Role(cid, stranger); got != crdt.RoleNone {
		t.Errorf("stranger's role %v", got)
	}
	if got := r.Role(crdt.ID{1}, owner); got != crdt.RoleNone {
		t.Errorf("role in an unknown community %v", got)
	}
	if logs, err := r.Readable(cid, ben); err != nil || len(logs) < 2 || logs[0] != crdt.ZeroID || !slices.Contains(logs, gid) {
		t.Errorf("Ben reads %v, %v; want the control log first, and General", logs, err)
	}
	if logs, err := r.Readable(cid, stranger); err != nil || !slices.Equal(logs, []crdt.ID{crdt.ZeroID}) {
		t.Errorf("a stranger reads %v, %v; want only the control log", logs, err)
	}
	if _, err := r.Readable(crdt.ID{1}, ben); err == nil {
		t.Error("Readable of an unknown community did not fail")
	}
	if got := r.Readers(cid, gid, []crdt.PublicKey{stranger, ben, owner}); !slices.Equal(got, []crdt.PublicKey{ben, owner}) {
		t.Errorf("readers of General %v", got)
	}
	last := ops[len(ops)-1]
	if missing, err := r.Lacks(cid, last); err != nil || len(missing) != 0 {
		t.Errorf("held op lacks %v, %v", missing, err)
	}
	ghost := *last
	ghost.Parents = []crdt.ID{{0xee}}
	if missing, err := r.Lacks(cid, &ghost); err != nil || !slices.Equal(missing, []crdt.ID{{0xee}}) {
		t.Errorf("op citing a ghost lacks %v, %v", missing, err)
	}
	if _, err := r.Lacks(crdt.ID{1}, last); err == nil {
		t.Error("Lacks in an unknown community did not fail")
	}
}
