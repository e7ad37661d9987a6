package reach

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/client"
	ma "github.com/multiformats/go-multiaddr"
)

// ParseRelay parses a relay's multiaddr, which must name its peer id.
func ParseRelay(s string) (peer.AddrInfo, error) {
	a, err := ma.NewMultiaddr(strings.TrimSpace(s))
	if err != nil {
		return peer.AddrInfo{}, err
	}
	ai, err := peer.AddrInfoFromP2pAddr(a)
	if err != nil {
		return peer.AddrInfo{}, errors.New("a relay address must end in /p2p/<peer id>")
	}
	return *ai, nil
}

// ViaRelays adds to ai the circuit addresses that reach it through each
// of relays, for a peer that may only be reachable that way.
func ViaRelays(ai peer.AddrInfo, relays []peer.AddrInfo) peer.AddrInfo {
	for _, r := range relays {
		if r.ID == ai.ID {
			continue
		}
		for _, ra := range r.Addrs {
			c, err := ma.NewMultiaddr(ra.String() + "/p2p/" + r.ID.String() + "/p2p-circuit")
			if err == nil && !slices.ContainsFunc(ai.Addrs, c.Equal) {
				ai.Addrs = append(ai.Addrs, c)
			}
		}
	}
	return ai
}

// IsRelayed reports whether a connection runs through a circuit relay.
func IsRelayed(c network.Conn) bool {
	_, err := c.RemoteMultiaddr().ValueForProtocol(ma.P_CIRCUIT)
	return err == nil
}

// reservation is a slot this node holds on a relay.
type reservation struct {
	addrs   []ma.Multiaddr // the relay's addresses, without /p2p
	expires time.Time
}

// RelaysConfig configures Relays.
type RelaysConfig struct {
	// Configured lists relays from the node's configuration (multiaddrs
	// ending in /p2p/ID); those in Book's invites come after them.
	Configured []string
	// Book, when set, supplies the relays named in invites.
	Book *Book
	// Logger receives logs; nil discards them.
	Logger *slog.Logger
	// OnChange, when set, is called when reachability changes or a relay
	// slot is taken (the network indicator may change).
	OnChange func()
}

// Relays follows what AutoNAT finds about this node's reachability and,
// while the node cannot be dialled directly, keeps slots on up to
// maxReservations known relays, renewing them before they expire; the
// host's address factory (AddrsFactory) announces a circuit address
// through each. It owns its goroutines: Start starts them, Close stops
// them. It never prints.
type Relays struct {
	configured []string
	book       *Book
	log        *slog.Logger
	onChange   func()

	host   host.Host // set by Start
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	mu           sync.Mutex
	reservations map[peer.ID]reservation // relay slots held; guarded by mu
	reach        network.Reachability    // as AutoNAT last found; guarded by mu
	reachCh      chan struct{}           // signalled when reach changes
}

// NewRelays returns Relays that hold no slot yet; Start starts them once
// the host (built with AddrsFactory) exists.
func NewRelays(cfg RelaysConfig) *Relays {
	r := &Relays{configured: slices.Clone(cfg.Configured), book: cfg.Book, log: cfg.Logger, onChange: cfg.OnChange,
		reservations: map[peer.ID]reservation{}, reachCh: make(chan struct{}, 1)}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.log = r.log.With("component", "reach")
	if r.onChange == nil {
		r.onChange = func() {}
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r
}

// Start watches h's reachability and keeps relay slots for it.
func (r *Relays) Start(h host.Host) error {
	sub, err := h.EventBus().Subscribe(new(event.EvtLocalReachabilityChanged))
	if err != nil {
		return fmt.Errorf("watch reachability: %w", err)
	}
	r.host = h
	r.wg.Add(2)
	go r.watchReachability(sub)
	go r.loop()
	return nil
}

// Close stops the relays' goroutines and waits for them. It is idempotent.
func (r *Relays) Close() error {
	r.once.Do(func() {
		r.cancel()
		r.wg.Wait()
	})
	return nil
}

// watchReachability records what AutoNAT finds about this node.
func (r *Relays) watchReachability(sub event.Subscription) {
	defer r.wg.Done()
	defer sub.Close()
	for {
		select {
		case <-r.ctx.Done():
			return
		case e, ok := <-sub.Out():
			if !ok {
				return
			}
			reach := e.(event.EvtLocalReachabilityChanged).Reachability
			r.mu.Lock()
			r.reach = reach
			r.mu.Unlock()
			select {
			case r.reachCh <- struct{}{}:
			default:
			}
			r.log.Info("reachability", "now", reach.String())
			r.onChange()
		}
	}
}

// Reachability returns what AutoNAT last concluded: "public", "private"
// or "unknown".
func (r *Relays) Reachability() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch r.reach {
	case network.ReachabilityPublic:
		return "public"
	case network.ReachabilityPrivate:
		return "private"
	}
	return "unknown"
}

