package gossip

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/x/simlibp2p"
	"github.com/marcopolo/simnet"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
)

// simHost starts a libp2p host for m as the i-th node of a simulated
// network.
func simHost(t *testing.T, nw *simnet.Simnet, i int, m member) host.Host {
	t.Helper()
	link := simnet.NodeBiDiLinkSettings{
		Downlink: simnet.LinkSettings{BitsPerSecond: 20 * simlibp2p.OneMbps},
		Uplink:   simnet.LinkSettings{BitsPerSecond: 20 * simlibp2p.OneMbps},
	}
	h, err := libp2p.New(
		libp2p.Identity(peerkey.PrivKey(m.id)),
		libp2p.ListenAddrStrings(fmt.Sprintf("/ip4/%s/udp/8000/quic-v1", simnet.IntToPublicIPv4(i))),
		simlibp2p.QUICSimnet(nw, link),
		libp2p.DisableIdentifyAddressDiscovery(),
		libp2p.ResourceManager(&network.NullResourceManager{}),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// eventually polls cond in virtual time for up to a simulated minute.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond) // virtual time: poll
	}
}

// TestGossipOverSimnet: three services on a simulated network. Olivia's
// op reaches Ben, a member, through real gossipsub; Xavier, who knows the
// topic secret but is no member, gets nothing; and Ben, whose broken node
// forwards garbage, falls below Olivia's graylist threshold.
func TestGossipOverSimnet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := &simnet.Simnet{LatencyFunc: simnet.StaticLatency(10 * time.Millisecond)}
		nw.Start()
		defer nw.Close()
		olivia, ben, xavier := newMember(t, 1, "Olivia"), newMember(t, 2, "Ben"), newMember(t, 3, "Xavier")
		cid := crdt.ID{0xc0}
		secret := bytes.Repeat([]byte{0x5e}, 32)
		type node struct {
			m   member
			h   host.Host
			rep *fakeReplica
			s   *Service
		}
		start := func(i int, m member, members ...crdt.PublicKey) *node {
			h := simHost(t, nw, i, m)
			rep := newFakeReplica()
			rep.community(cid, members...)
			pl := &fakePuller{}
			s, err := New(Config{Host: h, Replica: rep, Secrets: SecretsFunc(func(crdt.ID) ([]byte, bool) { return secret, true }),
				Puller: pl, Logger: testLogger()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			if err := s.JoinTopics(cid); err != nil {
				t.Fatal(err)
			}
			return &node{m, h, rep, s}
		}
		o := start(1, olivia, olivia.key, ben.key)
		b := start(2, ben, olivia.key, ben.key)
		x := start(3, xavier, olivia.key, ben.key, xavier.key) // he thinks himself one of them
		for _, n := range []*node{b, x} {
			if err := n.h.Connect(t.Context(), peer.AddrInfo{ID: o.h.ID(), Addrs: o.h.Addrs()}); err != nil {
				t.Fatal(err)
			}
		}
		name := TopicName(secret, cid, crdt.ZeroID)
		eventually(t, "Ben and Xavier on Olivia's topic", func() bool {
			on := o.s.Topic(name).ListPeers()
			return slices.Contains(on, ben.pid) && slices.Contains(on, xavier.pid)
		})

		time.Sleep(3 * time.Second) // heartbeats: the mesh forms
		op, err := crdt.Sign(crdt.Op{Community: cid, Kind: crdt.KindProfile, Parents: []crdt.ID{cid}, Height: 2, Body: []byte{0xa1}}, olivia.id)
		if err != nil {
			t.Fatal(err)
		}
		o.s.Publish(op)
		eventually(t, "Ben to get Olivia's op", func() bool { return b.rep.Holds(t.Context(), op.ID()) })
		synctest.Wait()
		if n := x.rep.ingestedCount(); n != 0 {
			t.Errorf("a non-member got %d ops by gossip", n)
		}

		// Ben's node breaks: it forwards without validating.
		ps := b.s.PubSub()
		if err := ps.UnregisterTopicValidator(name); err != nil {
			t.Fatal(err)
		}
		accept := func(context.Context, peer.ID, *pubsub.Message) pubsub.ValidationResult {
			return pubsub.ValidationAccept
		}
		if err := ps.RegisterTopicValidator(name, accept); err != nil {
			t.Fatal(err)
		}
		if err := b.s.Topic(name).Publish(t.Context(), []byte("not an op")); err != nil {
			t.Fatal(err)
		}
		eventually(t, "Ben's score to fall", func() bool { return o.s.Score(ben.pid) < GraylistThreshold })
		for _, n := range []*node{o, b, x} {
			if err := n.s.Close(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
