package gossip

import (
	"bytes"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/marcopolo/simnet"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestGraftedAfterPublishIsNudged: a peer gossipsub grafts into a topic's
// mesh within meshWindow after this node published there is nudged about
// the topic's community; one grafted later, or into a topic this node did
// not publish on, is not.
func TestGraftedAfterPublishIsNudged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		olivia, ben, chloe := newMember(t, 1, "Olivia"), newMember(t, 2, "Ben"), newMember(t, 3, "Chloe")
		cid := crdt.ID{0xc0}
		pl := &fakePuller{}
		s := bare(t, newFakeReplica(), pl, time.Now, olivia.pid)
		s.wg.Add(1)
		go s.nudgeLoop()
		defer func() { s.cancel(); s.wg.Wait() }()
		s.topicCommunity.Store("published", cid)
		s.topicCommunity.Store("quiet", cid)
		s.notePublished("published")
		s.grafted(chloe.pid, "quiet")
		s.grafted(ben.pid, "published")
		synctest.Wait()
		time.Sleep(meshWindow)
		s.grafted(chloe.pid, "published") // too late
		synctest.Wait()
		pl.mu.Lock()
		defer pl.mu.Unlock()
		if len(pl.nudged) != 1 || pl.nudged[0] != ben.key {
			t.Fatalf("nudged %v, want only Ben", pl.nudged)
		}
	})
}

// TestPublishOffTopicNudgesReaders: a node that writes an op before it can
// gossip it (a joiner without the topic secret yet, or one not on the
// log's topic) nudges every connected reader of the log to pull it, and
// no one else; without that the op spread only when some periodic pull
// happened to pick this node.
func TestPublishOffTopicNudgesReaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := &simnet.Simnet{LatencyFunc: simnet.StaticLatency(10 * time.Millisecond)}
		nw.Start()
		defer nw.Close()
		olivia, ben, xavier := newMember(t, 1, "Olivia"), newMember(t, 2, "Ben"), newMember(t, 3, "Xavier")
		cid := crdt.ID{0xc0}
		var hasSecret atomic.Bool
		h := simHost(t, nw, 1, olivia)
		rep := newFakeReplica()
		rep.community(cid, olivia.key, ben.key)
		pl := &fakePuller{}
		s, err := New(Config{Host: h, Replica: rep, Puller: pl, Logger: testLogger(),
			Secrets: SecretsFunc(func(crdt.ID) ([]byte, bool) { return bytes.Repeat([]byte{0x5e}, 32), hasSecret.Load() })})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for i, m := range []member{ben, xavier} {
			other := simHost(t, nw, i+2, m)
			if err := other.Connect(t.Context(), peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()}); err != nil {
				t.Fatal(err)
			}
		}
		op, err := crdt.Sign(crdt.Op{Community: cid, Kind: crdt.KindPrekey, Parents: []crdt.ID{cid}, Height: 2, Body: []byte{0xa0}}, olivia.id)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []bool{false, true} { // without the secret; with it but off the topic
			hasSecret.Store(secret)
			pl.mu.Lock()
			pl.nudged = nil
			pl.mu.Unlock()
			s.Publish(op)
			synctest.Wait()
			pl.mu.Lock()
			got := slices.Clone(pl.nudged)
			pl.mu.Unlock()
			if len(got) != 1 || got[0] != ben.key {
				t.Fatalf("with secret %v: nudged %v, want only Ben %v", secret, got, ben.key)
			}
		}
	})
}
