package node

import (
	"testing"
	"testing/synctest"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestKeysNotHandedToTheLeftOut: Olivia removes Ben while cut off. Cara
// gets the rotation made for it but not yet the removal, so she still
// counts Ben a member; Ben asks her for keys. She hands him none of the
// new epochs: the rotation left him out.
func TestKeysNotHandedToTheLeftOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		cut, ns, comm := splitCommunity(t, "Olivia", "Ben", "Cara")
		a, b, c := ns[0], ns[1], ns[2]
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []*testNode{b, c} {
			if _, err := n.Join(ctx, link); err != nil {
				t.Fatal(err)
			}
		}
		prekeys := func() bool {
			ok := false
			_ = a.rep.View(comm.ID, func(cm *crdt.Community) error {
				st := cm.State()
				ok = st.Prekeys[b.selfKey()] != nil && st.Prekeys[c.selfKey()] != nil
				return nil
			})
			return ok
		}
		waitFor(t, a.Node, "Ben's and Cara's prekeys", prekeys)
		caughtUp(t, c, a, comm.ID, crdt.ZeroID)
		// Ben asks Cara below: they must have met (the periodic dial of a
		// remembered member), not merely be caught up with Olivia.
		waitFor(t, b.Node, "Ben and Cara to meet", func() bool {
			return b.host.Network().Connectedness(c.host.ID()) == network.Connected
		})

		cut.split(a)
		before := map[crdt.ID]bool{}
		for _, o := range allOps(t, a.Node, comm.ID) {
			before[o.ID()] = true
		}
		if err := a.RemoveMember(ctx, comm.ID, b.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		var rotation []crdt.EpochID
		for _, o := range allOps(t, a.Node, comm.ID) {
			if before[o.ID()] || o.Kind != crdt.KindRekey {
				continue
			}
			res, err := c.rep.Ingest(ctx, o)
			if err != nil {
				t.Fatalf("Cara takes the rotation: %v", err)
			}
			c.afterIngest(res)
		}
		_ = c.rep.View(comm.ID, func(cm *crdt.Community) error {
			st := cm.State()
			if st.Role(b.selfKey()) == crdt.RoleNone {
				t.Fatal("Cara already knows of the removal")
			}
			for _, e := range st.Current {
				if e.By == a.selfKey() && e.Reason == crdt.RekeyRemoval {
					rotation = append(rotation, e.ID)
				}
			}
			return nil
		})
		if len(rotation) == 0 {
			t.Fatal("Cara holds no epoch of the rotation")
		}
		waitFor(t, c.Node, "Cara to unwrap the rotation", func() bool {
			for _, e := range rotation {
				if !c.keys.Keyring().Has(e) {
					return false
				}
			}
			return true
		})

		if _, err := b.keys.FetchKeys(ctx, c.host.ID(), comm.ID); err != nil {
			t.Fatal(err)
		}
		for _, e := range rotation {
			if b.keys.Keyring().Has(e) {
				t.Fatalf("Ben was handed epoch %x, made for his removal", e[:4])
			}
		}
	})
}
