// Package node composes Umbrella's pieces — identity, the op store, the
// replica, a libp2p host with gossipsub, and the pull and join protocols —
// into one Node with a small API (see API) and an event stream. Both the
// desktop app and umbrellad use it.
//
// A Node owns every goroutine it starts: New starts them, Close cancels them,
// waits for them and is idempotent. It never prints; it logs through the
// slog.Logger in its Config.
package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"

	"github.com/umbrella-p2p/umbrella/act"
	"github.com/umbrella-p2p/umbrella/call"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/identity/keyfile"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/internal/fanout"
	"github.com/umbrella-p2p/umbrella/internal/homelock"
	"github.com/umbrella-p2p/umbrella/keys"
	"github.com/umbrella-p2p/umbrella/node/calls"
	"github.com/umbrella-p2p/umbrella/reach"
	"github.com/umbrella-p2p/umbrella/sync/blob"
	"github.com/umbrella-p2p/umbrella/sync/files"
	"github.com/umbrella-p2p/umbrella/sync/gossip"
	"github.com/umbrella-p2p/umbrella/sync/join"
	"github.com/umbrella-p2p/umbrella/sync/p2p"
	"github.com/umbrella-p2p/umbrella/sync/pull"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/view"
	"github.com/umbrella-p2p/umbrella/view/safety"
)

// ErrHomeInUse: another process has the home directory open.
var ErrHomeInUse = homelock.ErrInUse

// Config configures a Node. Build it with DefaultConfig and change fields.
type Config struct {
	// Home holds the identity, the database and the lock. Required.
	Home string
	// Listen lists multiaddrs to listen on.
	Listen []string
	// MDNS enables discovery of peers on the local network.
	MDNS bool
	// Logger receives logs; nil discards them.
	Logger *slog.Logger
	// SyncInterval is how often the node pulls from a random member.
	SyncInterval time.Duration
	// Now is the wall clock; shown times and invite expiry use it.
	Now func() time.Time
	// Relays lists circuit relay v2 nodes (multiaddrs ending in /p2p/ID,
	// e.g. from `umbrellad relay`). The node reserves a slot on them when it
	// cannot be reached directly and names them in the invites it makes.
	// Relays named in invites this node joined by are used as well.
	Relays []string
	// Reachability overrides what AutoNAT finds: "private" (always use
	// relays; for nodes known to be behind NAT, and tests), "public", or ""
	// to detect.
	Reachability string

	// Host, when set, is used instead of building a libp2p host (tests use
	// simulated networks). It must use the identity key from Home; Close
	// closes it.
	Host host.Host
	// Store, when set, is used instead of the Badger store under Home.
	Store store.OpStore
	// Passphrase, when set, protects the database key (Home/db.key) that
	// encrypts the database at rest; it is needed on every start once set.
	Passphrase []byte
	// KeySuite is the KEM of this node's prekeys: e2ee.X25519 (default) or
	// e2ee.Hybrid (ML-KEM-768 + X25519). Members of either suite mix.
	KeySuite e2ee.Suite
	// RotateAfter and RotateEvery end a group's epoch after that long or
	// that many ops; PrekeyLifetime is how long a prekey is published.
	RotateAfter    time.Duration
	RotateEvery    int
	PrekeyLifetime time.Duration

	// UploadLimit bounds the bytes per second the node serves files at,
	// over all peers (sync/blob.Limiter); 0: no bound.
	UploadLimit int64

	// CallMedia starts a call's media (media.ForCalls of package call/media
	// adapts its Sessions); nil: this node cannot take part in calls, and starting
	// or joining one fails with api.ErrNoMedia.
	CallMedia call.NewMedia
	// CallHost starts an SFU for a call this node hosts (media.ForHosts);
	// nil: it never hosts one.
	CallHost call.NewHost

	// FilePushRetry bounds the retries of a file's push to a relay that
	// cannot be reached; zero: files.DefaultRetry.
	FilePushRetry files.Retry
}

