package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"

	"github.com/umbrella-p2p/umbrella/call"
	"github.com/umbrella-p2p/umbrella/call/turn"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/identity/keyfile"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/reach"
	"github.com/umbrella-p2p/umbrella/sync/exchange"
	"github.com/umbrella-p2p/umbrella/sync/p2p"
	"github.com/umbrella-p2p/umbrella/sync/relay"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// RelayConfig configures a relay node.
type RelayConfig struct {
	// Home holds the relay's identity (created on first start), lock and
	// store (RelayStoreDir), so its address, which invites name, and what
	// it keeps survive restarts. Required.
	Home string
	// Listen lists multiaddrs to listen on. Required.
	Listen []string
	// Quota bounds the bytes of ops the relay stores; 0 means
	// relay.DefaultQuota.
	Quota int64
	// Share bounds the bytes one community may store there; 0 means a
	// quarter of Quota (relay.Config.CommunityShare).
	Share int64
	// Retention is how long the relay keeps content ops; 0 keeps them
	// all (relay.Config.Retention).
	Retention time.Duration
	// Allow lists the admins whose registrations the relay accepts
	// (relay.Config.Allow); empty: open to any admin.
	Allow []crdt.PublicKey
	// CallHost, if set, makes the relay host the SFUs of calls of the
	// communities that registered it (`umbrellad relay --sfu`;
	// media.ForHosts).
	CallHost call.NewHost
	// Logger receives logs; nil discards them.
	Logger *slog.Logger
	// TURN, if set, runs a TURN server for the call media of the members
	// of the communities that registered the relay (relayturn.go).
	TURN *RelayTURN
}

// RelayStoreDir is the relay's op store in its home.
const RelayStoreDir = "relaydb"

// Relay is a relay node: the circuit relay v2 service (reach.Relay) on
// the identity in its home, which it holds locked while it runs, and the
// blind store-and-forward of the communities registered with it
// (sync/relay), served with the members' own protocols.
type Relay struct {
	*reach.Relay
	store *relayStore
	calls *call.HostServer // nil without RelayConfig.CallHost
	lock  *homeLock
	turn  *turn.Server // nil: no TURN (RelayConfig.TURN)
	dirs  []string     // the op store's and the file store's directories
	once  sync.Once
	err   error
}

// OpenRelay starts a relay on cfg.Home, creating its identity if needed.
func OpenRelay(cfg RelayConfig) (*Relay, error) {
	if cfg.Home == "" {
		return nil, errors.New("relay: Home is required")
	}
	if !keyfile.Exists(cfg.Home) {
		id, err := identity.Generate(rand.Reader, "relay")
		if err != nil {
			return nil, err
		}
		if err := keyfile.Save(cfg.Home, id); err != nil {
			return nil, err
		}
	}
	id, err := keyfile.Load(cfg.Home)
	if err != nil {
		return nil, err
	}
	lock, err := lockHome(cfg.Home)
	if err != nil {
		return nil, err
	}
	r, err := reach.OpenRelay(reach.RelayConfig{Key: peerkey.PrivKey(id), Listen: cfg.Listen, Logger: cfg.Logger})
	if err != nil {
		lock.release()
		return nil, err
	}
	ds, err := store.OpenBadger(filepath.Join(cfg.Home, RelayStoreDir), store.BadgerOptions{})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("relay store: %w", err), r.Close(), lock.release())
	}
	rs, err := serveRelayStore(context.Background(), r.Host(), ds, relay.Config{Quota: cfg.Quota, CommunityShare: cfg.Share, Retention: cfg.Retention, Allow: cfg.Allow, Log: cfg.Logger})
	if err != nil {
		return nil, errors.Join(err, ds.Close(), r.Close(), lock.release())
	}
	if _, err := serveRelayFiles(r.Host(), rs.relay, filepath.Join(cfg.Home, RelayFilesDir), cfg.Logger); err != nil {
		return nil, errors.Join(err, rs.close(), r.Close(), lock.release())
	}
	var hs *call.HostServer
	if cfg.CallHost != nil {
		if hs, err = serveRelayCalls(rs, cfg.CallHost, cfg); err != nil {
			return nil, errors.Join(err, rs.close(), r.Close(), lock.release())
		}
	}
	var ts *turn.Server
	if cfg.TURN != nil {
		if ts, err = serveRelayTURN(r.Host(), rs.relay, *cfg.TURN, cfg.Logger); err != nil {
			var herr error
			if hs != nil {
				herr = hs.Close()
			}
			return nil, errors.Join(err, herr, rs.close(), r.Close(), lock.release())
		}
	}
	return &Relay{Relay: r, store: rs, calls: hs, lock: lock, turn: ts, dirs: []string{filepath.Join(cfg.Home, RelayStoreDir), filepath.Join(cfg.Home, RelayFilesDir)}}, nil
}

