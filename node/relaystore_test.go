package node

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	simlibp2p "github.com/libp2p/go-libp2p/x/simlibp2p"
	"github.com/marcopolo/simnet"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/identity/keyfile"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/relaynode"
	"github.com/umbrella-p2p/umbrella/sync/relay"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// relayNode is a relay's store served on a simulated host at a fixed
// address, so it comes back where members were told it is.
type relayNode struct {
	h  host.Host
	rs *relaynode.Store
}

// key is the relay's member key.
func (r *relayNode) key() crdt.PublicKey {
	k, _ := peerkey.Key(r.h.ID())
	return k
}

// register has n register relay r with community cid.
func (r *relayNode) register(t *testing.T, n *testNode, cid crdt.ID) {
	t.Helper()
	if err := n.AddRelay(t.Context(), cid, r.key(), []string{r.h.Addrs()[0].String()}); err != nil {
		t.Fatal(err)
	}
}

func (s *simNet) startRelay(home string) *relayNode {
	s.t.Helper()
	if !keyfile.Exists(home) {
		id, err := identity.Generate(rand.Reader, "relay")
		if err != nil {
			s.t.Fatal(err)
		}
		if err := keyfile.Save(home, id); err != nil {
			s.t.Fatal(err)
		}
	}
	id, err := keyfile.Load(home)
	if err != nil {
		s.t.Fatal(err)
	}
	link := simnet.NodeBiDiLinkSettings{
		Downlink: simnet.LinkSettings{BitsPerSecond: 20 * simlibp2p.OneMbps},
		Uplink:   simnet.LinkSettings{BitsPerSecond: 20 * simlibp2p.OneMbps},
	}
	h, err := libp2p.New(
		libp2p.ConnectionGater(simGater{self: peerkey.ID(id), net: s}),
		libp2p.Identity(peerkey.PrivKey(id)),
		libp2p.ListenAddrStrings(fmt.Sprintf("/ip4/%s/udp/8000/quic-v1", simnet.IntToPublicIPv4(200))),
		simlibp2p.QUICSimnet(s.net, link),
		libp2p.DisableIdentifyAddressDiscovery(),
		libp2p.ResourceManager(&network.NullResourceManager{}),
	)
	if err != nil {
		s.t.Fatal(err)
	}
	ds, err := store.OpenBadger(filepath.Join(home, relaynode.StoreDir), store.BadgerOptions{})
	if err != nil {
		s.t.Fatal(err)
	}
	cfg := relay.Config{}
	if os.Getenv("NODE_DEBUG") != "" {
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	rs, err := relaynode.ServeStore(s.t.Context(), h, ds, cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	return &relayNode{h: h, rs: rs}
}

func (r *relayNode) close() {
	r.rs.Close()
	r.h.Close()
}

// reactions returns the emoji on message id, as n sees them.
func reactions(t *testing.T, n *Node, cid, gid, id crdt.ID) []string {
	msgs, err := n.Messages(cid, gid)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		if m.ID == id {
			for _, r := range m.Reactions {
				out = append(out, r.Emoji)
			}
		}
	}
	return out
}

// TestMembersNeverOnlineTogetherThroughRelay: Olivia and Ben are never
// online at the same time after Ben joined; a post, a reaction and a vote
// in a poll go each way through the relay alone, which restarts (its store
// on disk) in between.
func TestMembersNeverOnlineTogetherThroughRelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		rHome, aHome, bHome := t.TempDir(), t.TempDir(), t.TempDir()
		r := sn.startRelay(rHome)
		a := sn.start(aHome, "Olivia", store.NewMemory())
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
		b := sn.start(bHome, "Ben", store.NewMemory())
		if _, err := b.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
		bStore := b.store
		b.Close() // from here on, never online with Olivia

		postID, err := a.Post(ctx, comm.ID, gid, "Monday call at 7")
		if err != nil {
			t.Fatal(err)
		}
		pollID, err := a.CreatePoll(ctx, comm.ID, gid, "Which day for the training?", []string{"Monday", "Thursday"}, false, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "the relay to hold Olivia's post and poll", func() bool {
			ops, _ := r.rs.Relay().Serve(ctx, comm.ID, []crdt.ID{postID, pollID})
			return len(ops) == 2
		})
		aStore := a.store
		a.Close()

		r.close() // the relay restarts
		r = sn.startRelay(rHome)
		defer func() { r.close() }()

		b2 := sn.start(bHome, "Ben", bStore)
		waitFor(t, b2.Node, "Ben to get Olivia's post and poll from the relay", func() bool { return len(texts(t, b2.Node, comm.ID, gid)) == 2 })
		if err := b2.Vote(ctx, comm.ID, gid, pollID, []int{1}); err != nil {
			t.Fatal(err)
		}
		if err := b2.React(ctx, comm.ID, gid, postID, "👍", true); err != nil {
			t.Fatal(err)
		}
		replyID, err := b2.Post(ctx, comm.ID, gid, "see you there")
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, b2.Node, "the relay to hold Ben's reply and vote", func() bool {
			ops, _ := r.rs.Relay().Serve(ctx, comm.ID, []crdt.ID{replyID})
			votes := kindOps(b2.Node, comm.ID, gid, crdt.KindVote)
			held, _ := r.rs.Relay().Serve(ctx, comm.ID, votes)
			return len(ops) == 1 && len(votes) == 1 && len(held) == 1
		})
		b2.Close()

		a2 := sn.start(aHome, "Olivia", aStore)
		defer a2.Close()
		waitFor(t, a2.Node, "Olivia to get Ben's reply, reaction and vote from the relay", func() bool {
			return len(texts(t, a2.Node, comm.ID, gid)) == 3 && len(reactions(t, a2.Node, comm.ID, gid, postID)) == 1 &&
				pollVotes(t, a2.Node, comm.ID, gid, pollID) == "0 1"
		})
		if err := a2.Vote(ctx, comm.ID, gid, pollID, []int{0}); err != nil {
			t.Fatal(err)
		}
		if err := a2.React(ctx, comm.ID, gid, replyID, "🎉", true); err != nil {
			t.Fatal(err)
		}
		reaction := append(kindOps(a2.Node, comm.ID, gid, crdt.KindReaction), kindOps(a2.Node, comm.ID, gid, crdt.KindVote)...)
		waitFor(t, a2.Node, "the relay to hold Olivia's reaction and vote", func() bool {
			ops, _ := r.rs.Relay().Serve(ctx, comm.ID, reaction)
			return len(ops) == len(reaction) && len(ops) == 4
		})
		a2.Close()

		b3 := sn.start(bHome, "Ben", bStore)
		defer b3.Close()
		waitFor(t, b3.Node, "Ben to get Olivia's reaction and vote from the relay", func() bool {
			return len(reactions(t, b3.Node, comm.ID, gid, replyID)) == 1 && pollVotes(t, b3.Node, comm.ID, gid, pollID) == "1 1"
		})
	})
}

