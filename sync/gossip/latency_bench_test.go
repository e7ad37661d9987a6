package gossip

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/x/simlibp2p"
	"github.com/marcopolo/simnet"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity"
)

// gossipResult is what one simulated gossip run measured.
type gossipResult struct {
	p50, p99  time.Duration
	delivered float64 // fraction of (member, message) pairs delivered
}

// gossipLatency starts nodes gossip peers with Umbrella's gossipsub
// settings and validator on a simulated network with 50 ms links, each
// dialling 6 random others, lets the mesh form, publishes 20 signed ops
// from random members half a second apart, and measures when each member
// receives each op, all in virtual time. Call it inside synctest.Test.
func gossipLatency(t *testing.T, nodes int) gossipResult {
	rng := rand.New(rand.NewPCG(uint64(nodes), 3))
	keys := rand.NewChaCha8([32]byte{byte(nodes), byte(nodes >> 8)})
	nw := &simnet.Simnet{LatencyFunc: simnet.StaticLatency(50 * time.Millisecond)}
	nw.Start()
	defer nw.Close()
	link := simnet.NodeBiDiLinkSettings{
		Downlink: simnet.LinkSettings{BitsPerSecond: 20 * simlibp2p.OneMbps},
		Uplink:   simnet.LinkSettings{BitsPerSecond: 20 * simlibp2p.OneMbps},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const topic = "umbrella/bench"
	type member struct {
		topic *pubsub.Topic
		addr  peer.AddrInfo
		conns func() []peer.ID
	}
	var (
		mu       sync.Mutex
		sent     = map[string]time.Time{}
		received = map[string][]time.Duration{}
		wg       sync.WaitGroup
	)
	members := make([]member, nodes)
	for i := range members {
		key, _, err := crypto.GenerateEd25519Key(keys)
		if err != nil {
			t.Fatal(err)
		}
		h, err := libp2p.New(
			libp2p.Identity(key),
			libp2p.ListenAddrStrings(fmt.Sprintf("/ip4/%s/udp/8000/quic-v1", simnet.IntToPublicIPv4(i+1))),
			simlibp2p.QUICSimnet(nw, link),
			libp2p.DisableIdentifyAddressDiscovery(),
			libp2p.ResourceManager(&network.NullResourceManager{}),
		)
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		ps, err := pubsub.NewGossipSub(ctx, h, options(func(peer.ID, string) bool { return true }, func(peer.ID) float64 { return 0 }, func(map[peer.ID]float64) {})...)
		if err != nil {
			t.Fatal(err)
		}
		if err := ps.RegisterTopicValidator(topic, func(_ context.Context, _ peer.ID, m *pubsub.Message) pubsub.ValidationResult {
			if _, err := crdt.DecodeOp(m.Data); err != nil {
				return pubsub.ValidationReject
			}
			return pubsub.ValidationAccept
		}); err != nil {
			t.Fatal(err)
		}
		tp, err := ps.Join(topic)
		if err != nil {
			t.Fatal(err)
		}
		if err := tp.SetScoreParams(topicScore); err != nil {
			t.Fatal(err)
		}
		sub, err := tp.Subscribe()
		if err != nil {
			t.Fatal(err)
		}
		members[i] = member{topic: tp, addr: peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()}, conns: h.Network().Peers}
		wg.Go(func() {
			for {
				m, err := sub.Next(ctx)
				if err != nil {
					return
				}
				at := time.Now()
				mu.Lock()
				received[string(m.Data)] = append(received[string(m.Data)], at.Sub(sent[string(m.Data)]))
				mu.Unlock()
			}
		})
		for range min(6, i) {
			j := rng.IntN(i)
			if err := h.Connect(ctx, members[j].addr); err != nil {
				t.Fatalf("connect %d to %d: %v", i, j, err)
			}
		}
	}
	// Publish once every member knows which of its neighbours are on the
	// topic (meshes graft at the next heartbeat; until then gossipsub
	// publishes to as many topic peers).
	ready := func() bool {
		for _, m := range members {
			if len(m.topic.ListPeers()) < len(m.conns()) {
				return false
			}
		}
		return true
	}
	for !ready() {
		time.Sleep(100 * time.Millisecond) // virtual time: poll
	}
	author, err := identity.FromSeed(bytes.Repeat([]byte{7}, 32), "Olivia")
	if err != nil {
		t.Fatal(err)
	}
	const messages = 20
	for i := range messages {
		op, err := crdt.Sign(crdt.Op{Community: crdt.ID{1}, Log: crdt.ID{2}, Kind: crdt.KindMessage, Height: 1, Deps: []crdt.ID{{3}}, Body: []byte(fmt.Sprintf("tip %d", i))}, author)
		if err != nil {
			t.Fatal(err)
		}
		from := members[rng.IntN(len(members))]
		mu.Lock()
		sent[string(op.Bytes())] = time.Now()
		mu.Unlock()
		if err := from.topic.Publish(ctx, op.Bytes()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond) // the scenario: one op every half second
	}
	// Wait, in virtual time, for every delivery or 10 s for stragglers.
	delivered := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, ds := range received {
			n += len(ds)
		}
		return n
	}
	for deadline := time.Now().Add(10 * time.Second); delivered() < messages*nodes && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond) // virtual time: poll
	}
	cancel()
	mu.Lock()
	defer mu.Unlock()
	var all []time.Duration
	for _, ds := range received {
		all = append(all, ds...)
	}
	if len(all) == 0 {
		t.Fatal("nothing was delivered")
	}
	slices.Sort(all)
	// The publisher's own copy counts as delivered at once, as a member
	// sees its own message immediately.
	return gossipResult{
		p50:       all[len(all)/2],
		p99:       all[len(all)*99/100],
		delivered: float64(len(all)) / float64(messages*nodes),
	}
}

