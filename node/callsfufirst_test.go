package node

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/call"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/node/calls"
	"github.com/umbrella-p2p/umbrella/relaynode"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// TestRemovedMemberWhoOffersFirstToARelayOverVnet: Mallory, removed from
// the community (the relay still knows her: she was a member), learns a
// call's id and connects real call/media to the relay's SFU before any
// participant, naming everyone in a roster of her own. Ben and Chloe then
// join Olivia's call, which runs through the relay: the relay tells them
// who is connected, their nodes report her, and the relay drops her
// (refusing her offers from then on) within seconds of virtual time.
// Through it all her media receives no frame of any member's, though
// she holds a key for each (frames would count, undecrypted); the
// members' call runs on, and the status of whoever reported her names
// her.
func TestRemovedMemberWhoOffersFirstToARelayOverVnet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		ns, vm, r, cid, gid, loose := newRelaySFUCall(t, []string{"Olivia", "Ben", "Chloe", "Mallory"}, 4, "mallory")
		a, b, c, m := ns[0], ns[1], ns[2], ns[3]
		members := []*testNode{a, b, c}
		newMallory := loose[0]
		connect(t, [2]*testNode{c, b}, [2]*testNode{c, a}, [2]*testNode{b, a}, [2]*testNode{m, a})
		waitFor(t, a.Node, "the relay to know Mallory", func() bool { return r.rs.Relay().Known(cid, m.selfKey()) })
		if err := a.RemoveMember(ctx, cid, m.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		for _, n := range members {
			waitFor(t, n.Node, "three members", func() bool { ms, _ := n.Members(cid); return len(ms) == 3 })
		}
		waitFor(t, a.Node, "the relay to know the three members", func() bool {
			return r.rs.Relay().Known(cid, b.selfKey()) && r.rs.Relay().Known(cid, c.selfKey())
		})

		id, err := a.StartCall(ctx, cid, gid, false, true)
		if err != nil {
			t.Fatal(err)
		}
		// Mallory connects first, holding a receive key for every member.
		relayID := r.h.ID().String()
		offers := make(chan []byte, 4)
		med, err := newMallory(call.MediaConfig{Self: m.Self().PeerID, Synthetic: true, Signal: func(_ string, blob []byte) { offers <- blob }})
		if err != nil {
			t.Fatal(err)
		}
		key := bytes.Repeat([]byte{7}, call.KeySize)
		if err := med.SetSendKey(1, key); err != nil {
			t.Fatal(err)
		}
		for _, n := range members {
			if err := med.SetRecvKey(n.Self().PeerID, 1, key); err != nil {
				t.Fatal(err)
			}
		}
		if err := med.SetHost(relayID); err != nil {
			t.Fatal(err)
		}
		offer := <-offers
		send := func(msg *call.Message) *call.Reply {
			msg.Community, msg.Call = cid[:], id[:]
			rep, err := calls.Send(ctx, m.proto.svc.Open, r.key(), msg)
			if err != nil {
				t.Fatal(err)
			}
			return rep
		}
		rep := send(&call.Message{Type: call.TypeMedia, Blob: offer})
		if rep.Error != "" {
			t.Fatalf("mallory's first offer: %s", rep.Error)
		}
		if err := med.HandleSignal(relayID, rep.Blob); err != nil {
			t.Fatal(err)
		}
		var all [][]byte
		for _, n := range []*testNode{m, a, b, c} {
			k := n.selfKey()
			all = append(all, k[:])
		}
		if rep := send(&call.Message{Type: call.TypeRoster, Roster: all}); rep.Error != "" {
			t.Fatalf("mallory's roster: %s", rep.Error)
		}

		joined := time.Now()
		for _, n := range []*testNode{b, c} {
			waitFor(t, n.Node, "the ring", func() bool { calls, _ := n.Calls(cid); return len(calls) == 1 && calls[0].Active })
			if err := n.JoinCall(ctx, cid, id, false, true); err != nil {
				t.Fatal(err)
			}
		}
		waitWithin(t, a.Node, 10*time.Second, "the relay to drop mallory", func() bool {
			return strings.Contains(send(&call.Message{Type: call.TypeMedia, Blob: offer}).Error, "dropped you")
		})
		t.Logf("mallory dropped %v after the members began to join", time.Since(joined))
		waitDecryptThrough(t, relayID, cid, id, members...)
		ab := vm.decrypted(a, b)
		<-time.After(3 * time.Second)
		if got := vm.decrypted(a, b); got < ab+100 {
			t.Fatalf("Olivia stopped hearing Ben: %d → %d", ab, got)
		}
		for _, s := range med.Stats() {
			if s.FramesReceived > 0 {
				t.Errorf("mallory received %d frames of %s's", s.FramesReceived, s.Peer)
			}
		}
		reported := 0 // the first to connect may be the only one who saw her
		for _, n := range members {
			st, err := n.CallStatus(cid, id)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Reported) == 0 {
				continue
			}
			reported++
			if len(st.Reported) != 1 || st.Reported[0].PeerID != m.Self().PeerID {
				t.Errorf("%s's status reports %+v, want Mallory", n.home, st.Reported)
			}
		}
		if reported == 0 {
			t.Error("no member's status reports Mallory")
		}
		med.Close()
	})
}

