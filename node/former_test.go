package node

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// removalOf returns the id of the removal of target that n's audit log
// records as by.
func removalOf(t *testing.T, n *testNode, cid crdt.ID, by, target *testNode) crdt.ID {
	t.Helper()
	es, err := n.Audit(cid)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Action == crdt.KindRemove.String() && e.Actor == by.Self().PeerID && e.Target == target.Self().PeerID {
			return e.Op
		}
	}
	t.Fatalf("%s's audit log has no removal of %s by %s", n.Self().Name, target.Self().Name, by.Self().Name)
	return crdt.ID{}
}

func holds(n *Node, cid, id crdt.ID) bool {
	has := false
	_ = n.rep.View(cid, func(c *crdt.Community) error { has = c.Has(id); return nil })
	return has
}

// TestConcurrentRemovalSpreads: admin Dana, cut off alone, removes admin
// Ann while Ann removes Dana. When the network heals, nobody counts Dana a
// member any more, yet her removal of Ann, written before she was
// removed, reaches every member within a few sync intervals: they pull it
// from her. Both removals apply, the owner renews the keys, and Ann opens
// nothing written after.
func TestConcurrentRemovalSpreads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		cut, ns, comm := splitCommunity(t, "Olivia", "Ann", "Dana", "Wendy")
		o, ann, dana, w := ns[0], ns[1], ns[2], ns[3]
		link, _ := o.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		for _, n := range []*testNode{ann, dana, w} {
			if _, err := n.Join(ctx, link); err != nil {
				t.Fatal(err)
			}
		}
		for _, n := range []*testNode{ann, dana} {
			if err := o.SetRole(ctx, comm.ID, n.Self().PeerID, "admin"); err != nil {
				t.Fatal(err)
			}
		}
		gid := general(t, o.Node, comm.ID)
		for _, n := range ns {
			waitFor(t, n.Node, "everyone to hold every key and prekey, and two admins", func() bool {
				e := current(n.Node, comm.ID, gid)
				var prekeys, admins int
				_ = n.rep.View(comm.ID, func(c *crdt.Community) error {
					st := c.State()
					prekeys = len(st.Prekeys)
					for _, m := range st.Members {
						if m.Role == crdt.RoleAdmin {
							admins++
						}
					}
					return nil
				})
				return e != nil && n.keys.Keyring().Has(e.ID) && !n.keys.NeedsKeys(comm.ID) && prekeys == 4 && admins == 2
			})
		}

		cut.split(dana) // Olivia, Ann, Wendy | Dana
		if err := dana.RemoveMember(ctx, comm.ID, ann.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		if err := ann.RemoveMember(ctx, comm.ID, dana.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		byDana := removalOf(t, dana, comm.ID, dana, ann)
		byAnn := removalOf(t, ann, comm.ID, ann, dana)
		for _, n := range []*testNode{o, w} {
			waitFor(t, n.Node, "Ann's removal of Dana to reach her side", func() bool { return holds(n.Node, comm.ID, byAnn) })
		}
		cut.heal()
		for _, n := range []*testNode{o, w} {
			waitWithin(t, n.Node, 3*n.cfg.SyncInterval, "Dana's removal of Ann, from Dana", func() bool { return holds(n.Node, comm.ID, byDana) })
		}
		for _, n := range []*testNode{o, w} {
			waitWithin(t, n.Node, 5*time.Minute, "both removals and renewed keys", func() bool {
				ms, _ := n.Members(comm.ID)
				if len(ms) != 2 {
					return false
				}
				for _, l := range []crdt.ID{crdt.ZeroID, comm.ID, gid} {
					e := current(n.Node, comm.ID, l)
					if e == nil || stale(n.Node, comm.ID, l) || !n.keys.Keyring().Has(e.ID) {
						return false
					}
				}
				return true
			})
		}
		id, err := w.Post(ctx, comm.ID, gid, "Who takes over Ann's and Dana's teams?")
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, o.Node, "the owner to read Wendy", func() bool { _, err := o.Message(comm.ID, gid, id); return err == nil })
		var op *crdt.Op
		_ = w.rep.View(comm.ID, func(c *crdt.Community) error { op = c.Op(id); return nil })
		fresh, _ := crdt.DecodeOp(op.Bytes())
		for _, n := range []*testNode{ann, dana} {
			if _, err := n.keys.Open(fresh); err == nil {
				t.Fatalf("%s, removed, opened a message written after the removals", n.Self().Name)
			}
		}
		// Both learn that they were removed, and by whom.
		for _, c := range []struct {
			n  *testNode
			by string
		}{{ann, "Dana"}, {dana, "Ann"}} {
			waitFor(t, c.n.Node, c.n.Self().Name+" to learn of her removal", func() bool {
				got, err := c.n.community(comm.ID)
				return err == nil && got.Removed && got.RemovedBy == c.by
			})
		}
	})
}