// TestGossipLatencyRun is BenchmarkGossipLatency's worker: synctest's
// virtual clock needs a *testing.T, so the benchmark runs this test in a
// child process and reads the figures it prints.
func TestGossipLatencyRun(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv("UMBRELLA_GOSSIP_NODES"))
	if err != nil {
		t.Skip("run by BenchmarkGossipLatency")
	}
	synctest.Test(t, func(t *testing.T) {
		r := gossipLatency(t, n)
		fmt.Printf("GOSSIP %d %d %f\n", r.p50.Microseconds(), r.p99.Microseconds(), r.delivered)
	})
}

// BenchmarkGossipLatency: delivery latency (p50, p99, from publish to each
// member's receipt) and delivery ratio of gossip among 200 and 1,000
// simulated members with 50 ms links, in virtual time. Target at 1,000:
// everything delivered, p99 < 500 ms.
func BenchmarkGossipLatency(b *testing.B) {
	for _, n := range []int{200, 1000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			var p50, p99, ratio float64
			for b.Loop() {
				cmd := exec.Command(os.Args[0], "-test.run=^TestGossipLatencyRun$", "-test.timeout=20m")
				cmd.Env = append(os.Environ(), fmt.Sprintf("UMBRELLA_GOSSIP_NODES=%d", n))
				out, err := cmd.CombinedOutput()
				if err != nil {
					b.Fatalf("gossip run: %v\n%s", err, out)
				}
				var u50, u99 int64
				i := bytes.Index(out, []byte("GOSSIP "))
				if i < 0 {
					b.Fatalf("gossip run printed no figures:\n%s", out)
				}
				if _, err := fmt.Sscanf(string(out[i:]), "GOSSIP %d %d %f", &u50, &u99, &ratio); err != nil {
					b.Fatalf("gossip figures: %v\n%s", err, out)
				}
				p50, p99 = float64(u50)/1000, float64(u99)/1000
			}
			b.ReportMetric(p50, "p50-ms")
			b.ReportMetric(p99, "p99-ms")
			b.ReportMetric(100*ratio, "%delivered")
		})
	}
}
