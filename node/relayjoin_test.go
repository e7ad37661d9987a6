package node

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// announcements returns the id of community cid's announcement group.
func announcements(t *testing.T, n *Node, cid crdt.ID) crdt.ID {
	t.Helper()
	gs, err := n.Groups(cid)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if g.Kind == api.GroupAnnouncement {
			return g.ID
		}
	}
	t.Fatal("no announcement group")
	return crdt.ID{}
}

// opsOf lists the ids of the control ops of kind k that n holds of cid.
func opsOf(n *Node, cid crdt.ID, k crdt.Kind) []crdt.ID {
	var out []crdt.ID
	n.rep.View(cid, func(c *crdt.Community) error {
		c.EachOp(crdt.ZeroID, func(o *crdt.Op) {
			if o.Kind == k {
				out = append(out, o.ID())
			}
		})
		return nil
	})
	return out
}

// relayHolds reports whether the relay holds every op of ids.
func relayHolds(ctx context.Context, r *relayNode, cid crdt.ID, ids []crdt.ID) bool {
	ops, _ := r.rs.Relay().Serve(ctx, cid, ids)
	return len(ids) > 0 && len(ops) == len(ids)
}

// TestJoinThroughRelayInviterOffline: Olivia makes an invite link and goes
// offline; Dev opens it with only the relay up: the relay answers the
// short link's lookup and takes his join, his node opens the history the
// link gives, and he reads the announcement and the training posted
// before. When Olivia comes back she counts him a member.
func TestJoinThroughRelayInviterOffline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		r := sn.startRelay(t.TempDir())
		defer r.close()
		aHome := t.TempDir()
		a := sn.start(aHome, "Olivia", store.NewMemory())
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		r.register(t, a, comm.ID)
		ann, gid := announcements(t, a.Node, comm.ID), general(t, a.Node, comm.ID)
		annID, err := a.Post(ctx, comm.ID, ann, "Monday: new starter kit")
		if err != nil {
			t.Fatal(err)
		}
		trainID, err := a.Post(ctx, comm.ID, gid, "Training: your first week")
		if err != nil {
			t.Fatal(err)
		}
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		keyOps := opsOf(a.Node, comm.ID, crdt.KindInviteKeys)
		waitFor(t, a.Node, "the relay to hold the posts and the invite's keys", func() bool {
			return relayHolds(ctx, r, comm.ID, append([]crdt.ID{annID, trainID}, keyOps...))
		})
		aStore := a.store
		a.Close() // the inviter goes offline

		d := sn.start(t.TempDir(), "Dev", store.NewMemory())
		defer d.Close()
		// The short link's lookup: only the relay answers.
		if inv, err := d.ParseInvite(link); err != nil || inv.Name != "Glow Team" || inv.Inviter != "Olivia" {
			t.Fatalf("lookup with only the relay up: %+v, %v", inv, err)
		}
		var via bool
		c, err := d.JoinWithProgress(ctx, link, func(p api.JoinProgress) { via = via || p.ViaRelay })
		if err != nil {
			t.Fatalf("join with only the relay up: %v", err)
		}
		if c.Role != crdt.RoleMember.String() || !via {
			t.Fatalf("joined as %q, through the relay %v", c.Role, via)
		}
		waitFor(t, d.Node, "Dev to read the announcement and the training", func() bool {
			return slices.Equal(texts(t, d.Node, comm.ID, ann), []string{"Olivia: Monday: new starter kit"}) &&
				slices.Equal(texts(t, d.Node, comm.ID, gid), []string{"Olivia: Training: your first week"})
		})

		// Olivia comes back: she pulls Dev's join from the relay.
		a2 := sn.start(aHome, "Olivia", aStore)
		defer a2.Close()
		waitFor(t, a2.Node, "Olivia to count Dev a member", func() bool {
			ms, err := a2.Members(comm.ID)
			return err == nil && slices.ContainsFunc(ms, func(m api.Member) bool { return m.Name == "Dev" })
		})
	})
}

