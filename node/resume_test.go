package node

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// founderWhoPosted starts a simulated network and Olivia, who founds Glow
// Team and posts "before" in General.
func founderWhoPosted(t *testing.T) (*simNet, *testNode, api.Community, crdt.ID) {
	t.Helper()
	sn := newSimNet(t)
	a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
	t.Cleanup(func() { a.Close() })
	comm, err := a.CreateCommunity(t.Context(), "Glow Team")
	if err != nil {
		t.Fatal(err)
	}
	gid := general(t, a.Node, comm.ID)
	if _, err := a.Post(t.Context(), comm.ID, gid, "before"); err != nil {
		t.Fatal(err)
	}
	return sn, a, comm, gid
}

// TestJoinCutShortResumesByItself: Ben's join is cut short right after
// Olivia admitted him, and his node stops. When it starts again it
// finishes the join by itself — no second click on the link — and holds
// the community with what was posted before and after; one join is
// recorded. A stranger whose join was refused keeps nothing in flight.
func TestJoinCutShortResumesByItself(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn, a, comm, gid := founderWhoPosted(t)
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{MaxUses: 1})
		if err != nil {
			t.Fatal(err)
		}

		home, st := t.TempDir(), store.NewMemory()
		b := sn.start(home, "Ben", st)
		jctx, cut := context.WithCancel(ctx)
		_, err = b.JoinWithProgress(jctx, link, func(p api.JoinProgress) {
			if p.Stage == api.JoinAdmitted {
				cut() // the join stops here, as when the app is closed
			}
		})
		if err == nil {
			t.Fatal("the cut-short join reported success")
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Post(ctx, comm.ID, gid, "after"); err != nil {
			t.Fatal(err)
		}

		b = sn.start(home, "Ben", st)
		defer b.Close()
		waitFor(t, b.Node, "Ben's node to finish the join by itself", func() bool {
			c, err := b.community(comm.ID)
			return err == nil && c.Role == crdt.RoleMember.String() && slices.Equal(texts(t, b.Node, comm.ID, gid), []string{"Olivia: before", "Olivia: after"}) &&
				len(b.peers.Awaited(b.now())) == 0
		})
		if n := joinsBy(t, a.Node, comm.ID, b.selfKey()); n != 1 {
			t.Fatalf("%d joins recorded for Ben, want 1", n)
		}

		// The link is used up: a stranger is refused, and waits for nothing.
		x := sn.start(t.TempDir(), "Stranger", store.NewMemory())
		defer x.Close()
		if _, err := x.Join(ctx, link); err == nil {
			t.Fatal("a used-up link admitted a stranger")
		}
		if got := x.peers.Awaited(x.now()); len(got) != 0 {
			t.Fatalf("a refused join is still awaited: %v", got)
		}
	})
}
