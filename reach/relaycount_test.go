package reach

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/client"
	ma "github.com/multiformats/go-multiaddr"
)

// TestE2ERelayCounts: the relay service counts a reservation a member takes
// and a circuit another peer opens through it (on 127.0.0.1).
func TestE2ERelayCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("real hosts on 127.0.0.1; runs in make test's E2E|Slow suite")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	r, err := OpenRelay(RelayConfig{Key: key, Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rai := peer.AddrInfo{ID: r.Host().ID(), Addrs: r.Host().Addrs()}

	behind, err := libp2p.New(libp2p.NoListenAddrs, libp2p.EnableRelay())
	if err != nil {
		t.Fatal(err)
	}
	defer behind.Close()
	if err := behind.Connect(ctx, rai); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Reserve(ctx, behind, rai); err != nil {
		t.Fatal(err)
	}
	if c := r.Counts(); c.Reservations != 1 || c.ReservationsGranted != 1 {
		t.Fatalf("after a reservation: %+v", c)
	}

	dialer, err := libp2p.New(libp2p.NoListenAddrs, libp2p.EnableRelay())
	if err != nil {
		t.Fatal(err)
	}
	defer dialer.Close()
	circuit, err := ma.NewMultiaddr(r.Host().Addrs()[0].String() + "/p2p/" + r.Host().ID().String() + "/p2p-circuit")
	if err != nil {
		t.Fatal(err)
	}
	if err := dialer.Connect(network.WithAllowLimitedConn(ctx, "test"), peer.AddrInfo{ID: behind.ID(), Addrs: []ma.Multiaddr{circuit}}); err != nil {
		t.Fatal(err)
	}
	if c := r.Counts(); c.Circuits != 1 || c.CircuitsOpened != 1 {
		t.Fatalf("after a relayed connection: %+v", c)
	}
}