// DefaultConfig returns the configuration used when nothing is said: TCP
// and QUIC on all interfaces, mDNS on.
func DefaultConfig(home string) Config {
	return Config{
		Home:         home,
		Listen:       []string{"/ip4/0.0.0.0/tcp/0", "/ip4/0.0.0.0/udp/0/quic-v1", "/ip6/::/tcp/0", "/ip6/::/udp/0/quic-v1"},
		MDNS:         true,
		SyncInterval: 30 * time.Second,
		Now:          time.Now,
	}
}

// keyDefaults fills in unset key settings.
func (c *Config) keyDefaults() {
	if c.KeySuite == 0 {
		c.KeySuite = e2ee.X25519
	}
	if c.RotateAfter == 0 {
		c.RotateAfter = keys.DefaultRotateAfter
	}
	if c.RotateEvery == 0 {
		c.RotateEvery = keys.DefaultRotateEvery
	}
	if c.PrekeyLifetime == 0 {
		c.PrekeyLifetime = keys.DefaultPrekeyLifetime
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.Home == "" {
		return errors.New("config: Home is required")
	}
	if c.Host == nil && len(c.Listen) == 0 && len(c.Relays) == 0 {
		return errors.New("config: at least one listen address or relay is required")
	}
	if c.SyncInterval <= 0 {
		return errors.New("config: SyncInterval must be positive")
	}
	if c.Now == nil {
		return errors.New("config: Now is required")
	}
	c.keyDefaults()
	if c.KeySuite != e2ee.X25519 && c.KeySuite != e2ee.Hybrid {
		return fmt.Errorf("config: unknown KeySuite %#04x", uint16(c.KeySuite))
	}
	if c.RotateAfter < 0 || c.RotateEvery < 0 || c.PrekeyLifetime < 0 {
		return errors.New("config: rotation intervals must not be negative")
	}
	switch c.Reachability {
	case "", "private", "public":
	default:
		return fmt.Errorf("config: Reachability %q: want private, public or empty", c.Reachability)
	}
	for _, r := range c.Relays {
		if _, err := reach.ParseRelay(r); err != nil {
			return fmt.Errorf("config: relay %q: %w", r, err)
		}
	}
	return nil
}

// DefaultHome returns the platform's data directory for Umbrella:
// $XDG_DATA_HOME/umbrella or ~/.local/share/umbrella on Linux and BSD, the
// user config directory elsewhere.
func DefaultHome() (string, error) {
	switch runtime.GOOS {
	case "windows", "darwin", "ios", "android":
		dir, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("find data directory: %w", err)
		}
		return filepath.Join(dir, "Umbrella"), nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "umbrella"), nil
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find data directory: %w", err)
	}
	return filepath.Join(h, ".local", "share", "umbrella"), nil
}

// HasIdentity reports whether home holds an identity.
func HasIdentity(home string) bool { return keyfile.Exists(home) }

// Init creates a new identity with the given display name in home.
func Init(home, name string) error {
	id, err := identity.Generate(rand.Reader, name)
	if err != nil {
		return err
	}
	return keyfile.Save(home, id)
}

// LoadSelf reads the identity in home without starting a node; Addrs is empty.
func LoadSelf(home string) (api.Self, error) {
	id, err := keyfile.Load(home)
	if err != nil {
		return api.Self{}, err
	}
	return api.Self{PeerID: peerkey.ID(id).String(), Name: id.Name}, nil
}

// Node is a running Umbrella member node.
type Node struct {
	cfg Config
	// safety remembers members' safety numbers.
	safety *safety.Cache
	log    *slog.Logger
	id     *identity.Identity
	lock   *homelock.Lock
	store  store.OpStore
	rep    *replica.Replica
	host   host.Host
	gossip *gossip.Service
	mdns   interface{ Close() error }

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	events fanout.Hub // the Subscribe channels
	peers  *reach.Book
	relays *reach.Relays

	keys    *keys.Manager   // keyring, prekeys, rotations, key shares, topic secrets
	proto   protocols       // the stream protocols (protocols.go)
	pulls   *pull.Scheduler // when and whom to pull (pulls.go)
	joiner  *join.Joiner    // this node's joins (joiner.go)
	library *files.Library  // the files shared in messages (files.go)
	calls   *call.Manager   // the calls: signalling, rosters, media keys (node/calls)
	// filePush pushes the files this node shares to relays (relayfiles.go)
	filePush *files.Pusher

	profile *act.Profile        // the display name
	invites *keys.InviteSecrets // the secrets of the invite links it made

	// The parts whose API methods are Node's, embedded so that Node needs
	// no pass-through for them (facades.go says which part offers what).
	//
	// Actions are the local member's actions: posts, edits, polls, groups
	// and the admin actions.
	*act.Actions
	// views are paging, search, unread counts, read marks, mutes and the
	// team lists.
	*views
	// Directory lists the communities, their members and the contacts.
	*view.Directory
	// Founder creates communities; Inviter makes invite links.
	*act.Founder
	*act.Inviter
	// callAPI starts, joins and lists calls (node/calls).
	*callAPI
}

