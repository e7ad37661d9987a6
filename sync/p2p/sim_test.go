package p2p

import (
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/x/simlibp2p"
	"github.com/marcopolo/simnet"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/sync/reconcile"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// serviceMemory is the memory the sim hosts' resource managers let the
// protocols' service hold, per direction of the test.
const serviceMemory = 512 << 10

// simHost starts host number i on nw, with a resource manager that
// limits ServiceName to serviceMemory.
func simHost(t *testing.T, nw *simnet.Simnet, i int) host.Host {
	t.Helper()
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	limits := rcmgr.DefaultLimits
	limits.AddServiceLimit(ServiceName, rcmgr.BaseLimit{Streams: 64, StreamsInbound: 64, StreamsOutbound: 64, Memory: serviceMemory}, rcmgr.BaseLimitIncrease{})
	mgr, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits.AutoScale()))
	if err != nil {
		t.Fatal(err)
	}
	link := simnet.NodeBiDiLinkSettings{
		Downlink: simnet.LinkSettings{BitsPerSecond: 20 * simlibp2p.OneMbps},
		Uplink:   simnet.LinkSettings{BitsPerSecond: 20 * simlibp2p.OneMbps},
	}
	h, err := libp2p.New(
		libp2p.Identity(key),
		libp2p.ListenAddrStrings(fmt.Sprintf("/ip4/%s/udp/8000/quic-v1", simnet.IntToPublicIPv4(i))),
		simlibp2p.QUICSimnet(nw, link),
		libp2p.DisableIdentifyAddressDiscovery(),
		libp2p.ResourceManager(mgr),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(); mgr.Close() })
	return h
}

// bigFake answers pull requests with size bytes of ops.
type bigFake struct {
	fake
	size int
}

func (f *bigFake) AnswerSync(from crdt.PublicKey, req *wire.Request) *wire.Response {
	f.fake.AnswerSync(from, req)
	return &wire.Response{Ops: [][]byte{make([]byte, f.size)}}
}

// TestProtocolsOverSimnet: two libp2p hosts on a simulated network run
// each protocol through Service: the responder sees the requester's
// identity key; a reconciliation finds what the initiator lacks; a peer
// that sends a message that does not decode is reported to onBad; and a
// response larger than the service's memory budget is refused by the
// resource manager, not read.
func TestProtocolsOverSimnet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		nw := &simnet.Simnet{LatencyFunc: simnet.StaticLatency(10 * time.Millisecond)}
		nw.Start()
		defer nw.Close()
		a, b := simHost(t, nw, 1), simHost(t, nw, 2)
		var mu sync.Mutex
		var bad []peer.ID
		onBad := func(p peer.ID) { mu.Lock(); bad = append(bad, p); mu.Unlock() }
		sa, sb := NewService(ctx, a, nil, onBad), NewService(ctx, b, nil, onBad)
		f := &bigFake{fake: fake{set: reconcile.NewSet(items(1, 2, 3))}, size: 10}
		sb.Handle(SyncID, SyncHandler(f))
		sb.Handle(ReconcileID, ReconcileHandler(f, NewSessionSlots(MaxServedSessions, MaxSessionsPerPeer)))
		sb.Handle(JoinID, JoinHandler(f))
		if err := a.Connect(ctx, peer.AddrInfo{ID: b.ID(), Addrs: b.Addrs()}); err != nil {
			t.Fatal(err)
		}
		aKey, _ := peerkey.Key(a.ID())
		remote := sa.Peer(b.ID())

		if _, err := remote.Request(ctx, &wire.Request{Kind: wire.KindSecret, Community: cid[:]}); err != nil || f.from != aKey {
			t.Fatalf("request: %v; responder saw %v, want %v", err, f.from, aKey)
		}
		need, _, err := remote.Reconcile(ctx, cid, reconcile.NewSet(items(2)))
		reconcile.Sort(need)
		if err != nil || !slices.Equal(need, items(1, 3)) {
			t.Fatalf("reconcile: %v, need %v", err, need)
		}
		resp, err := remote.Join(ctx, &wire.JoinRequest{Invite: []byte("approval"), Join: []byte("j")})
		if err != nil || !resp.Pending {
			t.Fatalf("join: %v, %+v", err, resp)
		}

		// A message that does not decode: b resets and reports a.
		s, err := sa.Open(ctx, b.ID(), ReconcileID)
		if err != nil {
			t.Fatal(err)
		}
		wire.Write(s, &wire.Reconcile{Community: cid[:], Msg: []byte{1, 0xff, 0xff}})
		var in wire.Reconcile
		if err := wire.Read(s, &in, 0); err == nil {
			t.Fatalf("a garbage message was answered %+v", in)
		}
		synctest.Wait()
		mu.Lock()
		if !slices.Equal(bad, []peer.ID{a.ID()}) {
			t.Fatalf("reported as misbehaving: %v, want a", bad)
		}
		mu.Unlock()

		// Over a's budget for the service: refused while it arrives.
		f.size = 2 * serviceMemory
		if _, err := remote.Request(ctx, &wire.Request{Kind: wire.KindSecret, Community: cid[:]}); err == nil || !strings.Contains(err.Error(), "reserve memory") {
			t.Fatalf("a response over the memory budget: %v", err)
		}
		f.size = serviceMemory / 4
		if _, err := remote.Request(ctx, &wire.Request{Kind: wire.KindSecret, Community: cid[:]}); err != nil {
			t.Fatalf("a response within the budget, after one over it: %v", err)
		}
	})
}
