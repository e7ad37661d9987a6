// Package pull decides when and from whom this node pulls: a pull of a
// community from a member when it connects, when gossip or the key manager
// asks, when a member nudges; a periodic pull from a random connected
// member; dialling remembered members after a network split; pulls from
// former members, read-only and rate-limited (see former.go); and what
// follows a successful pull (keys, the topic secret, member addresses,
// finishing a join that waited for approval).
//
// How a pull runs (reconciliation, fetching, checking) is package
// sync/exchange's; how it travels is the Transport the Scheduler is given
// (package sync/p2p in the node). The Scheduler reads community state only
// through the Replica interface it declares and reaches the host only
// through Network: it starts no libp2p host and is tested with fakes.
package pull

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/sync/exchange"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// Transport runs pulls and requests with a peer (the node's sync/p2p
// service over sync/exchange). An error wrapping exchange.ErrBadPeer has
// already had the peer penalised.
type Transport interface {
	// Pull brings community cid up to date with p, counting the ops it
	// receives into rc (see exchange.Server.Pull).
	Pull(ctx context.Context, p peer.ID, cid crdt.ID, rc *exchange.Progress) (exchange.Stats, error)
	// PullControl pulls control ops only from former member p (see
	// exchange.Server.PullControl).
	PullControl(ctx context.Context, p peer.ID, cid crdt.ID) error
	// Request sends one sync request to p and returns its response.
	Request(ctx context.Context, p peer.ID, req *wire.Request) (*wire.Response, error)
}

// Network is the host as the scheduler sees it.
type Network interface {
	// Peers lists the peers connected now.
	Peers() []peer.ID
	// Connected reports whether p is connected now.
	Connected(p peer.ID) bool
	// Connect dials ai.
	Connect(ctx context.Context, ai peer.AddrInfo) error
	// PeerInfo is what the host knows of p's addresses.
	PeerInfo(p peer.ID) peer.AddrInfo
	// AddAddrs notes addresses of p for ttl.
	AddAddrs(p peer.ID, addrs []ma.Multiaddr, ttl time.Duration)
}

// Replica is what the scheduler reads of the communities this node holds
// (sync/replica's Replica is one).
type Replica interface {
	// Communities lists the held communities.
	Communities() []crdt.ID
	// Role is member k's role in community cid (RoleNone for others).
	Role(cid crdt.ID, k crdt.PublicKey) crdt.Role
	// Departure says how k went from community cid, or is nil.
	Departure(cid crdt.ID, k crdt.PublicKey) *crdt.Departure
	// ExpirePending drops parked ops that waited too long and returns
	// how many.
	ExpirePending(ctx context.Context) (int, error)
	// Expect lets the replica take the genesis of community cid, which
	// this node waits to hold.
	Expect(cid crdt.ID)
	// Arrived reports whether member k published a prekey in cid.
	Arrived(cid crdt.ID, k crdt.PublicKey) bool
}

// Book remembers peers and the joins this node waits on (reach.Book is
// one).
type Book interface {
	// Known lists the remembered peers.
	Known() []peer.AddrInfo
	// Remember notes a member's addresses.
	Remember(ai peer.AddrInfo)
	// Awaited lists the communities this node waits to hold.
	Awaited(now time.Time) []crdt.ID
	// Pending lists the joins waiting for approval.
	Pending() []crdt.ID
	// SetPending marks or clears a join waiting for approval.
	SetPending(cid crdt.ID, on bool)
	// SetJoining marks or clears a join under way.
	SetJoining(cid crdt.ID, on bool, now time.Time)
}

// Keys gets group keys and topic secrets from members (keys.Manager is
// one).
type Keys interface {
	// EnsureKeys asks p for the keys of cid this node lacks.
	EnsureKeys(ctx context.Context, p peer.ID, cid crdt.ID) bool
	// Secret returns community cid's topic secret, if held.
	Secret(cid crdt.ID) ([]byte, bool)
	// FetchSecret asks p for community cid's topic secret.
	FetchSecret(ctx context.Context, p peer.ID, cid crdt.ID) error
	// Tick publishes a new prekey and runs the rotations whose turn came.
	Tick()
}

// Gossip is the gossip service as pulls affect it (gossip.Service is one).
type Gossip interface {
	// JudgeUnbacked runs after a pull of cid from p.
	JudgeUnbacked(ctx context.Context, p peer.ID, cid crdt.ID, pulled error)
	// JoinTopics subscribes to the topics of cid this member may read.
	JoinTopics(cid crdt.ID) error
}

