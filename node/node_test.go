package node

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/call"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/x/simlibp2p"
	"github.com/marcopolo/simnet"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/identity/keyfile"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/sync/join"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// simNet is a simulated network for nodes inside a synctest bubble.
type simNet struct {
	t   *testing.T
	net *simnet.Simnet
	n   int
	// apart, when set, says two peers cannot reach each other (a network
	// split): their hosts refuse to dial or accept each other.
	apart func(a, b peer.ID) bool
	// callMedia, when set, is the nodes' call media (calls_test.go).
	callMedia func(home string) call.NewMedia
	// callHost, when set, is the nodes' SFU host (callsfu_test.go).
	callHost func(home string) call.NewHost
}

// simGater refuses connections simNet.apart forbids.
type simGater struct {
	self peer.ID
	net  *simNet
}

func (g simGater) blocked(p peer.ID) bool { return g.net.apart != nil && g.net.apart(g.self, p) }

func (g simGater) InterceptPeerDial(p peer.ID) bool                 { return !g.blocked(p) }
func (g simGater) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool { return !g.blocked(p) }
func (g simGater) InterceptAccept(network.ConnMultiaddrs) bool      { return true }
func (g simGater) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return !g.blocked(p)
}
func (g simGater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }

func newSimNet(t *testing.T) *simNet {
	nw := &simnet.Simnet{LatencyFunc: simnet.StaticLatency(10 * time.Millisecond)}
	nw.Start()
	t.Cleanup(func() { nw.Close() })
	return &simNet{t: t, net: nw}
}

// host starts a libp2p host for the identity in home on the simulated network.
func (s *simNet) host(home string) host.Host {
	id, err := keyfile.Load(home)
	if err != nil {
		s.t.Fatal(err)
	}
	s.n++
	link := simnet.NodeBiDiLinkSettings{
		Downlink: simnet.LinkSettings{BitsPerSecond: 20 * simlibp2p.OneMbps},
		Uplink:   simnet.LinkSettings{BitsPerSecond: 20 * simlibp2p.OneMbps},
	}
	h, err := libp2p.New(
		libp2p.ConnectionGater(simGater{self: peerkey.ID(id), net: s}),
		libp2p.Identity(peerkey.PrivKey(id)),
		libp2p.ListenAddrStrings(fmt.Sprintf("/ip4/%s/udp/8000/quic-v1", simnet.IntToPublicIPv4(s.n))),
		simlibp2p.QUICSimnet(s.net, link),
		libp2p.DisableIdentifyAddressDiscovery(),
		libp2p.ResourceManager(&network.NullResourceManager{}),
	)
	if err != nil {
		s.t.Fatal(err)
	}
	return h
}

type testNode struct {
	*Node
	home  string
	store store.OpStore
	skew  *atomic.Int64 // added to the node's clock, for tests of expiry
}