// TestLeakedLinkAfterRevocationReadsNothingNewer: a link revoked before
// it leaks: the relay, which cannot see the revocation, still answers it,
// but the revocation renewed the keys, so the holder opens none of the
// epochs written after, and no member counts it a member.
func TestLeakedLinkAfterRevocationReadsNothingNewer(t *testing.T) {
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
		r.register(t, a, comm.ID)
		gid := general(t, a.Node, comm.ID)
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		invs, err := a.InviteLinks(comm.ID)
		if err != nil || len(invs) != 1 {
			t.Fatalf("invites %v, %v", invs, err)
		}
		if err := a.RevokeInvite(ctx, comm.ID, invs[0].ID); err != nil {
			t.Fatal(err)
		}
		after, err := a.Post(ctx, comm.ID, gid, "after the revocation")
		if err != nil {
			t.Fatal(err)
		}
		var current crdt.EpochID
		a.rep.View(comm.ID, func(c *crdt.Community) error { current = c.State().Current[gid].ID; return nil })
		waitFor(t, a.Node, "the relay to hold the post", func() bool { return relayHolds(ctx, r, comm.ID, []crdt.ID{after}) })
		a.Close()

		e := sn.start(t.TempDir(), "Eve", store.NewMemory())
		defer e.Close()
		if _, err := e.Join(ctx, link); err == nil {
			t.Fatal("a revoked link let Eve in")
		}
		if e.keys.Keyring().Has(current) {
			t.Fatal("the leaked link opened the epoch written after the revocation")
		}
		if ops, _ := r.rs.Relay().Serve(ctx, comm.ID, []crdt.ID{after}); len(ops) != 1 {
			t.Fatal("the relay lost the post")
		}
	})
}

// TestRelayAdmittedJoinerFollowsTopics: Dev joins through the relay while
// every member is offline, and holds the community's topic secret at once
// (the invite's keys wrap it): when Ben, not Olivia, comes online later,
// the two are on General's topic together, Ben's post reaches Dev by
// gossip within seconds and Dev's reaches Ben, with no member online in
// between to hand Dev the secret.
func TestRelayAdmittedJoinerFollowsTopics(t *testing.T) {
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
		r.register(t, a, comm.ID)
		bHome := t.TempDir()
		b := sn.start(bHome, "Ben", store.NewMemory())
		benLink, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Join(ctx, benLink); err != nil {
			t.Fatal(err)
		}
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		keyOps := opsOf(a.Node, comm.ID, crdt.KindInviteKeys)
		waitFor(t, a.Node, "the relay to hold Ben's join and the invites' keys", func() bool {
			return relayHolds(ctx, r, comm.ID, append(opsOf(a.Node, comm.ID, crdt.KindJoin), keyOps...))
		})
		bStore := b.store
		a.Close()
		b.Close() // every member is offline

		d := sn.start(t.TempDir(), "Dev", store.NewMemory())
		defer d.Close()
		var via bool
		if _, err := d.JoinWithProgress(ctx, link, func(p api.JoinProgress) { via = via || p.ViaRelay }); err != nil || !via {
			t.Fatalf("join with only the relay up: through the relay %v, %v", via, err)
		}
		if _, ok := d.keys.Secret(comm.ID); !ok {
			t.Fatal("Dev, admitted by the relay, holds no topic secret")
		}
		if st := d.Status(); len(st.Communities) != 1 || !st.Communities[0].Live {
			t.Fatalf("Dev's community status %+v: not live", st.Communities)
		}

		// Ben comes back; Olivia stays away.
		b2 := sn.start(bHome, "Ben", bStore)
		defer b2.Close()
		waitFor(t, b2.Node, "Ben to count Dev a member", func() bool {
			ms, err := b2.Members(comm.ID)
			return err == nil && slices.ContainsFunc(ms, func(m api.Member) bool { return m.Name == "Dev" })
		})
		if err := b2.host.Connect(ctx, peer.AddrInfo{ID: d.host.ID(), Addrs: d.host.Addrs()}); err != nil {
			t.Fatal(err)
		}
		gid := general(t, d.Node, comm.ID)
		waitFor(t, d.Node, "Ben and Dev on General's topic", func() bool {
			return onTopic(b2.Node, comm.ID, gid, d.host.ID()) && onTopic(d.Node, comm.ID, gid, b2.host.ID())
		})
		synctest.Wait()
		if _, err := b2.Post(ctx, comm.ID, gid, "Welcome, Dev!"); err != nil {
			t.Fatal(err)
		}
		waitWithin(t, d.Node, 5*time.Second, "Dev to get Ben's post", func() bool {
			return slices.Contains(texts(t, d.Node, comm.ID, gid), "Ben: Welcome, Dev!")
		})
		if _, err := d.Post(ctx, comm.ID, gid, "Thanks, Ben"); err != nil {
			t.Fatal(err)
		}
		waitWithin(t, b2.Node, 5*time.Second, "Ben to get Dev's post", func() bool {
			return slices.Contains(texts(t, b2.Node, comm.ID, gid), "Dev: Thanks, Ben")
		})
	})
}