// newRelaySFUCall starts, on simnet with media on a vnet LAN, a relay
// that hosts SFUs (--sfu) and a node of each name, and has every node
// connect to the relay. The first creates a community and registers the
// relay with it; the first members of names are its members (the rest
// strangers). Each node's media has an address on the LAN, as has the
// media of each of loose (returned, with no node). Everything closes at
// the test's end.
func newRelaySFUCall(t *testing.T, names []string, members int, loose ...string) (ns []*testNode, vm *vnetMedia, r *relayNode, cid, gid crdt.ID, media []call.NewMedia) {
	t.Helper()
	ctx := t.Context()
	vm = newVnetMedia(t)
	sn := newSimNet(t)
	sn.callMedia = vm.factory
	r = sn.startRelay(t.TempDir())
	vm.factory("relay") // the relay's IP on the media LAN
	hs, err := relaynode.ServeCalls(r.rs, vm.hostFactory("relay"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		ns = append(ns, sn.start(t.TempDir(), name, store.NewMemory()))
	}
	for _, home := range loose {
		media = append(media, vm.factory(home))
	}
	if err := vm.wan.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, n := range ns {
			n.Close()
		}
		hs.Close()
		r.close()
		vm.close()
	})
	comm, err := ns[0].CreateCommunity(ctx, "Glow Team")
	if err != nil {
		t.Fatal(err)
	}
	r.register(t, ns[0], comm.ID)
	link, err := ns[0].CreateInvite(ctx, comm.ID, api.InviteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns[1:members] {
		if _, err := n.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range ns {
		if err := n.host.Connect(ctx, peer.AddrInfo{ID: r.h.ID(), Addrs: r.h.Addrs()}); err != nil {
			t.Fatal(err)
		}
	}
	return ns, vm, r, comm.ID, general(t, ns[0].Node, comm.ID), media
}

// waitDecryptThrough waits until each of ns runs call id through the SFU
// of host (a peer id) and decrypted 50 frames of each other of ns.
func waitDecryptThrough(t *testing.T, host string, cid, id crdt.ID, ns ...*testNode) {
	t.Helper()
	for _, n := range ns {
		waitFor(t, n.Node, fmt.Sprintf("%s to decrypt the %d others through %s", n.home, len(ns)-1, host), func() bool {
			h, got := sfuFrom(n, cid, id)
			if h != host || len(got) != len(ns)-1 {
				return false
			}
			for _, f := range got {
				if f < 50 {
					return false
				}
			}
			return true
		})
	}
}