// Local is the rest of the node as the scheduler needs it.
type Local interface {
	// Community summarises community cid for the local member.
	Community(cid crdt.ID) (api.Community, error)
	// Joining reports whether a Join call is pulling cid by itself.
	Joining(cid crdt.ID) bool
	// Emit tells subscribers what changed.
	Emit(e api.Event)
}

// Requests asks again this node's requests to join that wait for an
// admin (sync/join's Joiner is one).
type Requests interface {
	// AskAgain presents the request to join cid again and reports
	// whether it learnt that an admin declined it.
	AskAgain(ctx context.Context, cid crdt.ID) (declined bool)
}

// Config is what a Scheduler needs; every field but Log and Requests is
// required.
type Config struct {
	// Self is the local peer.
	Self peer.ID
	// Interval is the time between periodic pulls, and the least time
	// between two pulls from one former member.
	Interval time.Duration
	// Now is the wall clock.
	Now       func() time.Time
	Log       *slog.Logger
	Transport Transport
	Network   Network
	Replica   Replica
	Book      Book
	Keys      Keys
	Gossip    Gossip
	Local     Local
	// Requests, if set, is asked every Interval to ask again the
	// requests to join that wait: a requester holds nothing of the
	// community, so its pulls are refused and it learns of a denial only
	// by asking.
	Requests Requests
}

// Validate checks that the required parts are there.
func (c Config) Validate() error {
	switch {
	case c.Self == "":
		return errors.New("pull config: Self is required")
	case c.Interval <= 0:
		return errors.New("pull config: Interval must be positive")
	case c.Now == nil:
		return errors.New("pull config: Now is required")
	case c.Transport == nil || c.Network == nil || c.Replica == nil || c.Book == nil ||
		c.Keys == nil || c.Gossip == nil || c.Local == nil:
		return errors.New("pull config: Transport, Network, Replica, Book, Keys, Gossip and Local are required")
	}
	return nil
}

// Scheduler runs this node's pulls. It owns every goroutine it starts:
// Close cancels them and waits for them.
type Scheduler struct {
	cfg    Config
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
	former formerPulls
	adds   addWaits

	mu       sync.Mutex
	syncing  map[peer.ID]crdt.ID       // pulls under way, by peer; guarded by mu
	next     map[peer.ID][]crdt.ID     // pulls asked for while one from the peer ran, to run next; guarded by mu
	later    map[laterKey]bool         // pulls deferred by pullLater; guarded by mu
	asking   map[crdt.ID]bool          // requests to join being asked again; guarded by mu
	lastSync map[crdt.ID]api.SyncStats // guarded by mu
	relays   map[laterKey]RelayStatus  // pushes to relays, by relay and community; guarded by mu
	pushing  map[laterKey]bool         // nudges to relays in flight (true: another asked for); guarded by mu
	wrote    map[crdt.ID]uint64        // this node's writes to each community (PushToRelays calls); guarded by mu
}

type laterKey struct {
	p   peer.ID
	cid crdt.ID
}

// New returns a scheduler whose goroutines end when ctx ends or Close is
// called. Start starts its periodic pulls.
func New(ctx context.Context, cfg Config) (*Scheduler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{cfg: cfg, log: log.With("component", "pull"),
		syncing: map[peer.ID]crdt.ID{}, next: map[peer.ID][]crdt.ID{}, later: map[laterKey]bool{}, asking: map[crdt.ID]bool{},
		lastSync: map[crdt.ID]api.SyncStats{}, relays: map[laterKey]RelayStatus{}, pushing: map[laterKey]bool{}, wrote: map[crdt.ID]uint64{}}
	s.ctx, s.cancel = context.WithCancel(ctx)
	return s, nil
}

// Start starts the periodic pulls (see loop), and a first sync with
// every community's relays.
func (s *Scheduler) Start() {
	s.mu.Lock()
	if s.ctx.Err() == nil {
		s.wg.Add(1)
		go s.loop()
	}
	s.mu.Unlock()
	s.goTracked(func() {
		for _, cid := range s.cfg.Replica.Communities() {
			s.syncRelays(cid)
		}
	})
}

// Close stops every pull and waits for them. It is idempotent.
func (s *Scheduler) Close() {
	s.once.Do(func() {
		s.mu.Lock()
		s.cancel() // under mu: goroutines are added under mu after a check of ctx
		s.mu.Unlock()
	})
	s.wg.Wait()
}

// goTracked runs fn on a goroutine Close waits for, unless the scheduler
// is closed.
func (s *Scheduler) goTracked(fn func()) {
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		fn()
	}()
}

