package node

import (
	"slices"
	"testing"
	"testing/synctest"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// inGroup reports whether n's member is in group gid of cid, as n's own
// groups list says.
func inGroup(t *testing.T, n *Node, cid, gid crdt.ID) bool {
	t.Helper()
	gs, err := n.Groups(cid)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if g.ID == gid {
			return g.Joined
		}
	}
	return false
}

// TestGroupAddAndRemoveOverTheNetwork: an admin adds two members to a
// group; the one added sees the group and its history at once. Taken out
// of the group, a member reads nothing written there after — its node
// cannot open it — but everything new in General.
func TestGroupAddAndRemoveOverTheNetwork(t *testing.T) {
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
		gen := general(t, a.Node, comm.ID)
		// The members' prekeys are in the group's first rotation's past:
		// it leaves them out, and the group's keys still reach them once
		// they are added.
		waitFor(t, a.Node, "a to hold b's and c's prekeys", func() bool {
			held := false
			_ = a.rep.View(comm.ID, func(x *crdt.Community) error {
				st := x.State()
				held = st.Prekeys[b.selfKey()] != nil && st.Prekeys[c.selfKey()] != nil
				return nil
			})
			return held
		})
		leaders, err := a.CreateGroup(ctx, comm.ID, "Team leaders", "", "approval")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Post(ctx, comm.ID, leaders.ID, "Targets for May"); err != nil {
			t.Fatal(err)
		}
		for _, n := range []*testNode{b, c} {
			waitFor(t, n.Node, n.Self().Name+" to see the group", func() bool {
				gs, _ := n.Groups(comm.ID)
				return slices.ContainsFunc(gs, func(g api.Group) bool { return g.ID == leaders.ID })
			})
			if err := a.AddToGroup(ctx, comm.ID, leaders.ID, n.Self().PeerID); err != nil {
				t.Fatal(err)
			}
		}
		for _, n := range []*testNode{b, c} {
			waitFor(t, n.Node, n.Self().Name+" to be in the group and read its history", func() bool {
				return inGroup(t, n.Node, comm.ID, leaders.ID) && slices.Equal(texts(t, n.Node, comm.ID, leaders.ID), []string{"Olivia: Targets for May"})
			})
		}
		if ms, err := a.GroupMembers(comm.ID, leaders.ID); err != nil || len(ms) != 3 || !ms[1].CanRemoveFromGroup && !ms[2].CanRemoveFromGroup {
			t.Fatalf("group members %+v, %v", ms, err)
		}

		if err := a.RemoveFromGroup(ctx, comm.ID, leaders.ID, b.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b.Node, "b to learn it is out of the group", func() bool { return !inGroup(t, b.Node, comm.ID, leaders.ID) })
		after, err := a.Post(ctx, comm.ID, leaders.ID, "Ben's targets go to Chloe")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Post(ctx, comm.ID, gen, "Team call at 8"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, c.Node, "c to read the group's new message", func() bool { return len(texts(t, c.Node, comm.ID, leaders.ID)) == 2 })
		waitFor(t, b.Node, "b to read General's new message", func() bool {
			return slices.Contains(texts(t, b.Node, comm.ID, gen), "Olivia: Team call at 8")
		})
		if got := texts(t, b.Node, comm.ID, leaders.ID); !slices.Equal(got, []string{"Olivia: Targets for May"}) {
			t.Fatalf("b shows %q in the group it was taken out of", got)
		}
		// Handed the op itself, b's node cannot open it.
		for _, o := range allOps(t, a.Node, comm.ID) {
			if o.ID() == after {
				if plain, err := b.keys.Open(o); err == nil {
					t.Fatalf("b opened the group's message written after its removal: %q", plain)
				}
			}
		}
		if inGroup(t, b.Node, comm.ID, gen) != true {
			t.Fatal("b is no longer in General")
		}
	})
}
