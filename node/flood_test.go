package node

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/keyfile"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/sync/gossip"
	"github.com/umbrella-p2p/umbrella/sync/pull"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// TestJunkGossipStaysAtTheSender: a member (Mallory) floods the control
// topic with validly signed ops citing parents that do not exist. Her only
// neighbour (Olivia) forwards none of them to the third member (Chloe),
// who is not connected to Mallory; nobody parks more than an author's
// quota; Mallory is penalised; and members still join other communities,
// also after both restart on the same stores. The stores' overall bound is
// lowered below the flood, as the flood of the issue exceeded the whole
// buffer.
func TestJunkGossipStaysAtTheSender(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		lim := store.DefaultLimits()
		lim.PendingOps = 2500
		const flood = 3000
		homes := map[string]string{"Olivia": t.TempDir(), "Mallory": t.TempDir(), "Chloe": t.TempDir()}
		ids := map[string]peer.ID{}
		for name, home := range homes {
			if err := Init(home, name); err != nil {
				t.Fatal(err)
			}
			id, err := keyfile.Load(home)
			if err != nil {
				t.Fatal(err)
			}
			ids[name] = peerkey.ID(id)
		}
		// Mallory and Chloe never connect: what Chloe gets of Mallory's
		// gossip is what Olivia forwards.
		sn.apart = func(x, y peer.ID) bool {
			return (x == ids["Mallory"] && y == ids["Chloe"]) || (x == ids["Chloe"] && y == ids["Mallory"])
		}
		dsA, dsC := dssync.MutexWrap(datastore.NewMapDatastore()), dssync.MutexWrap(datastore.NewMapDatastore())
		openStore := func(ds datastore.Batching) store.OpStore {
			st, err := store.New(ds, lim)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		a := sn.start(homes["Olivia"], "Olivia", openStore(dsA))
		m := sn.start(homes["Mallory"], "Mallory", store.NewMemory())
		c := sn.start(homes["Chloe"], "Chloe", openStore(dsC))
		defer func() { a.Close(); m.Close(); c.Close() }()
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []*testNode{m, c} {
			if _, err := n.Join(ctx, link); err != nil {
				t.Fatal(err)
			}
		}
		secret, _ := m.keys.Secret(comm.ID)
		name := gossip.TopicName(secret, comm.ID, crdt.ZeroID)
		for _, n := range []*testNode{m, c} {
			waitFor(t, n.Node, "the control topic's mesh", func() bool { return slices.Contains(n.gossip.PubSub().ListPeers(name), a.host.ID()) })
		}

		// Mallory's node publishes without validating.
		if err := m.gossip.PubSub().UnregisterTopicValidator(name); err != nil {
			t.Fatal(err)
		}
		accept := func(context.Context, peer.ID, *pubsub.Message) pubsub.ValidationResult {
			return pubsub.ValidationAccept
		}
		if err := m.gossip.PubSub().RegisterTopicValidator(name, accept); err != nil {
			t.Fatal(err)
		}
		topic := m.gossip.Topic(name)
		junk := map[crdt.ID]bool{}
		for i := range flood {
			var ghost crdt.ID
			ghost[0], ghost[1], ghost[2] = 0xee, byte(i>>8), byte(i)
			op, err := crdt.Sign(crdt.Op{Community: comm.ID, Kind: crdt.KindProfile, Parents: []crdt.ID{ghost}, Height: 2, Body: []byte{0xa0}}, m.id)
			if err != nil {
				t.Fatal(err)
			}
			junk[op.ID()] = true
			if err := topic.Publish(ctx, op.Bytes()); err != nil {
				t.Fatal(err)
			}
			if i%16 == 15 {
				time.Sleep(50 * time.Millisecond) // the flood's pace: gossip queues hold 32 messages per peer
			}
		}
		synctest.Wait() // everything sent has arrived

		if n, _, _ := c.store.PendingLen(ctx); n > 0 {
			t.Errorf("Chloe, not connected to Mallory, parks %d of her junk ops: they were forwarded", n)
		}
		if n, _, _ := a.store.PendingLen(ctx); n > lim.AuthorOps {
			t.Errorf("Olivia parks %d junk ops, more than an author's quota %d", n, lim.AuthorOps)
		}
		for id := range junk {
			if has, _ := c.rep.Has(ctx, id); has {
				t.Fatal("Chloe holds a junk op")
			}
		}
		joinNew := func(name string) {
			t.Helper()
			comm2, err := a.CreateCommunity(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			link2, err := a.CreateInvite(ctx, comm2.ID, api.InviteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got, err := c.Join(ctx, link2); err != nil || got.Role != crdt.RoleMember.String() {
				t.Errorf("after the flood, joining %s: %+v, %v", name, got, err)
			}
		}
		joinNew("Second")
		waitFor(t, a.Node, "Olivia to penalise Mallory", func() bool {
			return a.gossip.Score(m.host.ID()) < gossip.GraylistThreshold
		})

		// After a restart on the same stores, the same holds.
		a.Close()
		c.Close()
		a = sn.start(homes["Olivia"], "Olivia", openStore(dsA))
		c = sn.start(homes["Chloe"], "Chloe", openStore(dsC))
		for _, n := range []*testNode{a, c} {
			if k, _, _ := n.store.PendingLen(ctx); k > lim.AuthorOps {
				t.Errorf("%s parks %d ops after a restart", n.Self().Name, k)
			}
		}
		joinNew("Third")
	})
}

// TestOutOfOrderGossipIsPulled: an honest op that gossip brings before its
// parent is not forwarded, but pulled from its sender with the parent, and
// the sender, who holds the parent, is not penalised.
func TestOutOfOrderGossipIsPulled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, _, comm := ownerAndMember(t)
		gid := general(t, a.Node, comm.ID)
		// Let the join's follow-ups (a nudge, the pull it delays by
		// pull.NudgeInterval) end, well before the first periodic sync, so
		// that only the validator can make b pull in what follows.
		time.Sleep(3 * pull.NudgeInterval)
		synctest.Wait()
		var ops []*crdt.Op
		for _, text := range []string{"first", "second"} {
			body, err := crdt.EncodeBody(&crdt.MessageBody{Text: text, Time: 1})
			if err != nil {
				t.Fatal(err)
			}
			op, err := a.rep.Author(ctx, a.id, comm.ID, gid, crdt.KindMessage, body) // held, not published
			if err != nil {
				t.Fatal(err)
			}
			ops = append(ops, op)
		}
		synctest.Wait()
		if has, _ := b.rep.Has(ctx, ops[0].ID()); has {
			t.Fatal("the member holds the first message before gossip brings the second")
		}
		m := &pubsub.Message{Message: &pb.Message{Data: ops[1].Bytes()}}
		if got := b.gossip.Validator(comm.ID, gid)(ctx, a.host.ID(), m); got != pubsub.ValidationIgnore {
			t.Fatalf("validator on an op whose parent is missing = %v, want ValidationIgnore", got)
		}
		waitWithin(t, b.Node, 5*time.Second, "both messages pulled", func() bool {
			return slices.Equal(texts(t, b.Node, comm.ID, gid), []string{"Olivia: first", "Olivia: second"})
		})
		synctest.Wait() // the pull, and what follows it, are done
		if s := b.gossip.AppScore(a.host.ID()); s != 0 {
			t.Fatalf("honest sender's app score = %v, want 0", s)
		}
		if got := b.gossip.Validator(comm.ID, gid)(ctx, a.host.ID(), m); got != pubsub.ValidationAccept {
			t.Fatalf("validator once the parent is held = %v, want ValidationAccept", got)
		}
	})
}

