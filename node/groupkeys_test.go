package node

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// holdsPrekey reports whether n holds a prekey of k in community cid.
func holdsPrekey(n *Node, cid crdt.ID, k crdt.PublicKey) bool {
	held := false
	_ = n.rep.View(cid, func(c *crdt.Community) error { held = c.State().Prekeys[k] != nil; return nil })
	return held
}

// TestGroupAddKeysThroughRelay: Olivia adds Ben, who is offline, to a
// group with history and goes offline herself. Ben comes back with only
// the relay up: the add came with the group's keys wrapped to him in the
// control log, so he reads the group's history and what was written
// after the add from the relay alone.
func TestGroupAddKeysThroughRelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		r := sn.startRelay(t.TempDir())
		defer r.close()
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		rk, _ := keyOf(r.h.ID())
		if err := a.AddRelay(ctx, comm.ID, rk, []string{r.h.Addrs()[0].String()}); err != nil {
			t.Fatal(err)
		}
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		bHome, bStore := t.TempDir(), store.NewMemory()
		b := sn.start(bHome, "Ben", bStore)
		if _, err := b.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "Olivia to hold Ben's prekey", func() bool { return holdsPrekey(a.Node, comm.ID, b.selfKey()) })
		leaders, err := a.CreateGroup(ctx, comm.ID, "Team leaders", "", "approval")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Post(ctx, comm.ID, leaders.ID, "Targets for May"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b.Node, "Ben to see the group", func() bool {
			gs, _ := b.Groups(comm.ID)
			return slices.ContainsFunc(gs, func(g api.Group) bool { return g.ID == leaders.ID })
		})
		b.Close() // Ben goes offline

		if err := a.AddToGroup(ctx, comm.ID, leaders.ID, b.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		after, err := a.Post(ctx, comm.ID, leaders.ID, "Ben leads the June push")
		if err != nil {
			t.Fatal(err)
		}
		control := append(opsOf(a.Node, comm.ID, crdt.KindGroupAdd), opsOf(a.Node, comm.ID, crdt.KindRekey)...)
		waitFor(t, a.Node, "the relay to hold the add, the keys and the posts", func() bool {
			return relayHolds(ctx, r, comm.ID, append(control, after))
		})
		a.Close() // Olivia goes offline too: only the relay is up

		b2 := sn.start(bHome, "Ben", bStore)
		defer b2.Close()
		waitFor(t, b2.Node, "Ben to be in the group and read it through the relay", func() bool {
			return inGroup(t, b2.Node, comm.ID, leaders.ID) &&
				slices.Equal(texts(t, b2.Node, comm.ID, leaders.ID), []string{"Olivia: Targets for May", "Olivia: Ben leads the June push"})
		})
	})
}

// TestGroupAddReadsAtOnce: a member added to a group with history reads
// it within seconds, not at the next periodic pull, whether or not the
// other members connected to it read the group.
func TestGroupAddReadsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, c, comm := ownerAndMember(t)
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "Olivia to hold the prekeys", func() bool {
			return holdsPrekey(a.Node, comm.ID, b.selfKey()) && holdsPrekey(a.Node, comm.ID, c.selfKey())
		})
		leaders, err := a.CreateGroup(ctx, comm.ID, "Team leaders", "", "approval")
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range []string{"Targets for May", "Targets for June"} {
			if _, err := a.Post(ctx, comm.ID, leaders.ID, text); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, b.Node, "Ben to see the group", func() bool {
			gs, _ := b.Groups(comm.ID)
			return slices.ContainsFunc(gs, func(g api.Group) bool { return g.ID == leaders.ID })
		})
		if err := a.AddToGroup(ctx, comm.ID, leaders.ID, b.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		waitWithin(t, b.Node, 5*time.Second, "Ben to read the group's history", func() bool {
			return slices.Equal(texts(t, b.Node, comm.ID, leaders.ID), []string{"Olivia: Targets for May", "Olivia: Targets for June"})
		})
	})
}
