package replica

import (
	"fmt"
	"sync"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// TestSnapshotWhileIngesting reads snapshots without the replica's lock
// while ops that change members and groups are authored and ingested
// (run it with -race): each snapshot holds still while it is read, and
// the last one taken after the writer stopped has everything.
func TestSnapshotWhileIngesting(t *testing.T) {
	ctx := t.Context()
	ops, cid, _ := history(t)
	r := open(t, store.NewMemory())
	r.Expect(cid)
	for _, op := range ops {
		if _, err := r.Ingest(ctx, op); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Snapshot(crdt.ID{1}); err == nil {
		t.Fatal("a snapshot of a community the replica does not hold")
	}
	owner := newKey(1)
	const writes = 60
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	errs := make(chan error, 1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			st, err := r.Snapshot(cid)
			if err != nil {
				errs <- err
				return
			}
			groups, names := len(st.Groups), ""
			for _, m := range st.Members {
				names += m.Name
			}
			for _, g := range st.Groups {
				names += g.Name
			}
			again := ""
			for _, m := range st.Members {
				again += m.Name
			}
			for _, g := range st.Groups {
				again += g.Name
			}
			if len(st.Groups) != groups || len(again) != len(names) {
				errs <- fmt.Errorf("a snapshot changed while it was read")
				return
			}
		}
	}()
	for i := range writes {
		kind, b := crdt.KindProfile, any(&crdt.ProfileBody{Name: fmt.Sprintf("Olivia %d", i)})
		if i%3 == 0 {
			kind, b = crdt.KindGroupCreate, &crdt.GroupCreateBody{Name: fmt.Sprintf("Group %d", i), Policy: crdt.PolicyOpen}
		}
		if _, err := r.Author(ctx, owner, cid, crdt.ZeroID, kind, body(t, b)); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	st, err := r.Snapshot(cid)
	if err != nil {
		t.Fatal(err)
	}
	var ownerKey crdt.PublicKey
	copy(ownerKey[:], owner.PublicKey())
	if got, want := st.Members[ownerKey].Name, fmt.Sprintf("Olivia %d", writes-1); got != want {
		t.Fatalf("the last snapshot names the owner %q, want %q", got, want)
	}
}
