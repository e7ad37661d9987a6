package node

import (
	"errors"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// TestDirectAdd: an owner adds a member of her team to her new customers
// community directly; his node shows it, with who added him and a
// notification event, and reads its announcements; he may leave at once.
// Someone she shares nothing with is refused with a hint to send a link,
// and a node refuses to be pulled into a community by a stranger's nudge.
func TestDirectAdd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		olivia := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		defer olivia.Close()
		ben := sn.start(t.TempDir(), "Ben", store.NewMemory())
		defer ben.Close()
		zoe := sn.start(t.TempDir(), "Zoe", store.NewMemory())
		defer zoe.Close()

		team, err := olivia.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		link, err := olivia.CreateInvite(ctx, team.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ben.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
		customers, err := olivia.CreateCommunity(ctx, "Glow Customers")
		if err != nil {
			t.Fatal(err)
		}
		ann := announcements(t, olivia.Node, customers.ID)
		if _, err := olivia.Post(ctx, customers.ID, ann, "Spring catalogue is out"); err != nil {
			t.Fatal(err)
		}
		cs := olivia.Contacts()
		if len(cs) != 1 || cs[0].Name != "Ben" || cs[0].PeerID != ben.Self().PeerID || !slices.Equal(cs[0].Communities, []crdt.ID{team.ID}) {
			t.Fatalf("Olivia's contacts: %+v", cs)
		}

		events, cancel := ben.Subscribe()
		defer cancel()
		if err := olivia.AddMember(ctx, customers.ID, ben.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ben.Node, "Ben to read the customers' announcements", func() bool {
			ms, err := ben.Messages(customers.ID, ann)
			return err == nil && len(ms) == 1 && ms[0].Text == "Spring catalogue is out"
		})
		c, err := ben.community(customers.ID)
		if err != nil || c.Name != "Glow Customers" || c.Role != crdt.RoleMember.String() || c.AddedBy != "Olivia" {
			t.Fatalf("Ben's view of the community he was added to: %+v, %v", c, err)
		}
		waitFor(t, ben.Node, "the added event", func() bool {
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

		// Zoe shares nothing with Olivia: only a link brings her in.
		if err := olivia.AddMember(ctx, customers.ID, zoe.Self().PeerID); !errors.Is(err, api.ErrNotContact) {
			t.Fatalf("adding a stranger: %v, want ErrNotContact", err)
		}
		// Nor can Zoe, a stranger to Ben, make his node pull a community
		// of hers: he ignores her nudge.
		spam, err := zoe.CreateCommunity(ctx, "Amazing Offers")
		if err != nil {
			t.Fatal(err)
		}
		if err := zoe.host.Connect(ctx, ben.host.Peerstore().PeerInfo(ben.host.ID())); err != nil {
			t.Fatal(err)
		}
		if _, err := (pullHooks{zoe.Node}).Request(ctx, ben.host.ID(), &wire.Request{Kind: wire.KindNudge, Community: spam.ID[:]}); err != nil {
			t.Fatal(err)
		}
		if slices.Contains(ben.peers.Awaited(ben.now()), spam.ID) {
			t.Fatal("a stranger's nudge made Ben wait for her community")
		}
		// While Olivia's nudge about a community she never added him to
		// makes him try (and the pull she refuses costs nothing more).
		if _, err := (pullHooks{olivia.Node}).Request(ctx, ben.host.ID(), &wire.Request{Kind: wire.KindNudge, Community: crdt.ID{1}.Bytes()}); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(ben.peers.Awaited(ben.now()), crdt.ID{1}) {
			t.Fatal("a contact's nudge did not make Ben look")
		}

		if err := ben.LeaveCommunity(ctx, customers.ID); err != nil {
			t.Fatalf("leaving a community one was added to: %v", err)
		}
		waitFor(t, olivia.Node, "Olivia to see Ben leave", func() bool {
			ms, _ := olivia.Members(customers.ID)
			return len(ms) == 1
		})
	})
}
