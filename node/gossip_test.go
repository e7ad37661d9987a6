package node

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/reach"
	"github.com/umbrella-p2p/umbrella/sync/gossip"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// TestTopicSecret: the founder draws a topic secret, a member gets the
// same one when it joins and keeps it across a restart, and topic names
// depend on it, so the community id alone names no topic.
func TestTopicSecret(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b, _, comm := ownerAndMember(t)
		as, ok := a.keys.Secret(comm.ID)
		if !ok {
			t.Fatal("the founder has no topic secret")
		}
		bs, ok := b.keys.Secret(comm.ID)
		if !ok || !bytes.Equal(as, bs) {
			t.Fatal("the member did not get the founder's topic secret")
		}
		if gossip.TopicName(as, comm.ID, crdt.ZeroID) == gossip.TopicName(make([]byte, 32), comm.ID, crdt.ZeroID) {
			t.Fatal("the topic name does not depend on the secret")
		}
		if gossip.TopicName(as, comm.ID, crdt.ZeroID) == gossip.TopicName(as, comm.ID, crdt.ID{1}) {
			t.Fatal("two logs share a topic")
		}
		b.Close()
		sn := newSimNet(t)
		b2 := sn.start(b.home, "Ben", b.store)
		defer b2.Close()
		if s, ok := b2.keys.Secret(comm.ID); !ok || !bytes.Equal(s, as) {
			t.Fatal("the topic secret was not kept across a restart")
		}
	})
}

// TestSecretOnlyForMembers: a stranger asking for a community's topic
// secret is refused.
func TestSecretOnlyForMembers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, _, c, comm := ownerAndMember(t)
		if err := c.host.Connect(t.Context(), peer.AddrInfo{ID: a.host.ID(), Addrs: a.host.Addrs()}); err != nil {
			t.Fatal(err)
		}
		err := c.keys.FetchSecret(t.Context(), a.host.ID(), comm.ID)
		if err == nil {
			t.Fatal("a stranger got the topic secret")
		}
		if _, ok := c.keys.Secret(comm.ID); ok {
			t.Fatal("a stranger holds the topic secret")
		}
	})
}

// TestNonMemberCannotSubscribe: even a peer that knows a topic's name (a
// removed member keeps the secret) gets none of its messages by gossip,
// while a member connected the same way gets them all: each absence is
// checked once a witness member holds what was posted.
func TestNonMemberCannotSubscribe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		b := sn.start(t.TempDir(), "Ben", store.NewMemory())
		w := sn.start(t.TempDir(), "Wendy", store.NewMemory())    // the witness
		x := sn.start(t.TempDir(), "Stranger", store.NewMemory()) // knows the secret, is no member
		t.Cleanup(func() { a.Close(); b.Close(); w.Close(); x.Close() })
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		link, _ := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		for _, n := range []*testNode{b, w} {
			if _, err := n.Join(ctx, link); err != nil {
				t.Fatal(err)
			}
		}
		gid := general(t, a.Node, comm.ID)
		secret, _ := a.keys.Secret(comm.ID)
		name := gossip.TopicName(secret, comm.ID, gid)
		for _, n := range []*testNode{a, b} {
			if err := x.host.Connect(ctx, peer.AddrInfo{ID: n.host.ID(), Addrs: n.host.Addrs()}); err != nil {
				t.Fatal(err)
			}
		}
		topic, err := x.gossip.PubSub().Join(name)
		if err != nil {
			t.Fatal(err)
		}
		spy, err := topic.Subscribe()
		if err != nil {
			t.Fatal(err)
		}
		spied := count(ctx, spy, nil)
		waitFor(t, a.Node, "a to see the stranger's subscription", func() bool { return slices.Contains(a.gossip.PubSub().ListPeers(name), x.host.ID()) })
		for range 5 {
			if _, err := a.Post(ctx, comm.ID, gid, "Training call at 7pm"); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, w.Node, "the witness to get the posts", func() bool { return len(texts(t, w.Node, comm.ID, gid)) == 5 })
		synctest.Wait()
		if got := spied.Load(); got != 0 {
			t.Fatalf("a stranger subscribed to the topic received %d messages", got)
		}

		// b is removed. Its node leaves the topic by itself; a hostile one
		// would not: b holds a second subscription that outlives its
		// node's, staying in the meshes it was grafted into. It gets
		// nothing posted after the removal.
		again, err := b.gossip.Topic(name).Subscribe()
		if err != nil {
			t.Fatal(err)
		}
		var later sync.Map // the ops posted after the removal
		leaked := count(ctx, again, &later)
		if err := a.RemoveMember(ctx, comm.ID, b.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		removed := func(n *testNode) func() bool {
			return func() bool {
				c, err := n.Members(comm.ID)
				return err == nil && !slices.ContainsFunc(c, func(m api.Member) bool { return m.PeerID == b.Self().PeerID })
			}
		}
		waitFor(t, b.Node, "b to learn of its removal", func() bool {
			c, err := b.community(comm.ID)
			return err == nil && c.Role == crdt.RoleNone.String()
		})
		waitFor(t, w.Node, "the witness to learn of b's removal", removed(w))
		// Members that had b in a mesh drop it once the removal reached it.
		waitFor(t, a.Node, "a to drop b", func() bool { return a.gossip.Evictions() > 0 })
		if w.host.Network().Connectedness(b.host.ID()) == network.Connected {
			waitFor(t, w.Node, "the witness to drop b", func() bool { return w.gossip.Evictions() > 0 })
		}
		waitFor(t, a.Node, "a to see b on the topic again", func() bool { return slices.Contains(a.gossip.PubSub().ListPeers(name), b.host.ID()) })
		for range 3 {
			id, err := a.Post(ctx, comm.ID, gid, "After the removal")
			if err != nil {
				t.Fatal(err)
			}
			later.Store(id, true)
		}
		waitFor(t, w.Node, "the witness to get the later posts", func() bool { return len(texts(t, w.Node, comm.ID, gid)) == 8 })
		synctest.Wait()
		if got := leaked.Load(); got != 0 {
			t.Fatalf("a removed member that stayed subscribed received %d messages posted after its removal", got)
		}
	})
}

