package reach

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/relay"
)

// RelayConfig configures a relay service.
type RelayConfig struct {
	// Key is the relay's identity; its address, which invites name,
	// depends on it. Required.
	Key crypto.PrivKey
	// Listen lists multiaddrs to listen on. Required.
	Listen []string
	// Logger receives logs; nil discards them.
	Logger *slog.Logger
}

// Relay is a circuit relay v2 service: members who cannot be dialled
// directly keep a reservation on it, and others reach them through it.
// It relays encrypted libp2p connections; the communities' ops it keeps
// are package sync/relay's, which the relay node serves on Host.
type Relay struct {
	host  host.Host
	count *relayCounter
	once  sync.Once
	err   error
}

// RelayResources are the relay's limits. Relayed connections carry whole
// catch-ups and gossip, so they have no per-connection time or data limit
// (libp2p's default of 2 minutes and 128 KiB would cut them and would stop
// gossipsub from using them); the number of reservations and circuits is
// what is bounded.
func RelayResources() relay.Resources {
	r := relay.DefaultResources()
	r.Limit = nil
	r.MaxReservations = 4096
	r.MaxCircuits = 64
	r.MaxReservationsPerIP = 64 // a team in one office shares an address
	r.MaxReservationsPerASN = 1024
	return r
}

// OpenRelay starts a relay service listening on cfg.Listen.
func OpenRelay(cfg RelayConfig) (*Relay, error) {
	if cfg.Key == nil {
		return nil, errors.New("relay: Key is required")
	}
	if len(cfg.Listen) == 0 {
		return nil, errors.New("relay: at least one listen address is required")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := CheckPortsFree(cfg.Listen); err != nil {
		return nil, err
	}
	count := &relayCounter{}
	h, err := libp2p.New(
		libp2p.Identity(cfg.Key),
		libp2p.ListenAddrStrings(cfg.Listen...),
		libp2p.EnableRelayService(relay.WithResources(RelayResources()), relay.WithMetricsTracer(count)),
		libp2p.EnableNATService(),
		libp2p.EnableAutoNATv2(),
		libp2p.ForceReachabilityPublic(),
	)
	if err != nil {
		return nil, fmt.Errorf("start relay on %v: %w", cfg.Listen, err)
	}
	r := &Relay{host: h, count: count}
	log.Info("relay started", "peer", h.ID(), "addrs", r.Addrs())
	return r, nil
}

// Addrs returns the relay's full multiaddrs (with /p2p/), to give to
// members with `umbrellad serve --relay`.
func (r *Relay) Addrs() []string {
	var out []string
	for _, a := range r.host.Addrs() {
		out = append(out, a.String()+"/p2p/"+r.host.ID().String())
	}
	return out
}

// Host returns the relay's libp2p host, on which the relay node serves
// its store (node wires sync/relay onto it).
func (r *Relay) Host() host.Host { return r.host }

// Counts returns the relay service's reservations and circuits.
func (r *Relay) Counts() RelayCounts { return r.count.counts() }

// PeerID returns the relay's peer id.
func (r *Relay) PeerID() string { return r.host.ID().String() }

// Close stops the relay. It is idempotent.
func (r *Relay) Close() error {
	r.once.Do(func() { r.err = r.host.Close() })
	return r.err
}