// after runs fn in the background after wait, unless the scheduler closes
// first.
func (s *Scheduler) after(wait time.Duration, fn func()) {
	s.goTracked(func() {
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(wait):
		}
		fn()
	})
}

// IsMember reports whether peer p is a member of community cid.
func (s *Scheduler) IsMember(cid crdt.ID, p peer.ID) bool {
	k, ok := peerkey.Key(p)
	return ok && s.cfg.Replica.Role(cid, k) != crdt.RoleNone
}

// Members lists the connected members of community cid.
func (s *Scheduler) Members(cid crdt.ID) []peer.ID {
	var members []peer.ID
	for _, p := range s.cfg.Network.Peers() {
		if s.IsMember(cid, p) {
			members = append(members, p)
		}
	}
	return members
}

// PullNow brings community cid up to date with peer p, counting the ops it
// receives into rc, and notes the pull for LastSync when it succeeds.
func (s *Scheduler) PullNow(ctx context.Context, p peer.ID, cid crdt.ID, rc *exchange.Progress) error {
	at := s.cfg.Now()
	st, err := s.cfg.Transport.Pull(ctx, p, cid, rc)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.lastSync[cid] = api.SyncStats{Peer: p.String(), At: at, Sessions: st.Sessions, RoundTrips: st.RoundTrips, Missing: st.Missing}
	s.mu.Unlock()
	return nil
}

// LastSync returns the last pull completed for community cid, if any.
func (s *Scheduler) LastSync(cid crdt.ID) (api.SyncStats, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.lastSync[cid]
	return st, ok
}

// Syncing returns the communities being pulled now, by the peers they are
// pulled from.
func (s *Scheduler) Syncing() map[peer.ID]crdt.ID {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[peer.ID]crdt.ID, len(s.syncing))
	for p, cid := range s.syncing {
		out[p] = cid
	}
	return out
}

// Pull pulls cid from p in the background. One pull from a peer runs at
// a time; one asked for while it runs runs after it (once, however often
// it was asked): the running pull may have reconciled before what the
// caller heard of (a nudge, a parked op) existed.
func (s *Scheduler) Pull(p peer.ID, cid crdt.ID) {
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		return
	}
	if _, busy := s.syncing[p]; busy {
		if !slices.Contains(s.next[p], cid) {
			s.next[p] = append(s.next[p], cid)
		}
		s.mu.Unlock()
		return
	}
	s.syncing[p] = cid
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		for {
			s.cfg.Local.Emit(api.Event{Kind: api.EventPeers, Community: cid}) // syncing
			s.pullFrom(p, cid)
			s.cfg.Local.Emit(api.Event{Kind: api.EventPeers, Community: cid})
			s.mu.Lock()
			next := s.next[p]
			if len(next) == 0 || s.ctx.Err() != nil {
				delete(s.syncing, p)
				delete(s.next, p)
				s.mu.Unlock()
				return
			}
			cid, s.next[p] = next[0], next[1:]
			s.syncing[p] = cid
			s.mu.Unlock()
		}
	}()
}

// pullFrom is one pull of Pull, with what follows a successful one.
func (s *Scheduler) pullFrom(p peer.ID, cid crdt.ID) {
	if s.isRelay(cid, p) {
		s.pullFromRelay(p, cid)
		return
	}
	if s.isFormer(cid, p) {
		s.pullFromFormer(p, cid)
		return
	}
	s.cfg.Keys.EnsureKeys(s.ctx, p, cid) // so what the pull brings opens at once
	if err := s.PullNow(s.ctx, p, cid, nil); err != nil {
		s.log.Debug("pull failed", "peer", p, "community", cid.Short(), "err", err)
		s.cfg.Gossip.JudgeUnbacked(s.ctx, p, cid, err)
		return
	}
	s.cfg.Gossip.JudgeUnbacked(s.ctx, p, cid, nil)
	s.cfg.Keys.EnsureKeys(s.ctx, p, cid)           // groups the pull let this node into
	s.cfg.Book.Remember(s.cfg.Network.PeerInfo(p)) // a member: worth finding again
	s.finishPendingJoin(cid)
	s.ensureSecret(p, cid)
	s.exchangePeers(p, cid)
}