// count counts, in the background, the messages sub delivers; with
// only, just those carrying one of the ops only holds.
func count(ctx context.Context, sub *pubsub.Subscription, only *sync.Map) *atomic.Int32 {
	var n atomic.Int32
	go func() {
		for {
			m, err := sub.Next(ctx)
			if err != nil {
				return
			}
			if only != nil {
				op, err := crdt.DecodeOp(m.Data)
				if _, ok := only.Load(op.ID()); err != nil || !ok {
					continue
				}
			}
			n.Add(1)
		}
	}()
	return &n
}

// TestGarbageGossipIsPenalised: a member whose node forwards ops that do not
// validate falls below the graylist threshold of the peers it sends them to.
func TestGarbageGossipIsPenalised(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, _, comm := ownerAndMember(t)
		gid := general(t, a.Node, comm.ID)
		secret, _ := b.keys.Secret(comm.ID)
		name := gossip.TopicName(secret, comm.ID, gid)
		// b's node is broken: it publishes without validating.
		if err := b.gossip.PubSub().UnregisterTopicValidator(name); err != nil {
			t.Fatal(err)
		}
		if err := b.gossip.PubSub().RegisterTopicValidator(name, func(context.Context, peer.ID, *pubsub.Message) pubsub.ValidationResult {
			return pubsub.ValidationAccept
		}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b.Node, "b to see a on the topic", func() bool { return slices.Contains(b.gossip.PubSub().ListPeers(name), a.host.ID()) })
		topic := b.gossip.Topic(name)
		if err := topic.Publish(ctx, []byte("not an op")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "b's score to fall", func() bool {
			return a.gossip.Score(b.host.ID()) < gossip.GraylistThreshold
		})
	})
}

// TestMembersFindEachOther: two members who each know only the inviter
// learn each other's addresses from it and connect directly.
func TestMembersFindEachOther(t *testing.T) {
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
		waitFor(t, b.Node, "b and c to connect", func() bool {
			return b.host.Network().Connectedness(c.host.ID()) == network.Connected
		})
	})
}

