// Package relaynode is the relay node (`umbrellad relay`), a composition
// root of its own beside node: the circuit relay v2 service (reach) on the
// identity in its home, the blind store-and-forward of the communities
// registered with it (sync/relay) served with the members' own protocols,
// their files, and optionally the SFUs and the TURN server of their calls.
//
// Open runs a whole relay; ServeStore, ServeFiles, ServeCalls and
// ServeTURN wire its parts onto a given libp2p host, for tests that run
// relays beside member nodes on a simulated network.
package relaynode

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
	"github.com/umbrella-p2p/umbrella/internal/homelock"
	"github.com/umbrella-p2p/umbrella/reach"
	"github.com/umbrella-p2p/umbrella/sync/exchange"
	"github.com/umbrella-p2p/umbrella/sync/p2p"
	"github.com/umbrella-p2p/umbrella/sync/relay"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// Config configures a relay node.
type Config struct {
	// Home holds the relay's identity (created on first start), lock and
	// store (StoreDir), so its address, which invites name, and what
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
	TURN *TURN
}

// StoreDir is the relay's op store in its home.
const StoreDir = "relaydb"

// Relay is a relay node: the circuit relay v2 service (reach.Relay) on
// the identity in its home, which it holds locked while it runs, and the
// blind store-and-forward of the communities registered with it
// (sync/relay), served with the members' own protocols.
type Relay struct {
	*reach.Relay
	store *Store
	calls *call.HostServer // nil without Config.CallHost
	lock  *homelock.Lock
	turn  *turn.Server // nil: no TURN (Config.TURN)
	dirs  []string     // the op store's and the file store's directories
	once  sync.Once
	err   error
}

// Open starts a relay on cfg.Home, creating its identity if needed.
func Open(cfg Config) (*Relay, error) {
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
	lock, err := homelock.Acquire(cfg.Home)
	if err != nil {
		return nil, err
	}
	r, err := reach.OpenRelay(reach.RelayConfig{Key: peerkey.PrivKey(id), Listen: cfg.Listen, Logger: cfg.Logger})
	if err != nil {
		lock.Release()
		return nil, err
	}
	ds, err := store.OpenBadger(filepath.Join(cfg.Home, StoreDir), store.BadgerOptions{})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("relay store: %w", err), r.Close(), lock.Release())
	}
	rs, err := ServeStore(context.Background(), r.Host(), ds, relay.Config{Quota: cfg.Quota, CommunityShare: cfg.Share, Retention: cfg.Retention, Allow: cfg.Allow, Log: cfg.Logger})
	if err != nil {
		return nil, errors.Join(err, ds.Close(), r.Close(), lock.Release())
	}
	if _, err := ServeFiles(r.Host(), rs.relay, filepath.Join(cfg.Home, FilesDir), cfg.Logger); err != nil {
		return nil, errors.Join(err, rs.Close(), r.Close(), lock.Release())
	}
	var hs *call.HostServer
	if cfg.CallHost != nil {
		if hs, err = ServeCalls(rs, cfg.CallHost, cfg.Logger); err != nil {
			return nil, errors.Join(err, rs.Close(), r.Close(), lock.Release())
		}
	}
	var ts *turn.Server
	if cfg.TURN != nil {
		if ts, err = ServeTURN(r.Host(), rs.relay, *cfg.TURN, cfg.Logger); err != nil {
			var herr error
			if hs != nil {
				herr = hs.Close()
			}
			return nil, errors.Join(err, herr, rs.Close(), r.Close(), lock.Release())
		}
	}
	return &Relay{Relay: r, store: rs, calls: hs, lock: lock, turn: ts, dirs: []string{filepath.Join(cfg.Home, StoreDir), filepath.Join(cfg.Home, FilesDir)}}, nil
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
		r.err = errors.Join(append(errs, r.store.Close(), r.Relay.Close(), r.lock.Release())...)
	})
	return r.err
}

// Store is sync/relay wired onto a libp2p host: the sync and
// reconcile handlers answer from the relay's store, and a member's nudge
// makes it pull from that member.
type Store struct {
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
	k, ok := peerkey.Key(p)
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

// ServeStore opens a relay store over ds (which it closes on close)
// for the identity of h and serves it on h. cfg's Self and Store are set
// here.
func ServeStore(ctx context.Context, h host.Host, ds *store.DS, cfg relay.Config) (*Store, error) {
	self, ok := peerkey.Key(h.ID())
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
	return &Store{relay: rl, svc: svc, puller: puller, ds: ds, cancel: func() { h.Network().StopNotify(notifee); cancel() }, newcomers: nn}, nil
}

// Relay returns the store-and-forward relay the store serves.
func (s *Store) Relay() *relay.Relay { return s.relay }

// Close stops serving and closes the store's database.
func (s *Store) Close() error {
	s.cancel()
	s.newcomers.close()
	s.puller.Close()
	return s.ds.Close()
}