// OnConnect pulls every community the new peer is a member of and
// remembers its addresses; from a former member it pulls what it wrote
// before it went (see former.go).
func (s *Scheduler) OnConnect(p peer.ID) {
	for _, cid := range s.cfg.Replica.Communities() {
		switch {
		case s.IsMember(cid, p):
			s.cfg.Book.Remember(s.cfg.Network.PeerInfo(p))
			s.Pull(p, cid)
			s.nudgeNewcomer(p, cid) // added.go
		case s.isFormer(cid, p):
			s.PullFormer(p, cid)
		case s.isRelay(cid, p):
			s.Pull(p, cid)
		}
	}
	// Anyone connected may be a member of a community we wait to enter.
	for _, cid := range s.awaited() {
		s.Pull(p, cid)
	}
	s.cfg.Local.Emit(api.Event{Kind: api.EventPeers})
}

// Identified remembers a member's addresses once the host has learnt
// them: a member that connected in (a joiner, say) has none before that,
// and would otherwise be forgotten if this node restarts before its next
// sync with it.
func (s *Scheduler) Identified(p peer.ID) {
	for _, cid := range s.cfg.Replica.Communities() {
		if s.IsMember(cid, p) {
			s.cfg.Book.Remember(s.cfg.Network.PeerInfo(p))
			return
		}
	}
}

// loop, every Interval and for each community, pulls from a random
// connected member and from every relay (relays.go), dials a random remembered member it is not connected
// to (which pulls on connect, so that after a network split a node does not
// keep syncing with its own side only), and redials remembered members if
// it is connected to too few. So what gossip missed still arrives, and a
// member who was away is found again. It also drops parked ops that waited
// longer than the store allows for what they cite.
func (s *Scheduler) loop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		s.tick()
	}
}

// tick is one round of loop.
func (s *Scheduler) tick() {
	known := s.cfg.Book.Known()
	peers := s.cfg.Network.Peers()
	for _, cid := range s.cfg.Replica.Communities() {
		s.meetMembers(cid, known)
		var connected []peer.ID
		var away []peer.AddrInfo
		for _, p := range peers {
			if s.IsMember(cid, p) {
				connected = append(connected, p)
			}
		}
		for _, ai := range known {
			if ai.ID != s.cfg.Self && !s.cfg.Network.Connected(ai.ID) && s.IsMember(cid, ai.ID) {
				away = append(away, ai)
			}
		}
		if len(connected) > 0 {
			s.Pull(connected[rand.IntN(len(connected))], cid)
		}
		if len(away) > 0 {
			s.Dial(away[rand.IntN(len(away))]) // OnConnect pulls
		}
		s.syncRelays(cid)
	}
	for _, cid := range s.awaited() {
		if len(peers) > 0 {
			s.Pull(peers[rand.IntN(len(peers))], cid)
		}
	}
	s.askAgain()
	s.cfg.Keys.Tick() // a new prekey, rotations whose turn came
	if k, err := s.cfg.Replica.ExpirePending(s.ctx); err != nil {
		s.log.Warn("expire parked ops", "err", err)
	} else if k > 0 {
		s.log.Debug("expired parked ops whose parents never came", "ops", k)
	}
}

// askAgain asks again, in the background, each request to join that
// waits for an admin and that no Join call is making now, and tells
// subscribers of a denial.
func (s *Scheduler) askAgain() {
	if s.cfg.Requests == nil {
		return
	}
	for _, cid := range s.cfg.Book.Pending() {
		if s.cfg.Local.Joining(cid) {
			continue
		}
		s.mu.Lock()
		busy := s.asking[cid] // the last round's asking is still under way
		s.asking[cid] = true
		s.mu.Unlock()
		if busy {
			continue
		}
		s.goTracked(func() {
			defer s.doneAsking(cid)
			if s.cfg.Requests.AskAgain(s.ctx, cid) {
				s.cfg.Local.Emit(api.Event{Kind: api.EventCommunities, Community: cid})
			}
		})
	}
}

func (s *Scheduler) doneAsking(cid crdt.ID) {
	s.mu.Lock()
	delete(s.asking, cid)
	s.mu.Unlock()
}

// Dial connects to a peer in the background.
func (s *Scheduler) Dial(ai peer.AddrInfo) {
	s.goTracked(func() {
		ctx, cancel := context.WithTimeout(s.ctx, dialTimeout)
		defer cancel()
		if err := s.cfg.Network.Connect(ctx, ai); err != nil {
			s.log.Debug("dial failed", "peer", ai.ID, "err", err)
		}
	})
}