// Known returns the relays this node knows: its configuration's, then
// those named in the invites it joined by, one entry per relay.
func (r *Relays) Known() []peer.AddrInfo {
	var self peer.ID
	if r.host != nil {
		self = r.host.ID()
	}
	var book []string
	if r.book != nil {
		book = r.book.Relays()
	}
	var out []peer.AddrInfo
	for _, s := range append(slices.Clone(r.configured), book...) {
		ai, err := ParseRelay(s)
		if err != nil || ai.ID == self {
			continue
		}
		if i := slices.IndexFunc(out, func(o peer.AddrInfo) bool { return o.ID == ai.ID }); i >= 0 {
			out[i].Addrs = append(out[i].Addrs, ai.Addrs...) // another address of a relay already listed
			continue
		}
		out = append(out, ai)
	}
	return out
}

// loop keeps slots on up to maxReservations known relays while this node
// cannot be reached directly, renewing them before they expire.
func (r *Relays) loop() {
	defer r.wg.Done()
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		r.keepReservations()
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		case <-r.reachCh:
		}
	}
}

func (r *Relays) keepReservations() {
	if r.Reachability() != "private" {
		return
	}
	held := 0
	for _, relay := range r.Known() {
		if held >= maxReservations || r.ctx.Err() != nil {
			return
		}
		r.mu.Lock()
		cur, ok := r.reservations[relay.ID]
		r.mu.Unlock()
		if ok && time.Until(cur.expires) > 15*time.Minute {
			held++
			continue
		}
		ctx, cancel := context.WithTimeout(r.ctx, 20*time.Second)
		res, err := client.Reserve(ctx, r.host, relay)
		cancel()
		if err != nil {
			r.log.Debug("relay reservation failed", "relay", relay.ID, "err", err)
			continue
		}
		addrs := relay.Addrs
		if len(addrs) == 0 {
			addrs = r.host.Peerstore().Addrs(relay.ID)
		}
		r.mu.Lock()
		r.reservations[relay.ID] = reservation{addrs: addrs, expires: res.Expiration}
		r.mu.Unlock()
		held++
		r.log.Info("holding a relay slot", "relay", relay.ID, "until", res.Expiration.Format(time.RFC3339))
		r.onChange()
	}
}

// AddrsFactory is the host's address factory: its own addresses plus a
// circuit address through every relay it holds a slot on.
func (r *Relays) AddrsFactory(addrs []ma.Multiaddr) []ma.Multiaddr {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, res := range r.reservations {
		if time.Now().After(res.expires) {
			delete(r.reservations, id)
			continue
		}
		for _, a := range res.addrs {
			if c, err := ma.NewMultiaddr(a.String() + "/p2p/" + id.String() + "/p2p-circuit"); err == nil {
				addrs = append(addrs, c)
			}
		}
	}
	return addrs
}

// Redial dials, one after the other, the peers known from earlier runs
// (but h itself), until ctx ends.
func Redial(ctx context.Context, h host.Host, known []peer.AddrInfo, log *slog.Logger) {
	for _, ai := range known {
		if ai.ID == h.ID() {
			continue
		}
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := h.Connect(dctx, ai); err != nil && log != nil {
			log.Debug("redial failed", "peer", ai.ID, "err", err)
		}
		cancel()
		if ctx.Err() != nil {
			return
		}
	}
}
