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

// joinByInvite has joiner join community cid by an invite link of
// inviter's, and waits until inviter holds the joiner's prekey.
func joinByInvite(t *testing.T, inviter, joiner *testNode, cid crdt.ID) {
	t.Helper()
	link, err := inviter.CreateInvite(t.Context(), cid, api.InviteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := joiner.Join(t.Context(), link); err != nil {
		t.Fatal(err)
	}
	waitFor(t, inviter.Node, "the inviter to hold the joiner's prekey", func() bool { return holdsPrekey(inviter.Node, cid, joiner.selfKey()) })
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
		defer a.Close() // Close is idempotent: the test closes it earlier
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		r.register(t, a, comm.ID)
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		bHome, bStore := t.TempDir(), store.NewMemory()
		b := sn.start(bHome, "Ben", bStore)
		defer b.Close()
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

// TestDirectAddReadsThroughRelay: Olivia adds Ben to her customers'
// community directly; the add comes with the keys wrapped to him, so the
// relay knows him from the add (no rotation needed) and, once his node
// holds the community, he reads what was written while he was away from
// the relay alone, with Olivia offline.
func TestDirectAddReadsThroughRelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		r := sn.startRelay(t.TempDir())
		defer r.close()
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		defer a.Close() // Close is idempotent: the test closes it earlier
		bHome, bStore := t.TempDir(), store.NewMemory()
		b := sn.start(bHome, "Ben", bStore)
		defer b.Close()
		team, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		joinByInvite(t, a, b, team.ID)
		customers, err := a.CreateCommunity(ctx, "Glow Customers")
		if err != nil {
			t.Fatal(err)
		}
		r.register(t, a, customers.ID)
		ann := announcements(t, a.Node, customers.ID)
		if err := a.AddMember(ctx, customers.ID, b.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b.Node, "Ben to hold the customers' community", func() bool {
			c, err := b.community(customers.ID)
			return err == nil && c.Role == crdt.RoleMember.String()
		})
		waitFor(t, a.Node, "the relay to know Ben from the add", func() bool { return r.rs.Relay().Known(customers.ID, b.selfKey()) })
		b.Close() // Ben goes offline

		news, err := a.Post(ctx, customers.ID, ann, "Spring catalogue is out")
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "the relay to hold the news", func() bool { return relayHolds(ctx, r, customers.ID, []crdt.ID{news}) })
		a.Close() // only the relay is up

		b2 := sn.start(bHome, "Ben", bStore)
		defer b2.Close()
		waitFor(t, b2.Node, "Ben to read the news through the relay", func() bool {
			return slices.Equal(texts(t, b2.Node, customers.ID, ann), []string{"Olivia: Spring catalogue is out"})
		})
	})
}

// TestDirectAddNudgedThenOnlyRelay: Olivia adds Ben to her customers'
// community while he is away, and goes offline. Ben comes back with only
// the relay up; Olivia's nudge reaches him (handed to his node's handler:
// she cannot both send it and be offline for the pull it starts). His
// node pulls the community from the relay, which knows him from the
// add's share ops, opens the keys wrapped to him in them, and he reads
// the announcement with a notification that Olivia added him.
func TestDirectAddNudgedThenOnlyRelay(t *testing.T) { directAddThenOnlyRelay(t, true) }

// TestDirectAddLearntFromRelay: Olivia adds Ben to Glow Customers while
// he is away and goes offline before any member could nudge him; when Ben
// comes back with only the relay up (registered in Glow Team, which he
// holds, and in Glow Customers), the relay nudges him about Glow
// Customers, since he has not arrived there: he pulls it from the relay,
// reads its history and is told he was added.
func TestDirectAddLearntFromRelay(t *testing.T) { directAddThenOnlyRelay(t, false) }

// directAddThenOnlyRelay is TestDirectAddNudgedThenOnlyRelay (nudged) and
// TestDirectAddLearntFromRelay.
func directAddThenOnlyRelay(t *testing.T, nudged bool) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		r := sn.startRelay(t.TempDir())
		defer r.close()
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		defer a.Close() // Close is idempotent: the test closes it earlier
		bHome, bStore := t.TempDir(), store.NewMemory()
		b := sn.start(bHome, "Ben", bStore)
		defer b.Close()
		team, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		r.register(t, a, team.ID)
		joinByInvite(t, a, b, team.ID)
		if !nudged {
			waitFor(t, b.Node, "Ben to see the relay of Glow Team", func() bool {
				c, err := b.community(team.ID)
				return err == nil && len(c.Relays) == 1
			})
		}
		b.Close() // Ben goes away

		customers, err := a.CreateCommunity(ctx, "Glow Customers")
		if err != nil {
			t.Fatal(err)
		}
		r.register(t, a, customers.ID)
		ann := announcements(t, a.Node, customers.ID)
		news, err := a.Post(ctx, customers.ID, ann, "Spring catalogue is out")
		if err != nil {
			t.Fatal(err)
		}
		if err := a.AddMember(ctx, customers.ID, b.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		control := append(opsOf(a.Node, customers.ID, crdt.KindAdd), opsOf(a.Node, customers.ID, crdt.KindRekey)...)
		waitFor(t, a.Node, "the relay to hold the add, its keys and the news", func() bool {
			return relayHolds(ctx, r, customers.ID, append(control, news))
		})
		olivia := a.selfKey()
		a.Close() // only the relay is up; unless nudged, no member ever nudged Ben

		b2 := sn.start(bHome, "Ben", bStore)
		defer b2.Close()
		events, cancel := b2.Subscribe()
		defer cancel()
		if nudged {
			b2.pulls.Nudged(customers.ID, olivia)
		}
		waitFor(t, b2.Node, "Ben to read the announcement through the relay", func() bool {
			ms, err := b2.Messages(customers.ID, ann)
			return err == nil && len(ms) == 1 && ms[0].Text == "Spring catalogue is out"
		})
		if c, err := b2.community(customers.ID); err != nil || c.AddedBy != "Olivia" {
			t.Fatalf("Ben's view of the community: %+v, %v", c, err)
		}
		waitFor(t, b2.Node, "the added event", func() bool {
			for {
				select {
				case e := <-events:
					if e.Kind == api.EventAdded && e.Community == customers.ID {
						return true
					}
				default:
					return false
				}
			}
		})
	})
}