// Open starts a node on cfg.Home, which must hold an identity (see Init).
func Open(ctx context.Context, cfg Config) (n *Node, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	id, err := keyfile.Load(cfg.Home)
	if err != nil {
		return nil, err
	}
	lock, err := homelock.Acquire(cfg.Home)
	if err != nil {
		return nil, err
	}
	n = &Node{cfg: cfg, log: log.With("component", "node"), id: id, lock: lock}
	opened := n // the error returns below clear n
	defer func() {
		if err != nil {
			opened.Close()
		}
	}()
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.safety = safety.New()

	n.store = cfg.Store
	if n.store == nil {
		// Assigned only when it opened: a nil *DS in the interface would
		// reach Close on the error path.
		st, err := openDatabase(cfg.Home, cfg.Passphrase, n.log)
		if err != nil {
			return nil, err
		}
		n.store = st
	}
	if n.rep, err = replica.Open(ctx, n.store, log); err != nil {
		return nil, fmt.Errorf("load communities: %w", err)
	}
	releaseTablePages(n.store, log)
	if n.keys, err = keys.New(ctx, keyConfig(n)); err != nil {
		return nil, err
	}
	n.rep.SetSealer(n.keys)
	n.rep.SetClock(n.now)
	if n.views, err = newViews(n); err != nil {
		return nil, err
	}
	if n.Directory, err = view.NewDirectory(n.views, presence{n}, n.safety); err != nil {
		return nil, err
	}
	if n.Actions, err = newActions(n); err != nil {
		return nil, err
	}
	if n.profile, n.Founder, err = newFounding(n); err != nil {
		return nil, err
	}
	if n.invites, err = newInviteSecrets(n); err != nil {
		return nil, err
	}
	if n.Inviter, err = newInviter(n); err != nil {
		return nil, err
	}
	n.peers = reach.LoadBook(filepath.Join(cfg.Home, "peers.json"), n.log)
	n.relays = reach.NewRelays(reach.RelaysConfig{Configured: cfg.Relays, Book: n.peers, Logger: log,
		OnChange: func() { n.events.Emit(api.Event{Kind: api.EventPeers}) }})

	n.host = cfg.Host
	if n.host == nil {
		if n.host, err = newHost(cfg, id, n.peers.Listen(), n.relays.AddrsFactory); err != nil {
			return nil, err
		}
	}
	if n.host.ID() != peerkey.ID(id) {
		return nil, fmt.Errorf("host peer id %s is not the identity's %s", n.host.ID(), peerkey.ID(id))
	}
	n.peers.SetListen(n.host.Network().ListenAddresses())
	n.proto = newProtocols(n)
	// Before anything ingests: afterIngest rechecks calls.
	if n.calls, n.callAPI, err = calls.New(calls.Config{Self: n.selfKey(), Host: n.host, Open: n.proto.svc.Open, Replica: n.rep,
		Records: n.views, Recorder: n.Actions, Name: nameOf, Relays: fileRelays{n}.of, Media: cfg.CallMedia, SFU: cfg.CallHost,
		Now: n.now, Log: n.log, OnChange: func(cid crdt.ID) { n.events.Emit(api.Event{Kind: api.EventCalls, Community: cid}) }}); err != nil {
		return nil, err
	}
	if n.pulls, err = newPulls(n); err != nil {
		return nil, err
	}
	n.joiner = newJoiner(n)
	if n.gossip, err = newGossip(n); err != nil {
		return nil, err
	}
	n.proto.svc.Handle(p2p.SyncID, p2p.SyncHandler(n.proto.x))
	n.proto.svc.Handle(p2p.ReconcileID, p2p.ReconcileHandler(n.proto.x, n.proto.sessions))
	n.proto.svc.Handle(p2p.JoinID, p2p.JoinHandler(n.proto.x))
	if n.proto.files, err = blob.NewStore(filepath.Join(cfg.Home, "files")); err != nil {
		return nil, err
	}
	n.proto.svc.Handle(p2p.FileID, p2p.FileHandler(n.proto.files, protoHooks{n}.mayFetch, blob.NewLimiter(cfg.UploadLimit)))
	n.filePush = newFilePusher(n)
	n.library = newLibrary(n)
	n.proto.svc.Handle(calls.ID, calls.Handler(n.calls))
	n.host.Network().Notify(&network.NotifyBundle{
		ConnectedF: func(_ network.Network, c network.Conn) { n.pulls.OnConnect(c.RemotePeer()) },
		DisconnectedF: func(network.Network, network.Conn) {
			n.events.Emit(api.Event{Kind: api.EventPeers}) // the network indicator may change
		},
	})
	for _, cid := range n.rep.Communities() {
		if err := n.gossip.JoinTopics(cid); err != nil {
			return nil, err
		}
	}
	for _, cid := range n.peers.Awaited(n.now()) {
		n.rep.Expect(cid) // a join waiting for approval or cut short, from an earlier run
	}

	if cfg.MDNS {
		svc := mdns.NewMdnsService(n.host, "umbrella", mdnsNotifee{n})
		if err := svc.Start(); err != nil {
			n.log.Warn("mDNS discovery unavailable", "err", err)
		} else {
			n.mdns = svc
		}
	}
	if err := n.relays.Start(n.host); err != nil {
		return nil, err
	}
	n.keys.Start() // wraps and rotations left from an earlier run
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.views.WarmUp(n.ctx)
		// Loading and warming up are the node's peaks: the heap they left
		// free goes back to the kernel now rather than staying resident.
		debug.FreeOSMemory()
	}()
	idSub, err := n.host.EventBus().Subscribe(new(event.EvtPeerIdentificationCompleted))
	if err != nil {
		return nil, fmt.Errorf("watch identification: %w", err)
	}
	n.wg.Add(2)
	go func() {
		defer n.wg.Done()
		watchEvents(n.ctx, idSub, func(e any) { n.pulls.Identified(e.(event.EvtPeerIdentificationCompleted).Peer) })
	}()
	go func() {
		defer n.wg.Done()
		reach.Redial(n.ctx, n.host, n.peers.Known(), n.log)
	}()
	n.pulls.Start()
	n.log.Info("node started", "peer", n.host.ID(), "addrs", n.host.Addrs())
	return n, nil
}

