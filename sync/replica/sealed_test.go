package replica

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// TestOpenedStaysWithItsReplica: what one replica reads from a sealed op
// stays with that replica. The same decoded *crdt.Op values go to a member
// that holds every epoch and then to one that holds the control log's but
// not the group's: the second must not accept a single sealed op of the
// group (it parks them until their key comes), even though the first
// opened every one of them.
func TestOpenedStaysWithItsReplica(t *testing.T) {
	f := buildCommunity(t, 12, 30, 10, true)
	cid := f.genesis.ID()
	ctx := t.Context()
	ingestAll := func(r *Replica) (accepted, parked int) {
		t.Helper()
		r.Expect(cid)
		if _, err := r.Ingest(ctx, f.genesis); err != nil {
			t.Fatal(err)
		}
		for _, op := range f.ops {
			res, err := r.Ingest(ctx, op)
			if err != nil {
				t.Fatalf("%s op %s: %v", op.Kind, op.ID().Short(), err)
			}
			switch res.Outcome {
			case Accepted:
				accepted++
			case Parked:
				parked++
			}
		}
		return accepted, parked
	}

	keys := e2ee.NewKeyring()
	addSealEpochs(keys, cid, crdt.ZeroID, f.general)
	member := open(t, store.NewMemory())
	member.SetSealer(benchSealer{keys})
	if acc, parked := ingestAll(member); acc != len(f.ops) || parked != 0 {
		t.Fatalf("the member accepted %d of %d ops and parked %d", acc, len(f.ops), parked)
	}

	outsider := e2ee.NewKeyring()
	addSealEpochs(outsider, cid, crdt.ZeroID)
	stranger := open(t, store.NewMemory())
	stranger.SetSealer(benchSealer{outsider})
	ingestAll(stranger)
	sealed := 0
	err := stranger.View(cid, func(c *crdt.Community) error {
		for _, op := range f.ops {
			if !op.Sealed() || op.Log != f.general {
				continue
			}
			sealed++
			if c.Has(op.ID()) {
				t.Errorf("a replica without the keys accepted sealed %s op %s that another replica opened", op.Kind, op.ID().Short())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sealed < len(f.ops)/3 {
		t.Fatalf("only %d of %d ops sealed: the test saw too little", sealed, len(f.ops))
	}
	if !stranger.WaitingForKeys() {
		t.Fatal("the replica without keys waits for none")
	}
}

// TestSealedReloadFromStore: a member's replica rebuilt from its store
// reads its sealed ops without their keys (a ratchet never goes back): the
// clear bodies it opened are stored beside the ops.
func TestSealedReloadFromStore(t *testing.T) {
	f := buildCommunity(t, 12, 30, 10, true)
	cid := f.genesis.ID()
	ctx := t.Context()
	keys := e2ee.NewKeyring()
	addSealEpochs(keys, cid, crdt.ZeroID, f.general)
	st := store.NewMemory()
	r := open(t, st)
	r.SetSealer(benchSealer{keys})
	r.Expect(cid)
	if _, err := r.Ingest(ctx, f.genesis); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.IngestBatch(ctx, f.ops); err != nil {
		t.Fatal(err)
	}
	posts := func(r *Replica) (n int, hash [32]byte) {
		t.Helper()
		err := r.View(cid, func(c *crdt.Community) error {
			n, hash = len(c.View(f.general).Posts), c.Hash()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n, hash
	}
	n, want := posts(r)
	if n != f.posts() {
		t.Fatalf("%d posts, want %d", n, f.posts())
	}
	again := open(t, st) // no sealer, no keys
	if m, got := posts(again); m != n || got != want {
		t.Fatalf("rebuilt from the store: %d posts, want %d; same state: %v", m, n, got == want)
	}
}
