package relaynode

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/pion/transport/v5"

	"github.com/umbrella-p2p/umbrella/call/turn"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/sync/p2p"
	"github.com/umbrella-p2p/umbrella/sync/relay"
)

// turnID is the TURN credential protocol as libp2p knows it.
const turnID = protocol.ID(turn.Protocol)

// TURN configures the TURN server a relay runs for call media
// (Config.TURN).
type TURN struct {
	// Addr is where it serves TURN, host:port, over UDP and over TCP on
	// the same port.
	Addr string
	// IP is the address members reach it at, told in its URLs and
	// allocations: the relay's public IP. Required when Addr's host is
	// unspecified.
	IP net.IP
	// Net is the TURN server's network: nil, the host's; tests give a
	// pion vnet.
	Net transport.Net
}

// ServeTURN starts the relay's TURN server and answers the
// credential protocol: a peer gets a credential when the relay knows it
// as a member of a community that registered it (sync/relay's Keeps and
// Known, from the control logs it holds).
func ServeTURN(h host.Host, rl *relay.Relay, cfg TURN, log *slog.Logger) (*turn.Server, error) {
	hostPart, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("turn address %q: %w", cfg.Addr, err)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return nil, fmt.Errorf("turn address %q: want a port from 1 to 65535, which the URLs name", cfg.Addr)
	}
	ip := cfg.IP
	if ip == nil {
		if ip = net.ParseIP(hostPart); ip == nil || ip.IsUnspecified() {
			return nil, fmt.Errorf("turn address %q: give the IP members reach the relay at", cfg.Addr)
		}
	}
	hp := net.JoinHostPort(ip.String(), port)
	urls, tcp := []string{"turn:" + hp + "?transport=udp", "turn:" + hp + "?transport=tcp"}, cfg.Addr
	if cfg.Net != nil { // pion's vnet has no TCP
		urls, tcp = urls[:1], ""
	}
	iss, err := turn.NewIssuer(turn.IssuerConfig{
		URLs:   urls,
		PeerID: peerkey.Text,
		Member: func(p string) (crdt.PublicKey, bool) {
			id, err := peer.Decode(p)
			if err != nil {
				return crdt.PublicKey{}, false
			}
			return peerkey.Key(id)
		},
		Allowed: func(k crdt.PublicKey) bool {
			for _, cid := range rl.Communities() {
				if rl.Keeps(cid) && rl.Known(cid, k) {
					return true
				}
			}
			return false
		},
	})
	if err != nil {
		return nil, err
	}
	s, err := turn.Serve(turn.ServerConfig{UDP: cfg.Addr, TCP: tcp, RelayIP: ip, Issuer: iss, Log: log, Net: cfg.Net})
	if err != nil {
		return nil, err
	}
	svc := p2p.NewService(context.Background(), h, log, nil)
	svc.Handle(turnID, func(_ context.Context, rw io.ReadWriteCloser, from crdt.PublicKey) error {
		return turn.Handle(rw, iss, from)
	})
	return s, nil
}