func newHost(cfg Config, id *identity.Identity, previous []string, addrs func([]ma.Multiaddr) []ma.Multiaddr) (host.Host, error) {
	opts := []libp2p.Option{
		libp2p.Identity(peerkey.PrivKey(id)),
		libp2p.DefaultTransports,
		libp2p.DefaultMuxers,
		libp2p.DefaultSecurity,
		// Reachability: learn from peers whether we can be dialled, help
		// them learn the same, keep a relay slot while we cannot, and try to
		// turn relayed connections into direct ones by hole punching.
		libp2p.EnableNATService(),
		libp2p.EnableAutoNATv2(),
		libp2p.EnableRelay(),
		libp2p.EnableHolePunching(),
		// Circuit addresses of the relay slots this node holds (see
		// relayLoop); libp2p's AutoRelay would only announce relays with
		// public addresses, which leaves LAN and loopback relays unused.
		libp2p.AddrsFactory(addrs),
	}
	// Ask the router for a port mapping (UPnP, NAT-PMP) only when this node
	// listens beyond loopback: a loopback node has nothing to map and must
	// not talk to the LAN's gateway.
	if slices.ContainsFunc(cfg.Listen, func(a string) bool { return !isLoopback(a) }) {
		opts = append(opts, libp2p.NATPortMap())
	}
	switch cfg.Reachability {
	case "private":
		opts = append(opts, libp2p.ForceReachabilityPrivate())
	case "public":
		opts = append(opts, libp2p.ForceReachabilityPublic())
	}
	// Reuse last run's ports where the config asks for "any port", so
	// addresses in invites and peers' books stay valid across restarts.
	if addrs := reach.ReusePorts(cfg.Listen, previous); len(addrs) > 0 && reach.CheckPortsFree(addrs) == nil {
		if h, err := libp2p.New(append(opts, libp2p.ListenAddrStrings(addrs...))...); err == nil {
			return h, nil
		}
	}
	if err := reach.CheckPortsFree(cfg.Listen); err != nil {
		return nil, err
	}
	listen := libp2p.ListenAddrStrings(cfg.Listen...)
	if len(cfg.Listen) == 0 {
		listen = libp2p.NoListenAddrs // reachable only through relays
	}
	h, err := libp2p.New(append(opts, listen)...)
	if err != nil {
		return nil, fmt.Errorf("start libp2p host on %v: %w", cfg.Listen, err)
	}
	return h, nil
}