// ensureSecret asks p for community cid's topic secret if this node is a
// member without it.
func (s *Scheduler) ensureSecret(p peer.ID, cid crdt.ID) {
	if _, ok := s.cfg.Keys.Secret(cid); ok {
		return
	}
	if c, err := s.cfg.Local.Community(cid); err != nil || c.Role == crdt.RoleNone.String() || c.Role == api.RoleRequested {
		return
	}
	if err := s.cfg.Keys.FetchSecret(s.ctx, p, cid); err != nil {
		s.log.Debug("topic secret", "peer", p, "community", cid.Short(), "err", err)
	}
}

// Nudge tells peer k to pull cid from this node now rather than at its
// next periodic sync: its request to join was just approved, or this node
// wrote an op that gossip could not carry yet.
func (s *Scheduler) Nudge(cid crdt.ID, k crdt.PublicKey) {
	p, err := peerkey.FromPublicKey(k[:])
	if err != nil || !s.cfg.Network.Connected(p) {
		return
	}
	s.goTracked(func() {
		if _, err := s.cfg.Transport.Request(s.ctx, p, &wire.Request{Kind: wire.KindNudge, Community: cid[:]}); err != nil {
			s.log.Debug("nudge failed", "peer", p, "err", err)
		}
	})
}

// Nudged heeds member k's nudges at most once per NudgeInterval, so
// nudging cannot keep this node reconciling; one that comes sooner is
// heeded when the interval ends (what it announces must not wait for the
// next periodic sync). A former member's nudge makes this node pull what
// it wrote before it went.
func (s *Scheduler) Nudged(cid crdt.ID, k crdt.PublicKey) {
	from, err := peerkey.FromPublicKey(k[:])
	if err != nil || from == "" {
		return
	}
	now := s.cfg.Now()
	last, _ := s.LastSync(cid)
	recent := last.Peer == from.String() && now.Sub(last.At) < NudgeInterval
	member := s.cfg.Replica.Role(cid, k) != crdt.RoleNone && s.IsMember(cid, s.cfg.Self)
	switch {
	case slices.Contains(s.awaited(), cid) || !recent && member:
		s.Pull(from, cid)
	case member:
		s.pullLater(from, cid, last.At.Add(NudgeInterval).Sub(now))
	case s.cfg.Replica.Departure(cid, k) != nil:
		s.PullFormer(from, cid) // what it wrote before it went counts
	case !s.holds(cid):
		s.maybeAdded(cid, from, k) // added.go
	}
}

// pullLater pulls cid from p after wait, once however often it is asked
// meanwhile.
func (s *Scheduler) pullLater(p peer.ID, cid crdt.ID, wait time.Duration) {
	key := laterKey{p, cid}
	s.mu.Lock()
	if s.later[key] || s.ctx.Err() != nil {
		s.mu.Unlock()
		return
	}
	s.later[key] = true
	s.mu.Unlock()
	s.after(wait, func() {
		s.mu.Lock()
		delete(s.later, key)
		s.mu.Unlock()
		s.Pull(p, cid)
	})
}

// awaited returns the communities this node waits to hold (see
// reach.Book.Awaited) and pulls by itself: not those a Join call under way
// is pulling.
func (s *Scheduler) awaited() []crdt.ID {
	return slices.DeleteFunc(s.cfg.Book.Awaited(s.cfg.Now()), s.cfg.Local.Joining)
}

// finishPendingJoin completes a join that waited for approval, or one cut
// short after its admission, once a pull shows this node is a member.
func (s *Scheduler) finishPendingJoin(cid crdt.ID) {
	if !slices.Contains(s.awaited(), cid) {
		return
	}
	c, err := s.cfg.Local.Community(cid)
	if err != nil || c.Role == crdt.RoleNone.String() {
		return
	}
	approved := slices.Contains(s.cfg.Book.Pending(), cid)
	s.cfg.Book.SetPending(cid, false)
	s.cfg.Book.SetJoining(cid, false, s.cfg.Now())
	if err := s.cfg.Gossip.JoinTopics(cid); err != nil {
		s.log.Warn("join topics", "community", cid.Short(), "err", err)
	}
	if approved {
		s.log.Info("join approved", "community", cid.Short())
	} else {
		s.log.Info("join resumed and complete", "community", cid.Short())
	}
	s.cfg.Local.Emit(api.Event{Kind: api.EventCommunities, Community: cid})
	// Added by a member: the nudge that made this node wait (addWaits,
	// in memory), or, after a restart between the nudge and the pull,
	// the control log itself (Community.AddedBy). The join in flight is
	// in the persisted book and ends here, once: so the notification
	// survives a restart and is never shown twice.
	if s.tookAdd(cid) || c.AddedBy != "" {
		s.log.Info("added to a community by a member", "community", cid.Short())
		s.emitAdded(cid)
	}
}