// TestParkedOpsExpire: an op parked for what never comes is dropped by the
// node's periodic sync once it is older than the store allows.
func TestParkedOpsExpire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		defer a.Close()
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		ghost := crdt.ID{0xee}
		op, err := crdt.Sign(crdt.Op{Community: comm.ID, Kind: crdt.KindProfile, Parents: []crdt.ID{ghost}, Height: 2, Body: []byte{0xa0}}, a.id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.rep.Ingest(ctx, op); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * a.cfg.SyncInterval) // two periodic syncs: too young to expire
		if n, _, _ := a.store.PendingLen(ctx); n != 1 {
			t.Fatalf("%d parked before the age, want 1", n)
		}
		a.skew.Store(int64(7 * time.Hour))
		waitWithin(t, a.Node, 2*a.cfg.SyncInterval, "the parked op to expire", func() bool {
			n, _, _ := a.store.PendingLen(ctx)
			return n == 0
		})
	})
}

// BenchmarkValidator: what the gossip validator costs per op, now that it
// also checks that this node holds what the op cites (a lookup in the
// replica's memory under its lock), against decoding and verifying alone.
func BenchmarkValidator(b *testing.B) {
	ctx := b.Context()
	home := b.TempDir()
	if err := Init(home, "Olivia"); err != nil {
		b.Fatal(err)
	}
	cfg := DefaultConfig(home)
	cfg.MDNS = false
	cfg.Store = store.NewMemory()
	cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	n, err := Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	comm, err := n.CreateCommunity(ctx, "Glow Team")
	if err != nil {
		b.Fatal(err)
	}
	gid := general(b, n, comm.ID)
	var last crdt.ID
	for i := range 1000 {
		if last, err = n.Post(ctx, comm.ID, gid, fmt.Sprint("message ", i)); err != nil {
			b.Fatal(err)
		}
	}
	op, err := n.rep.Get(ctx, last)
	if err != nil {
		b.Fatal(err)
	}
	validate := n.gossip.Validator(comm.ID, gid)
	b.Run("decode only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := crdt.DecodeOp(op.Bytes()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("validator", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m := &pubsub.Message{Message: &pb.Message{Data: op.Bytes()}}
			if got := validate(ctx, n.host.ID(), m); got != pubsub.ValidationAccept {
				b.Fatalf("validator = %v", got)
			}
		}
	})
}