// Stats returns what the relay's store holds and its counters.
func (r *Relay) Stats() relay.Stats { return r.store.relay.Stats() }

// DiskBytes returns the bytes the relay's stores (ops and files) take on
// disk.
func (r *Relay) DiskBytes() (int64, error) {
	var n int64
	for _, dir := range r.dirs {
		err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // compacted away while we walked, or no file stored yet
			}
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				info, err := d.Info()
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				if err != nil {
					return err
				}
				n += onDisk(info)
			}
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Close stops the relay and releases its home. It is idempotent.
func (r *Relay) Close() error {
	r.once.Do(func() {
		var errs []error
		if r.turn != nil {
			errs = append(errs, r.turn.Close())
		}
		if r.calls != nil {
			errs = append(errs, r.calls.Close())
		}
		r.err = errors.Join(append(errs, r.store.close(), r.Relay.Close(), r.lock.release())...)
	})
	return r.err
}

// relayStore is sync/relay wired onto a libp2p host: the sync and
// reconcile handlers answer from the relay's store, and a member's nudge
// makes it pull from that member.
type relayStore struct {
	relay  *relay.Relay
	svc    *p2p.Service
	puller *relay.Puller
	ds     interface{ Close() error }
	cancel context.CancelFunc
	// newcomers nudges peers that connect about the communities they were
	// added to and have not arrived in (relay's "Nudging newcomers").
	newcomers *newcomerNudges
}

// newcomerNudges runs the relay's nudges of newly connected peers, one
// goroutine per connected peer, until closed.
type newcomerNudges struct {
	ctx    context.Context
	rl     *relay.Relay
	svc    *p2p.Service
	mu     sync.Mutex
	closed bool // guarded by mu
	wg     sync.WaitGroup
}

// Connected implements network.Notifiee's ConnectedF: the first
// connection to a peer nudges it about its communities (at most
// relay.MaxNewcomerNudges), once per connection.
func (n *newcomerNudges) Connected(nw network.Network, c network.Conn) {
	p := c.RemotePeer()
	if len(nw.ConnsToPeer(p)) > 1 {
		return // already connected: nudged on the first connection
	}
	k, ok := keyOf(p)
	if !ok {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	n.wg.Go(func() { n.rl.NudgeNewcomer(n.ctx, k, n.svc.Peer(p)) })
}

// close stops taking connections and waits for the nudges under way
// (their context is cancelled first).
func (n *newcomerNudges) close() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.wg.Wait()
}

// serveRelayStore opens a relay store over ds (which it closes on close)
// for the identity of h and serves it on h. cfg's Self and Store are set
// here.
func serveRelayStore(ctx context.Context, h host.Host, ds *store.DS, cfg relay.Config) (*relayStore, error) {
	self, ok := keyOf(h.ID())
	if !ok {
		return nil, errors.New("relay: the host's key is not an Ed25519 identity")
	}
	cfg.Self, cfg.Store = self, ds
	rl, err := relay.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	svc := p2p.NewService(ctx, h, cfg.Log, nil)
	dial := func(k crdt.PublicKey) (exchange.Remote, error) {
		p, err := peerkey.FromPublicKey(k[:])
		if err != nil {
			return nil, err
		}
		return svc.Peer(p), nil
	}
	puller := relay.NewPuller(ctx, rl, dial, cfg.Log)
	svc.Handle(p2p.SyncID, p2p.SyncHandler(relay.Answerer{Relay: rl, Nudges: puller, Wait: relay.NudgeWait}))
	svc.Handle(p2p.ReconcileID, p2p.ReconcileHandler(rl, p2p.NewSessionSlots(p2p.MaxServedSessions, p2p.MaxSessionsPerPeer)))
	svc.Handle(p2p.JoinID, p2p.JoinHandler(relay.Joins{Relay: rl}))
	nn := &newcomerNudges{ctx: ctx, rl: rl, svc: svc}
	notifee := &network.NotifyBundle{ConnectedF: nn.Connected}
	h.Network().Notify(notifee)
	return &relayStore{relay: rl, svc: svc, puller: puller, ds: ds, cancel: func() { h.Network().StopNotify(notifee); cancel() }, newcomers: nn}, nil
}

func (s *relayStore) close() error {
	s.cancel()
	s.newcomers.close()
	s.puller.Close()
	return s.ds.Close()
}
