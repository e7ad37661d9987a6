package node

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// syncRecorder is a store that remembers which ops were written since its
// last Sync: what a power cut could still lose.
type syncRecorder struct {
	store.OpStore
	mu       sync.Mutex
	unsynced map[crdt.ID]*crdt.Op // guarded by mu
	syncs    int                  // guarded by mu
}

func newSyncRecorder() *syncRecorder {
	return &syncRecorder{OpStore: store.NewMemory(), unsynced: map[crdt.ID]*crdt.Op{}}
}

func (s *syncRecorder) Put(ctx context.Context, op crdt.Opened) error {
	return s.PutBatch(ctx, []crdt.Opened{op})
}

func (s *syncRecorder) PutBatch(ctx context.Context, ops []crdt.Opened) error {
	if err := s.OpStore.PutBatch(ctx, ops); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, op := range ops {
		s.unsynced[op.Op.ID()] = op.Op
	}
	return nil
}

func (s *syncRecorder) Sync(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.unsynced)
	s.syncs++
	return s.OpStore.Sync(ctx)
}

// unsyncedBy returns the kinds of the ops by author that are not synced yet.
func (s *syncRecorder) unsyncedBy(author crdt.PublicKey) []crdt.Kind {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []crdt.Kind
	for _, op := range s.unsynced {
		if op.Author == author {
			out = append(out, op.Kind)
		}
	}
	return out
}

// TestAuthoredOpsDurable: every call that writes an op of the member's own
// — creating a community, inviting, joining, posting, reacting, polls and
// votes, edits and deletes, roles and removals — returns only after the
// store synced it to disk. Ops received from others need not be.
func TestAuthoredOpsDurable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		as, bs, cs := newSyncRecorder(), newSyncRecorder(), newSyncRecorder()
		a := sn.start(t.TempDir(), "Olivia", as)
		b := sn.start(t.TempDir(), "Ben", bs)
		c := sn.start(t.TempDir(), "Chloe", cs)
		defer a.Close()
		defer b.Close()
		defer c.Close()
		check := func(n *testNode, st *syncRecorder, what string) {
			t.Helper()
			synctest.Wait() // background work (key upkeep) finishes what it started
			if kinds := st.unsyncedBy(n.selfKey()); len(kinds) > 0 {
				t.Fatalf("after %s, %s's own ops %v are not synced to disk", what, n.Self().Name, kinds)
			}
		}

		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		check(a, as, "creating a community")
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		check(a, as, "making an invite")
		for _, n := range []*testNode{b, c} {
			if _, err := n.Join(ctx, link); err != nil {
				t.Fatal(err)
			}
		}
		check(b, bs, "joining")
		gid := general(t, b.Node, comm.ID)
		msg, err := b.Post(ctx, comm.ID, gid, "Hello team")
		if err != nil {
			t.Fatal(err)
		}
		check(b, bs, "posting")
		waitFor(t, a.Node, "a to receive b's post", func() bool { return len(texts(t, a.Node, comm.ID, gid)) == 1 })
		if err := a.React(ctx, comm.ID, gid, msg, "🎉", true); err != nil {
			t.Fatal(err)
		}
		check(a, as, "reacting")
		poll, err := a.CreatePoll(ctx, comm.ID, gid, "Meet on Friday?", []string{"yes", "no"}, false, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		check(a, as, "starting a poll")
		waitFor(t, b.Node, "b to receive the poll", func() bool { return len(texts(t, b.Node, comm.ID, gid)) == 2 })
		if err := b.Vote(ctx, comm.ID, gid, poll, []int{0}); err != nil {
			t.Fatal(err)
		}
		check(b, bs, "voting")
		if err := b.Edit(ctx, comm.ID, gid, msg, "Hello, team"); err != nil {
			t.Fatal(err)
		}
		check(b, bs, "editing")
		if err := b.Delete(ctx, comm.ID, gid, msg); err != nil {
			t.Fatal(err)
		}
		check(b, bs, "deleting")
		if err := a.SetRole(ctx, comm.ID, b.Self().PeerID, "admin"); err != nil {
			t.Fatal(err)
		}
		check(a, as, "promoting")
		if err := a.RemoveMember(ctx, comm.ID, c.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		check(a, as, "removing a member")
		if err := b.SetName(ctx, "Ben K."); err != nil {
			t.Fatal(err)
		}
		check(b, bs, "renaming")
	})
}