// pollVotes is poll's count of votes per option as n shows it, e.g. "1 0".
func pollVotes(t *testing.T, n *Node, cid, gid, poll crdt.ID) string {
	msgs, err := n.Messages(cid, gid)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.ID == poll && m.Poll != nil {
			var counts []string
			for _, o := range m.Poll.Options {
				counts = append(counts, strconv.Itoa(o.Votes))
			}
			return strings.Join(counts, " ")
		}
	}
	return ""
}

// kindOps lists the ids of the ops of kind k n holds in group gid.
func kindOps(n *Node, cid, gid crdt.ID, k crdt.Kind) []crdt.ID {
	var out []crdt.ID
	n.rep.View(cid, func(c *crdt.Community) error {
		for _, e := range c.Entries(gid) {
			if e.Op.Kind == k {
				out = append(out, e.Op.ID())
			}
		}
		return nil
	})
	return out
}

// TestRemovalLearnedFromRelay: Ben is offline; Olivia removes him, posts,
// and goes offline. Ben comes online with only the relay up: he learns of
// his removal from it (his community shows "removed by Olivia"), cannot
// post, and reads nothing written after the removal, though the relay,
// which cannot see removals, serves him every op it holds.
func TestRemovalLearnedFromRelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		rHome, aHome, bHome := t.TempDir(), t.TempDir(), t.TempDir()
		r := sn.startRelay(rHome)
		defer func() { r.close() }()
		a := sn.start(aHome, "Olivia", store.NewMemory())
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
		b := sn.start(bHome, "Ben", store.NewMemory())
		if _, err := b.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Post(ctx, comm.ID, gid, "Welcome, Ben"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b.Node, "Ben to read the welcome", func() bool { return len(texts(t, b.Node, comm.ID, gid)) == 1 })
		bStore := b.store
		b.Close()

		if err := a.RemoveMember(ctx, comm.ID, b.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		after := []string{"Ben's leads go to Dev", "Promo code GLOW25 starts Monday"}
		var ids []crdt.ID
		for _, s := range after {
			id, err := a.Post(ctx, comm.ID, gid, s)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		removal := removalOf(t, a, comm.ID, a, b)
		waitFor(t, a.Node, "the relay to hold the removal and the posts after it", func() bool {
			ops, _ := r.rs.Relay().Serve(ctx, comm.ID, append([]crdt.ID{removal}, ids...))
			return len(ops) == 1+len(ids)
		})
		a.Close()

		b2 := sn.start(bHome, "Ben", bStore)
		defer b2.Close()
		waitWithin(t, b2.Node, 3*b2.cfg.SyncInterval, "Ben to learn of his removal from the relay", func() bool {
			c, err := b2.community(comm.ID)
			return err == nil && c.Removed
		})
		c, _ := b2.community(comm.ID)
		if c.RemovedBy != "Olivia" || c.Left {
			t.Fatalf("Ben's community after his removal: %+v", c)
		}
		if _, err := b2.Post(ctx, comm.ID, gid, "Hello?"); !errors.Is(err, api.ErrRemoved) {
			t.Fatalf("posting after the removal: %v, want ErrRemoved", err)
		}
		// Two more syncs with the relay: still nothing written after.
		learnt := b2.now()
		waitWithin(t, b2.Node, 5*b2.cfg.SyncInterval, "Ben to sync twice more", func() bool {
			last, ok := b2.LastSync(comm.ID)
			return ok && last.At.Sub(learnt) > b2.cfg.SyncInterval
		})
		if got := texts(t, b2.Node, comm.ID, gid); len(got) != 1 || got[0] != "Olivia: Welcome, Ben" {
			t.Fatalf("Ben, removed, reads %q", got)
		}
		for _, id := range ids {
			if holds(b2.Node, comm.ID, id) {
				t.Fatalf("Ben, removed, holds post %s written after his removal", id.Short())
			}
		}
		// The relay, blind to removals, serves him the posts after it too:
		// sealed under the epoch the removal rotated to, which is wrapped
		// to every member but him, they wait in his bounded pending buffer
		// (and expire there), unopened; nothing else is parked.
		if parked, _, err := b2.store.PendingLen(ctx); err != nil || parked != len(ids) {
			t.Fatalf("Ben holds %d parked ops (%v), want the %d posts he cannot open", parked, err, len(ids))
		}
	})
}