// start opens a node on home (creating the identity if needed) with st as
// its store.
func (s *simNet) start(home, name string, st store.OpStore) *testNode {
	if !HasIdentity(home) {
		if err := Init(home, name); err != nil {
			s.t.Fatal(err)
		}
	}
	cfg := DefaultConfig(home)
	cfg.MDNS = false
	cfg.Host = s.host(home)
	cfg.Store = st
	if s.callMedia != nil {
		cfg.CallMedia = s.callMedia(home)
	}
	if s.callHost != nil {
		cfg.CallHost = s.callHost(home)
	}
	skew := new(atomic.Int64)
	cfg.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	if os.Getenv("NODE_DEBUG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	n, err := Open(s.t.Context(), cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	return &testNode{Node: n, home: home, store: st, skew: skew}
}

// waitFor waits, in virtual time, until cond holds, re-checking on every
// node event and every simulated second, for at most a simulated minute.
func waitFor(t *testing.T, n *Node, what string, cond func() bool) {
	t.Helper()
	waitWithin(t, n, time.Minute, what, cond)
}

// waitWithin is waitFor with a limit other than a simulated minute.
func waitWithin(t *testing.T, n *Node, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	events, cancel := n.Subscribe()
	defer cancel()
	deadline := time.After(limit)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for !cond() {
		select {
		case <-events:
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func texts(t *testing.T, n *Node, cid, gid crdt.ID) []string {
	msgs, err := n.Messages(cid, gid)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		out = append(out, m.AuthorName+": "+m.Text)
	}
	return out
}

func general(t testing.TB, n *Node, cid crdt.ID) crdt.ID {
	gs, err := n.Groups(cid)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if g.Kind == api.GroupRegular && g.Name == api.DefaultGroupName {
			return g.ID
		}
	}
	t.Fatalf("no %s group in %v", api.DefaultGroupName, gs)
	return crdt.ID{}
}

// TestThreeNodesConverge: an owner creates a community, two members join by
// link, everyone posts, and all three show the same messages in the same
// order; a member who was away catches up by pulling when it returns.
func TestThreeNodesConverge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		b := sn.start(t.TempDir(), "Ben", store.NewMemory())
		cHome := t.TempDir()
		c := sn.start(cHome, "Chloe", store.NewMemory())
		defer a.Close()
		defer b.Close()

		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		if comm.Role != "owner" || comm.Members != 1 {
			t.Fatalf("new community: %+v", comm)
		}
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []*testNode{b, c} {
			got, err := n.Join(ctx, link)
			if err != nil {
				t.Fatalf("%s join: %v", n.Self().Name, err)
			}
			if got.ID != comm.ID || got.Name != "Glow Team" || got.Role != "member" {
				t.Fatalf("joined %+v", got)
			}
		}
		gid := general(t, a.Node, comm.ID)
		if _, err := a.Post(ctx, comm.ID, gid, "Welcome, team!"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b.Node, "b to see a's post", func() bool { return len(texts(t, b.Node, comm.ID, gid)) == 1 })
		if _, err := b.Post(ctx, comm.ID, gid, "Happy to be here"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, c.Node, "c to see b's post", func() bool { return len(texts(t, c.Node, comm.ID, gid)) == 2 })
		if _, err := c.Post(ctx, comm.ID, gid, "Hi all"); err != nil {
			t.Fatal(err)
		}
		for _, n := range []*testNode{a, b, c} {
			waitFor(t, n.Node, "three messages", func() bool { return len(texts(t, n.Node, comm.ID, gid)) == 3 })
		}
		want := []string{"Olivia: Welcome, team!", "Ben: Happy to be here", "Chloe: Hi all"}
		for _, n := range []*testNode{a, b, c} {
			if got := texts(t, n.Node, comm.ID, gid); !slices.Equal(got, want) {
				t.Fatalf("%s shows %q, want %q", n.Self().Name, got, want)
			}
			members, _ := n.Members(comm.ID)
			if len(members) != 3 || members[0].Role != "owner" || members[0].Name != "Olivia" {
				t.Fatalf("%s members: %+v", n.Self().Name, members)
			}
		}

		// c goes away; a and b keep talking; c comes back with the same
		// store and catches up by pulling on connect.
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			if _, err := a.Post(ctx, comm.ID, gid, fmt.Sprintf("tip %d", i)); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, b.Node, "b to see the tips", func() bool { return len(texts(t, b.Node, comm.ID, gid)) == 8 })
		c2 := sn.start(cHome, "Chloe", c.store)
		defer c2.Close()
		waitFor(t, c2.Node, "returning c to catch up", func() bool { return len(texts(t, c2.Node, comm.ID, gid)) == 8 })
		if got, want := texts(t, c2.Node, comm.ID, gid), texts(t, a.Node, comm.ID, gid); !slices.Equal(got, want) {
			t.Fatalf("c after catch-up shows %q, a shows %q", got, want)
		}
	})
}

// TestNonMemberCannotPull: the pull protocol answers members only.
func TestNonMemberCannotPull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		x := sn.start(t.TempDir(), "Stranger", store.NewMemory())
		defer a.Close()
		defer x.Close()
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		if err := x.host.Connect(ctx, a.host.Peerstore().PeerInfo(a.host.ID())); err != nil {
			t.Fatal(err)
		}
		x.rep.Expect(comm.ID)
		err = x.pulls.PullNow(ctx, a.host.ID(), comm.ID, nil)
		if err == nil || !strings.Contains(err.Error(), errNotMember.Error()) || len(x.rep.Communities()) != 0 {
			t.Fatalf("stranger pulled the community: err=%v communities=%v", err, x.rep.Communities())
		}
	})
}

// TestJoinErrors: bad links fail with clear errors and change nothing.
func TestJoinErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		b := sn.start(t.TempDir(), "Ben", store.NewMemory())
		defer a.Close()
		defer b.Close()
		comm, _ := a.CreateCommunity(ctx, "Glow Team")
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// A short link flipped in its middle (a peer or an address) fails
		// its check.
		flipped := []byte(link)
		mid := len(join.ShortPrefix) + (len(link)-len(join.ShortPrefix))/2
		if flipped[mid] == 'A' {
			flipped[mid] = 'B'
		} else {
			flipped[mid] = 'A'
		}
		for name, l := range map[string]string{"garbage": "hello", "flipped": string(flipped), "truncated": link[:len(link)/2]} {
			if _, err := b.Join(ctx, l); !errors.Is(err, identity.ErrBadLink) {
				t.Errorf("%s link: %v, want ErrBadLink", name, err)
			}
		}
		// An expired link: a's clock moves past the expiry.
		a.skew.Store(int64(-8 * 24 * time.Hour))
		old, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Join(ctx, old); !errors.Is(err, identity.ErrBadLink) {
			t.Errorf("expired link: %v, want ErrBadLink", err)
		}
		if len(b.Communities()) != 0 {
			t.Fatal("a failed join left a community behind")
		}
	})
}
