package node

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestLeaverReadsNothingAfter: Dev, who holds a log's keys (in a group,
// handed to him by a member, not wrapped to him), leaves it: a group, a private conversation, or the
// community. Once Olivia holds the leave, what she writes there at once
// is either refused while the keys are renewed or sealed under an epoch
// Dev does not hold; Ben, who stays, reads it and Dev's node cannot open
// it.
func TestLeaverReadsNothingAfter(t *testing.T) {
	for _, tc := range []struct {
		name string
		// log sets up the log Dev leaves, which Dev and Ben read with keys
		// handed to them; gone reports whether a holds Dev's leave.
		log   func(t *testing.T, a, b, d *testNode, cid crdt.ID) crdt.ID
		leave func(ctx context.Context, d *testNode, cid, log crdt.ID) error
		gone  func(a *testNode, cid, log crdt.ID, dev string) bool
	}{
		{"group", openGroup,
			func(ctx context.Context, d *testNode, cid, log crdt.ID) error { return d.LeaveGroup(ctx, cid, log) },
			func(a *testNode, cid, log crdt.ID, dev string) bool { return !listed(a.GroupMembers(cid, log))(dev) }},
		{"private conversation", func(t *testing.T, a, b, d *testNode, cid crdt.ID) crdt.ID {
			id, err := a.OpenPrivate(t.Context(), cid, []string{b.Self().PeerID, d.Self().PeerID})
			if err != nil {
				t.Fatal(err)
			}
			return id
		},
			func(ctx context.Context, d *testNode, cid, log crdt.ID) error { return d.LeaveGroup(ctx, cid, log) },
			func(a *testNode, cid, log crdt.ID, dev string) bool { return !listed(a.GroupMembers(cid, log))(dev) }},
		{"community", openGroup,
			func(ctx context.Context, d *testNode, cid, _ crdt.ID) error { return d.LeaveCommunity(ctx, cid) },
			func(a *testNode, cid, _ crdt.ID, dev string) bool { return !listed(a.Members(cid))(dev) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := t.Context()
				a, b, d, comm := ownerAndMember(t)
				link, _ := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
				if _, err := d.Join(ctx, link); err != nil {
					t.Fatal(err)
				}
				log := tc.log(t, a, b, d, comm.ID)
				var held *crdt.Epoch
				for _, n := range []*testNode{b, d} {
					waitWithin(t, n.Node, 5*time.Minute, "b and d to hold the log's keys", func() bool {
						e := current(n.Node, comm.ID, log)
						if e == nil || !n.keys.Keyring().Has(e.ID) || e.ID != current(a.Node, comm.ID, log).ID {
							return false
						}
						held = e
						return true
					})
				}
				if tc.name == "group" || tc.name == "community" {
					if _, wrapped := held.Wraps[d.selfKey()]; wrapped {
						t.Fatal("the epoch was wrapped to d, not handed to him")
					}
				}
				if err := tc.leave(ctx, d, comm.ID, log); err != nil {
					t.Fatal(err)
				}
				waitFor(t, a.Node, "a to hold d's leave", func() bool { return tc.gone(a, comm.ID, log, d.Self().PeerID) })
				id, err := a.Post(ctx, comm.ID, log, "Our new price list, for the team only")
				if errors.Is(err, api.ErrKeysRenewing) || errors.Is(err, api.ErrNoKeys) {
					// Renewed by a or, in a conversation, by b: then a is
					// handed the new epoch.
					waitWithin(t, a.Node, 5*time.Minute, "a to hold renewed keys", func() bool {
						e := current(a.Node, comm.ID, log)
						return e != nil && a.keys.Keyring().Has(e.ID) && !stale(a.Node, comm.ID, log)
					})
					id, err = a.Post(ctx, comm.ID, log, "Our new price list, for the team only")
				}
				if err != nil {
					t.Fatal(err)
				}
				waitWithin(t, b.Node, 5*time.Minute, "b to read the post", func() bool { _, err := b.Message(comm.ID, log, id); return err == nil })
				var op *crdt.Op
				_ = a.rep.View(comm.ID, func(c *crdt.Community) error { op = c.Op(id); return nil })
				fresh, _ := crdt.DecodeOp(op.Bytes())
				if _, err := d.keys.Open(fresh); err == nil {
					t.Fatal("d, gone, opened what a wrote once she held the leave")
				}
			})
		})
	}
}

// openGroup makes an open group whose epoch a draws before b and d join
// it, so they are handed it by a member.
func openGroup(t *testing.T, a, b, d *testNode, cid crdt.ID) crdt.ID {
	ctx := t.Context()
	g, err := a.CreateGroup(ctx, cid, "Top sellers", "", "open")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Post(ctx, cid, g.ID, "Welcome"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*testNode{b, d} {
		waitFor(t, n.Node, "the group to arrive", func() bool { gs, _ := n.Groups(cid); return len(gs) == 3 })
		if err := n.JoinGroup(ctx, cid, g.ID); err != nil {
			t.Fatal(err)
		}
	}
	return g.ID
}

// listed returns whether a member list holds peer id p.
func listed(ms []api.Member, _ error) func(p string) bool {
	return func(p string) bool {
		for _, m := range ms {
			if m.PeerID == p {
				return true
			}
		}
		return false
	}
}