// TestJunkUnderMadeUpKeys: a member floods gossip with junk signed by keys
// of no member (so no author's share would hold it) and answers no pull.
// Olivia parks none of it, and penalises the sender though it never lets
// her fetch.
func TestJunkUnderMadeUpKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, m, _, comm := ownerAndMember(t)
		secret, _ := m.keys.Secret(comm.ID)
		name := gossip.TopicName(secret, comm.ID, crdt.ZeroID)
		waitFor(t, m.Node, "the control topic's mesh", func() bool { return slices.Contains(m.gossip.PubSub().ListPeers(name), a.host.ID()) })
		// Mallory's node publishes without validating, and serves nothing.
		for _, p := range []protocol.ID{syncProtocol, reconcileProtocol} {
			m.host.RemoveStreamHandler(p)
		}
		if err := m.gossip.PubSub().UnregisterTopicValidator(name); err != nil {
			t.Fatal(err)
		}
		accept := func(context.Context, peer.ID, *pubsub.Message) pubsub.ValidationResult {
			return pubsub.ValidationAccept
		}
		if err := m.gossip.PubSub().RegisterTopicValidator(name, accept); err != nil {
			t.Fatal(err)
		}
		topic := m.gossip.Topic(name)
		for i := range 200 {
			_, priv, err := ed25519.GenerateKey(nil)
			if err != nil {
				t.Fatal(err)
			}
			var ghost crdt.ID
			ghost[0], ghost[1] = 0xee, byte(i)
			op, err := crdt.Sign(crdt.Op{Community: comm.ID, Kind: crdt.KindProfile, Parents: []crdt.ID{ghost}, Height: 2, Body: []byte{0xa0}}, benchSigner{priv})
			if err != nil {
				t.Fatal(err)
			}
			if err := topic.Publish(ctx, op.Bytes()); err != nil {
				t.Fatal(err)
			}
			if i%16 == 15 {
				time.Sleep(50 * time.Millisecond)
			}
		}
		synctest.Wait()
		if n, _, _ := a.store.PendingOf(ctx, comm.ID); n > 0 {
			t.Errorf("Olivia parks %d ops signed by keys of no member", n)
		}
		waitFor(t, a.Node, "Olivia to penalise Mallory", func() bool { return a.gossip.AppScore(m.host.ID()) < 0 })
	})
}
