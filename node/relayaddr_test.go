package node

import (
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// TestNamesRelayAddr: a relay's address as `umbrellad relay` prints it
// splits into its key and dial addresses; what is not one is refused as
// invalid, in words that say what to paste.
func TestNamesRelayAddr(t *testing.T) {
	id, err := identity.Generate(rand.Reader, "relay")
	if err != nil {
		t.Fatal(err)
	}
	p := peerkey.ID(id)
	want, _ := peerkey.Key(p)
	k, addrs, err := names{}.RelayAddr(" /ip4/203.0.113.5/udp/4001/quic-v1/p2p/" + p.String() + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if k != want || !slices.Equal(addrs, []string{"/ip4/203.0.113.5/udp/4001/quic-v1"}) {
		t.Fatalf("RelayAddr = %s %v, want %s [/ip4/203.0.113.5/udp/4001/quic-v1]", k, addrs, want)
	}
	for name, bad := range map[string]string{
		"empty":        "",
		"a host name":  "relay.example.com:4001",
		"no peer id":   "/ip4/203.0.113.5/udp/4001/quic-v1",
		"no address":   "/p2p/" + p.String(),
		"bad peer id":  "/ip4/203.0.113.5/tcp/4001/p2p/12D3KooWnotapeer",
		"cut short":    "/ip4/203.0.113.5/tcp",
		"a bad number": "/ip4/203.0.113.500/tcp/4001/p2p/" + p.String(),
	} {
		_, _, err := names{}.RelayAddr(bad)
		if !errors.Is(err, crdt.ErrInvalid) {
			t.Errorf("%s: RelayAddr(%q) = %v, want crdt.ErrInvalid", name, bad, err)
			continue
		}
		if !strings.Contains(err.Error(), "relay") {
			t.Errorf("%s: %q does not say it is about the relay address", name, err)
		}
	}
}

// TestStatusCountsRelay: an admin registers a relay by its printed
// address; the node dials it, lists it among the community's relays and
// marks it as a relay in its status, where the indicator counts it.
func TestStatusCountsRelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		r := sn.startRelay(t.TempDir())
		defer r.close()
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		defer a.Close()
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		if err := a.AddRelayAddr(ctx, comm.ID, r.h.Addrs()[0].String()+"/p2p/"+r.h.ID().String()); err != nil {
			t.Fatal(err)
		}
		isRelay := func() bool {
			for _, p := range a.Status().Peers {
				if p.PeerID == r.h.ID().String() {
					return p.Relay
				}
			}
			return false
		}
		waitFor(t, a.Node, "the relay to be online and marked as one", isRelay)
		rs, err := a.Relays(comm.ID)
		if err != nil || len(rs) != 1 || rs[0].PeerID != r.h.ID().String() {
			t.Fatalf("Relays = %+v, %v", rs, err)
		}
		if err := a.RemoveRelayPeer(ctx, comm.ID, r.h.ID().String()); err != nil {
			t.Fatal(err)
		}
		if rs, err := a.Relays(comm.ID); err != nil || len(rs) != 0 {
			t.Fatalf("Relays after removal = %+v, %v", rs, err)
		}
		if isRelay() {
			t.Errorf("a relay the community no longer has is still marked as one")
		}
	})
}