// TestInviteNamesRelays: an invite lists the relays its maker knows, and
// the joiner can reach the inviter through each of them.
func TestInviteNamesRelays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, _, comm := ownerAndTwo(t)
		relay := "/ip4/203.0.113.7/tcp/4001/p2p/12D3KooWLGcptSkeJgav7ywAMZeGhiT1sPpUfuBKM2TNn6Zf34dN"
		ai, err := reach.ParseRelay(relay)
		if err != nil {
			t.Fatal(err)
		}
		a.peers.AddRelays([]peer.AddrInfo{ai}) // as if a had joined by an invite naming it
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		inv, err := readLink(t, a, link)
		if err != nil {
			t.Fatal(err)
		}
		if len(inv.Relays) != 1 || inv.Relays[0].ID.String() != "12D3KooWLGcptSkeJgav7ywAMZeGhiT1sPpUfuBKM2TNn6Zf34dN" {
			t.Fatalf("invite relays %v", inv.Relays)
		}
		want := "/ip4/203.0.113.7/tcp/4001/p2p/12D3KooWLGcptSkeJgav7ywAMZeGhiT1sPpUfuBKM2TNn6Zf34dN/p2p-circuit"
		found := false
		for _, ai := range inv.Addrs {
			if ai.ID != a.host.ID() {
				continue
			}
			for _, addr := range ai.Addrs {
				found = found || addr.String() == want
			}
		}
		if !found {
			t.Fatalf("the inviter is not reachable through the relay in %v", inv.Addrs)
		}
		if _, err := b.Join(ctx, link); err != nil { // a is reachable directly too
			t.Fatal(err)
		}
		if got := b.peers.Relays(); len(got) != 1 || got[0] != relay {
			t.Fatalf("the joiner did not remember the relay: %v", got)
		}
	})
}

// TestStatus: the status lists the connected member as a direct peer and
// the community as synced after a pull, and offline once no member is
// connected.
func TestStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b, _, _ := ownerAndMember(t)
		st := b.Status()
		if st.Network != "online" || len(st.Peers) != 1 || st.Peers[0].PeerID != a.host.ID().String() || st.Peers[0].Relayed || st.Peers[0].Name != "Olivia" {
			t.Fatalf("status %+v", st)
		}
		if len(st.Communities) != 1 || st.Communities[0].State != "synced" || st.Communities[0].LastSync == nil || !st.Communities[0].Live || st.Communities[0].Members != 1 {
			t.Fatalf("community status %+v", st.Communities)
		}
		a.Close()
		waitFor(t, b.Node, "b to notice a is gone", func() bool { return b.Status().Network == "offline" })
		if s := b.Status().Communities[0].State; s != "offline" {
			t.Fatalf("community state %q with no member online", s)
		}
	})
}

// onTopic reports whether n knows peer p to be on the topic of log lg of
// community cid.
func onTopic(n *Node, cid, lg crdt.ID, p peer.ID) bool {
	secret, ok := n.keys.Secret(cid)
	if !ok {
		return false
	}
	topic := n.gossip.Topic(gossip.TopicName(secret, cid, lg))
	return topic != nil && slices.Contains(topic.ListPeers(), p)
}

// TestPostRightAfterReconnect: a message written just after two members
// reconnect, once each knows the other is on the group's topic but before
// gossipsub has grafted them into its mesh (at its next heartbeat), reaches
// the other within seconds, not at the next periodic sync (30 s): gossip
// pushes only to the mesh and never offers a peer grafted later what was
// published before, so the writer nudges that peer. Several rounds, so
// that some fall between heartbeats whatever their phase.
func TestPostRightAfterReconnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, _, comm := ownerAndMember(t)
		gid := general(t, a.Node, comm.ID)
		for round := range 4 {
			waitFor(t, a.Node, "the two members on the group's topic", func() bool {
				return onTopic(a.Node, comm.ID, gid, b.host.ID()) && onTopic(b.Node, comm.ID, gid, a.host.ID())
			})
			a.host.Network().ClosePeer(b.host.ID())
			waitFor(t, b.Node, "b to see the connection closed", func() bool {
				return b.host.Network().Connectedness(a.host.ID()) != network.Connected
			})
			synctest.Wait() // both gossipsubs have dropped the peer
			before := time.Now()
			if err := b.host.Connect(ctx, peer.AddrInfo{ID: a.host.ID(), Addrs: a.host.Addrs()}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, a.Node, "the pulls on connect and the subscriptions", func() bool {
				as, aok := a.LastSync(comm.ID)
				bs, bok := b.LastSync(comm.ID)
				return aok && bok && !as.At.Before(before) && !bs.At.Before(before) &&
					onTopic(a.Node, comm.ID, gid, b.host.ID()) && onTopic(b.Node, comm.ID, gid, a.host.ID())
			})
			if _, err := b.Post(ctx, comm.ID, gid, fmt.Sprintf("round %d: back online", round)); err != nil {
				t.Fatal(err)
			}
			waitWithin(t, a.Node, 5*time.Second, fmt.Sprintf("a to get b's post of round %d", round), func() bool {
				return len(texts(t, a.Node, comm.ID, gid)) == round+1
			})
			t.Logf("round %d: delivered %v after reconnecting", round, time.Since(before))
		}
	})
}