// TestRemovedWhileOffline: a member removed while its node is stopped
// starts again, reaches a member, and learns of its removal — by whom —
// from the control ops in the removal's causal past, which are all it is
// sent: not what was posted while it was away, not what came after. It
// then refuses to post (ErrRemoved). A member who left says so too
// (ErrLeft).
func TestRemovedWhileOffline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		o := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		defer o.Close()
		w := sn.start(t.TempDir(), "Wendy", store.NewMemory())
		defer w.Close()
		mHome := t.TempDir()
		m := sn.start(mHome, "Mia", store.NewMemory())
		comm, err := o.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		link, _ := o.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		for _, n := range []*testNode{w, m} {
			if _, err := n.Join(ctx, link); err != nil {
				t.Fatal(err)
			}
		}
		gid := general(t, o.Node, comm.ID)
		if _, err := o.Post(ctx, comm.ID, gid, "Welcome, Wendy and Mia"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, m.Node, "Mia to read the welcome", func() bool { return len(texts(t, m.Node, comm.ID, gid)) == 1 })
		before := map[crdt.ID]bool{}
		for _, op := range allOps(t, m.Node, comm.ID) {
			before[op.ID()] = true
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}

		// While Mia is away: a post, a new group, her removal, and more.
		if _, err := o.Post(ctx, comm.ID, gid, "Mia's leads go to Wendy"); err != nil {
			t.Fatal(err)
		}
		if _, err := o.CreateGroup(ctx, comm.ID, "Top sellers", "", "open"); err != nil {
			t.Fatal(err)
		}
		if err := o.RemoveMember(ctx, comm.ID, m.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		removal := removalOf(t, o, comm.ID, o, m)
		for _, s := range []string{"Promo code GLOW25 starts Monday", "Top sellers meet Friday"} {
			if _, err := o.Post(ctx, comm.ID, gid, s); err != nil {
				t.Fatal(err)
			}
			if _, err := o.Post(ctx, comm.ID, comm.ID, s); err != nil {
				t.Fatal(err)
			}
		}
		if err := o.UpdateSettings(ctx, comm.ID, api.Settings{Name: "Glow Team", Description: "Spring push"}); err != nil {
			t.Fatal(err)
		}

		m = sn.start(mHome, "Mia", m.store)
		defer m.Close()
		waitWithin(t, m.Node, 3*m.cfg.SyncInterval, "Mia to learn of her removal", func() bool {
			c, err := m.community(comm.ID)
			return err == nil && c.Removed
		})
		c, _ := m.community(comm.ID)
		if c.RemovedBy != "Olivia" || c.Role != crdt.RoleNone.String() || c.Left {
			t.Fatalf("Mia's community after her removal: %+v", c)
		}
		if _, err := m.Post(ctx, comm.ID, gid, "Hello?"); !errors.Is(err, api.ErrRemoved) {
			t.Fatalf("posting after the removal: %v, want ErrRemoved", err)
		}
		// Give her node every chance to ask for more: two more pulls.
		learnt := m.now()
		waitWithin(t, m.Node, 5*m.cfg.SyncInterval, "Mia to pull twice more", func() bool {
			last, ok := m.LastSync(comm.ID)
			return ok && last.At.Sub(learnt) > m.cfg.SyncInterval
		})
		var got, past int
		_ = o.rep.View(comm.ID, func(c *crdt.Community) error {
			for _, op := range allOps(t, m.Node, comm.ID) {
				if before[op.ID()] {
					continue
				}
				got++
				if !op.Log.IsZero() || !c.InPastOf(removal, op.ID()) {
					t.Errorf("Mia, removed, was sent op %s (%s), outside her removal's past", op.ID().Short(), op.Kind)
				}
			}
			c.EachOp(crdt.ZeroID, func(op *crdt.Op) {
				if c.InPastOf(removal, op.ID()) && !before[op.ID()] {
					past++
				}
			})
			return nil
		})
		// Nor does she hold, parked, an op she could not open or place.
		if parked, _, err := m.store.PendingLen(ctx); err != nil || parked != 0 {
			t.Fatalf("Mia holds %d parked ops (%v): she was sent more than her removal's past", parked, err)
		}
		if got != past || got < 3 {
			t.Fatalf("Mia received %d new ops, want the %d of her removal's past", got, past)
		}
		if txt := texts(t, m.Node, comm.ID, gid); len(txt) != 1 {
			t.Fatalf("Mia, removed, shows %q", txt)
		}

		if err := w.LeaveCommunity(ctx, comm.ID); err != nil {
			t.Fatal(err)
		}
		if c, _ := w.community(comm.ID); !c.Left || c.Removed || c.RemovedBy != "" {
			t.Fatalf("Wendy's community after she left: %+v", c)
		}
		if _, err := w.Post(ctx, comm.ID, gid, "One more thing"); !errors.Is(err, api.ErrLeft) || errors.Is(err, api.ErrRemoved) {
			t.Fatalf("posting after leaving: %v, want ErrLeft", err)
		}
	})
}