// isLoopback reports whether listen address a is on 127.0.0.0/8 or ::1.
func isLoopback(a string) bool {
	m, err := ma.NewMultiaddr(a)
	return err == nil && manet.IsIPLoopback(m)
}

// watchEvents hands each event of sub to fn until ctx ends.
func watchEvents(ctx context.Context, sub event.Subscription, fn func(any)) {
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-sub.Out():
			if !ok {
				return
			}
			fn(e)
		}
	}
}

type mdnsNotifee struct{ n *Node }

func (m mdnsNotifee) HandlePeerFound(ai peer.AddrInfo) {
	if ai.ID == m.n.host.ID() {
		return
	}
	m.n.pulls.Dial(ai)
}

// Close stops the node and releases the home directory. It is idempotent.
func (n *Node) Close() error {
	var errs []error
	n.once.Do(func() {
		if n.cancel != nil {
			n.cancel()
		}
		if n.mdns != nil {
			errs = append(errs, n.mdns.Close())
		}
		if n.calls != nil {
			errs = append(errs, n.calls.Close())
		}
		if n.host != nil {
			errs = append(errs, n.host.Close())
		}
		if n.gossip != nil {
			errs = append(errs, n.gossip.Close())
		}
		if n.relays != nil {
			errs = append(errs, n.relays.Close())
		}
		if n.keys != nil {
			n.keys.Close()
		}
		if n.pulls != nil {
			n.pulls.Close()
		}
		n.wg.Wait()
		n.events.Close()
		if n.peers != nil {
			n.peers.Save()
		}
		if n.store != nil {
			errs = append(errs, n.store.Close())
		}
		errs = append(errs, n.lock.Release())
	})
	return errors.Join(errs...)
}

// Self describes the local node.
func (n *Node) Self() api.Self {
	self := n.selfKey()
	return api.Self{PeerID: n.host.ID().String(), Name: n.profile.Name(), Addrs: n.fullAddrs(), SafetyNumber: n.safety.Numbers([]crdt.PublicKey{self})[0],
		Photo: n.profile.Photo()}
}

func (n *Node) fullAddrs() []string {
	var out []string
	for _, a := range n.host.Addrs() {
		out = append(out, a.String()+"/p2p/"+n.host.ID().String())
	}
	return out
}

// selfKey is the local member's key.
func (n *Node) selfKey() crdt.PublicKey {
	k, _ := peerkey.Key(n.host.ID())
	return k
}

func (n *Node) now() time.Time { return n.cfg.Now() }

// Calls lists a community's calls (calls.API.Calls): Node's own, as the
// embedded views have a Calls too.
func (n *Node) Calls(cid crdt.ID) ([]api.Call, error) { return n.callAPI.Calls(cid) }

var _ api.API = (*Node)(nil)
