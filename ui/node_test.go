package ui

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/x/simlibp2p"
	"github.com/marcopolo/simnet"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/identity/keyfile"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/node"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// startSimNode opens a real node named name on the simulated network nw,
// as the n-th host.
func startSimNode(t *testing.T, nw *simnet.Simnet, n int, name string) *node.Node {
	home := t.TempDir()
	if err := node.Init(home, name); err != nil {
		t.Fatal(err)
	}
	id, err := keyfile.Load(home)
	if err != nil {
		t.Fatal(err)
	}
	link := simnet.NodeBiDiLinkSettings{
		Downlink: simnet.LinkSettings{BitsPerSecond: 20 * simlibp2p.OneMbps},
		Uplink:   simnet.LinkSettings{BitsPerSecond: 20 * simlibp2p.OneMbps},
	}
	h, err := libp2p.New(
		libp2p.Identity(peerkey.PrivKey(id)),
		libp2p.ListenAddrStrings(fmt.Sprintf("/ip4/%s/udp/8000/quic-v1", simnet.IntToPublicIPv4(n))),
		simlibp2p.QUICSimnet(nw, link),
		libp2p.DisableIdentifyAddressDiscovery(),
		libp2p.ResourceManager(&network.NullResourceManager{}),
	)
	if err != nil {
		t.Fatal(err)
	}
	cfg := node.DefaultConfig(home)
	cfg.MDNS = false
	cfg.Host = h
	cfg.Store = store.NewMemory()
	nd, err := node.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nd.Close() })
	return nd
}

// waitUntil has the UI handle the node's events until cond holds, for at
// most a simulated minute.
func (h *harness) waitUntil(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.After(time.Minute)
	for {
		h.drain()
		if cond() {
			return
		}
		select {
		case e := <-h.events:
			h.a.handle(e)
		case <-time.After(time.Second):
		case <-deadline:
			h.t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// TestTwoAppsOverRealNodes: two apps, each over a real in-process node on
// a simulated network: the leader creates a community in her app, the
// newcomer joins with the link in his, and each sees what the other
// writes — a message, a reply with its quote, a reaction.
func TestTwoAppsOverRealNodes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := &simnet.Simnet{LatencyFunc: simnet.StaticLatency(10 * time.Millisecond)}
		nw.Start()
		t.Cleanup(func() { nw.Close() })
		olivia := startSimNode(t, nw, 1, "Olivia")
		ben := startSimNode(t, nw, 2, "Ben")
		test.NewTempApp(t)
		ho := newBackendHarness(t, olivia)
		ho.a.start()
		hb := newBackendHarness(t, ben)
		hb.a.start()

		ho.a.showCreateCommunity()
		test.Type(ho.a.lastDialog.createEntry, "Glow Team")
		test.Tap(ho.a.lastDialog.confirm)
		ho.waitUntil("the community opens", func() bool { return ho.a.home.name.Text == "Glow Team" })
		link, err := olivia.CreateInvite(t.Context(), ho.a.community, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}

		hb.a.OpenLink(link)
		hb.waitUntil("Ben's app asks", func() bool { return hb.a.lastDialog != nil && hb.a.lastDialog.open })
		if got, want := labelsText(hb.a.lastDialog.holder), "Join Glow Team, invited by Olivia?"; !strings.Contains(got, want) {
			t.Fatalf("Ben's app asks %q, want %q", got, want)
		}
		test.Tap(hb.a.lastDialog.confirm)
		hb.waitUntil("Ben is in Glow Team", func() bool { return hb.a.home.name.Text == "Glow Team" })
		hb.open("General")
		hb.typeAndSend("Hi, I'm new! Where do I start?")

		ho.open("General")
		ho.waitUntil("Olivia sees Ben's message", func() bool {
			return ho.a.convo.win.total == 1 && strings.HasSuffix(ho.last(), "Hi, I'm new! Where do I start?")
		})
		if got := ho.last(); !strings.HasPrefix(got, "[Today] | Ben ") {
			t.Fatalf("Olivia sees %q", got)
		}
		ho.act(0, "Reply")
		ho.typeAndSend("Welcome Ben! Start with the training video.")
		ho.act(0, "React/🎉")
		hb.waitUntil("Ben sees the reply and the reaction", func() bool {
			if hb.a.convo.win.total != 2 {
				return false
			}
			return strings.HasSuffix(hb.row(0).summary(), "(🎉 1)") &&
				strings.Contains(hb.last(), "> ↩ Ben: Hi, I'm new! Where do I start? | Welcome Ben! Start with the training video.")
		})
		if got := hb.last(); !strings.Contains(got, "Olivia LEADER") {
			t.Fatalf("Ben sees %q", got)
		}
	})
}
