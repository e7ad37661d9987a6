package node

import (
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/pion/transport/v5/vnet"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/call"
	"github.com/umbrella-p2p/umbrella/relaynode"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// TestStrandedParticipantsRejoinTheRelayOverVnet is the loaded trial's
// split, over pion's vnet: Olivia, Ben, Chloe and Dev are in a voice
// call on a relay's SFU when Ben's and Chloe's links to the relay and to
// Olivia and Dev go down (media and signalling) for longer than any ask
// waits; Ben and Chloe still reach each other, and both lost the relay.
// Once the links are back, everyone is on the relay again and decrypts
// new frames from every other participant within a bounded time: nobody
// rests alone in a mesh.
func TestStrandedParticipantsRejoinTheRelayOverVnet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		vm := newVnetMedia(t)
		sn := newSimNet(t)
		sn.callMedia = vm.factory
		r := sn.startRelay(t.TempDir())
		ip := map[string]string{}
		vm.factory("relay")
		ip["relay"] = fmt.Sprintf("10.0.0.%d", vm.n+1)
		var all []*testNode
		for _, name := range []string{"Olivia", "Ben", "Chloe", "Dev"} {
			all = append(all, sn.start(t.TempDir(), name, store.NewMemory()))
			ip[name] = fmt.Sprintf("10.0.0.%d", vm.n+1)
		}
		a, b, c, d := all[0], all[1], all[2], all[3]
		hs, err := relaynode.ServeCalls(r.rs, vm.hostFactory("relay"), nil)
		if err != nil {
			t.Fatal(err)
		}
		// Media between the cut and the far side is dropped while cut.
		var cut atomic.Bool
		side := map[string]int{ip["Ben"]: 1, ip["Chloe"]: 1, ip["Olivia"]: 2, ip["Dev"]: 2, ip["relay"]: 2}
		hostIP := func(a net.Addr) string {
			h, _, _ := net.SplitHostPort(a.String())
			return h
		}
		vm.wan.AddChunkFilter(func(ch vnet.Chunk) bool {
			s, d := side[hostIP(ch.SourceAddr())], side[hostIP(ch.DestinationAddr())]
			return !cut.Load() || s == 0 || d == 0 || s == d
		})
		if err := vm.wan.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			for _, n := range all {
				n.Close()
			}
			hs.Close()
			r.close()
			vm.close()
		})
		cid, gid := callCommunity(t, a, b, c, d)
		r.register(t, a, cid)
		for _, n := range all {
			if err := n.host.Connect(ctx, peer.AddrInfo{ID: r.h.ID(), Addrs: r.h.Addrs()}); err != nil {
				t.Fatal(err)
			}
		}
		for i, n := range all {
			for _, o := range all[i+1:] {
				connect(t, [2]*testNode{n, o})
			}
		}
		for _, n := range all {
			waitFor(t, n.Node, "everyone to see four members", func() bool { ms, _ := n.Members(cid); return len(ms) == 4 })
		}
		waitFor(t, a.Node, "the relay to know the four members", func() bool {
			for _, n := range all {
				if !r.rs.Relay().Known(cid, n.selfKey()) {
					return false
				}
			}
			return r.rs.Relay().Keeps(cid)
		})
		id := startCall(t, a, cid, gid, all[1:]...)
		relayID := r.h.ID().String()
		// onRelay reports whether n is on the relay's SFU and decrypted
		// at least 25 frames from every other participant since from.
		onRelay := func(n *testNode, from map[string]uint64) bool {
			h, got := sfuFrom(n, cid, id)
			if h != relayID || len(got) != len(all)-1 {
				return false
			}
			for p, f := range got {
				if f < from[p]+25 {
					return false
				}
			}
			return true
		}
		for _, n := range all {
			waitFor(t, n.Node, n.home+" to decrypt the three others through the relay", func() bool { return onRelay(n, nil) })
		}

		// Ben's and Chloe's links to the relay, Olivia and Dev go down.
		stranded := map[peer.ID]bool{b.host.ID(): true, c.host.ID(): true}
		sn.apart = func(x, y peer.ID) bool { return stranded[x] != stranded[y] }
		cut.Store(true)
		for _, n := range []*testNode{b, c} {
			for _, p := range n.host.Network().Peers() {
				if !stranded[p] {
					n.host.Network().ClosePeer(p)
				}
			}
		}
		<-time.After(3 * call.HostAsk)
		for _, n := range []*testNode{b, c} {
			if h, _ := sfuFrom(n, cid, id); h == relayID {
				t.Logf("%s still names the relay after %v cut off", n.home, 3*call.HostAsk)
			}
		}

		sn.apart = nil
		cut.Store(false)
		back := time.Now()
		from := map[*testNode]map[string]uint64{}
		for _, n := range all {
			_, from[n] = sfuFrom(n, cid, id)
		}
		for _, n := range all {
			waitWithin(t, n.Node, 2*call.RejoinMax+3*call.HostAsk, n.home+" to decrypt new frames from the three others through the relay",
				func() bool { return onRelay(n, from[n]) })
			t.Logf("%s: on the relay, new frames from everyone, %v after the links came back", n.home, time.Since(back))
		}
		if st, err := b.CallStatus(cid, id); err != nil || st.Topology != api.TopologySFU || st.SFU != relayID {
			t.Fatalf("Ben's status: %+v, %v", st, err)
		}
	})
}
