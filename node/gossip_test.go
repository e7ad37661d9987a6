package node

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestTopicSecret: the founder draws a topic secret, a member gets the
// same one when it joins and keeps it across a restart, and topic names
// depend on it, so the community id alone names no topic.
func TestTopicSecret(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b, _, comm := ownerAndMember(t)
		as, ok := a.secret(comm.ID)
		if !ok {
			t.Fatal("the founder has no topic secret")
		}
		bs, ok := b.secret(comm.ID)
		if !ok || !bytes.Equal(as, bs) {
			t.Fatal("the member did not get the founder's topic secret")
		}
		if TopicName(as, comm.ID, crdt.ZeroID) == TopicName(make([]byte, 32), comm.ID, crdt.ZeroID) {
			t.Fatal("the topic name does not depend on the secret")
		}
		if TopicName(as, comm.ID, crdt.ZeroID) == TopicName(as, comm.ID, crdt.ID{1}) {
			t.Fatal("two logs share a topic")
		}
		b.Close()
		sn := newSimNet(t)
		b2 := sn.start(b.home, "Ben", b.store)
		defer b2.Close()
		if s, ok := b2.secret(comm.ID); !ok || !bytes.Equal(s, as) {
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
		err := c.fetchSecret(t.Context(), a.host.ID(), comm.ID)
		if err == nil {
			t.Fatal("a stranger got the topic secret")
		}
		if _, ok := c.secret(comm.ID); ok {
			t.Fatal("a stranger holds the topic secret")
		}
	})
}

// TestNonMemberCannotSubscribe: even a peer that knows a topic's name (a
// removed member keeps the secret) gets none of its messages by gossip,
// while a member gets them all.
func TestNonMemberCannotSubscribe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, c, comm := ownerAndMember(t)
		gid := general(t, a.Node, comm.ID)
		secret, _ := a.secret(comm.ID)
		// c, a stranger, learnt the secret and subscribes to the group's
		// topic directly.
		if err := c.host.Connect(ctx, peer.AddrInfo{ID: a.host.ID(), Addrs: a.host.Addrs()}); err != nil {
			t.Fatal(err)
		}
		if err := c.host.Connect(ctx, peer.AddrInfo{ID: b.host.ID(), Addrs: b.host.Addrs()}); err != nil {
			t.Fatal(err)
		}
		topic, err := c.ps.Join(TopicName(secret, comm.ID, gid))
		if err != nil {
			t.Fatal(err)
		}
		spy, err := topic.Subscribe()
		if err != nil {
			t.Fatal(err)
		}
		name := TopicName(secret, comm.ID, gid)
		waitFor(t, a.Node, "a to see the stranger's subscription", func() bool { return slices.Contains(a.ps.ListPeers(name), c.host.ID()) })
		for range 5 {
			if _, err := a.Post(ctx, comm.ID, gid, "Training call at 7pm"); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, b.Node, "the member to get the posts", func() bool { return len(texts(t, b.Node, comm.ID, gid)) == 5 })
		// Absence takes waiting: 30 s of virtual time, many heartbeats.
		if got := receiveFor(spy, 30*time.Second); got != 0 {
			t.Fatalf("a stranger subscribed to the topic received %d messages", got)
		}

		// b is removed: it keeps the secret and its subscription, and gets
		// nothing posted after the removal.
		if err := a.RemoveMember(ctx, comm.ID, b.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b.Node, "b to learn of its removal", func() bool {
			c, err := b.community(comm.ID)
			return err == nil && c.Role == crdt.RoleNone.String()
		})
		for range 3 {
			if _, err := a.Post(ctx, comm.ID, gid, "After the removal"); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(30 * time.Second) // virtual time, as above
		for _, m := range texts(t, b.Node, comm.ID, gid) {
			if m == "Olivia: After the removal" {
				t.Fatal("a removed member received a message posted after its removal")
			}
		}
	})
}

// receiveFor counts the messages sub delivers within d of virtual time.
func receiveFor(sub *pubsub.Subscription, d time.Duration) int {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	n := 0
	for {
		if _, err := sub.Next(ctx); err != nil {
			return n
		}
		n++
	}
}

// TestGarbageGossipIsPenalised: a member whose node forwards ops that do not
// validate falls below the graylist threshold of the peers it sends them to.
func TestGarbageGossipIsPenalised(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, _, comm := ownerAndMember(t)
		gid := general(t, a.Node, comm.ID)
		secret, _ := b.secret(comm.ID)
		name := TopicName(secret, comm.ID, gid)
		// b's node is broken: it publishes without validating.
		if err := b.ps.UnregisterTopicValidator(name); err != nil {
			t.Fatal(err)
		}
		if err := b.ps.RegisterTopicValidator(name, func(context.Context, peer.ID, *pubsub.Message) pubsub.ValidationResult {
			return pubsub.ValidationAccept
		}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b.Node, "b to see a on the topic", func() bool { return slices.Contains(b.ps.ListPeers(name), a.host.ID()) })
		b.mu.Lock()
		topic := b.topics[name].topic
		b.mu.Unlock()
		if err := topic.Publish(ctx, []byte("not an op")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "b's score to fall", func() bool {
			return a.GossipScore(b.host.ID()) < scoreThresholds.GraylistThreshold
		})
	})
}
