// Package gossip is Umbrella's push path: a gossipsub adapter that carries
// new ops to the members of a community on one topic per log.
//
// A Service builds gossipsub with Umbrella's settings (no message
// signatures, content-hash ids, members-only peer filter, peer scoring),
// joins the topics of the logs this member may read (named from the
// community's topic secret, see TopicName), validates what arrives before
// it is forwarded, hands accepted ops to the local replica, publishes the
// ops this node writes, and drops peers that lost access. Ops that cite
// parents this node lacks are not forwarded; they are pulled from their
// sender, who is penalised if it cannot supply them (see flood.go).
//
// What it needs from the rest of the node it asks through the small
// interfaces below: the replica (Replica), the topic secrets (Secrets) and
// the pull protocol (Puller). It must never decide who may do what itself
// (it asks the replica, which asks crdt), never hold its lock while calling
// into gossipsub from gossipsub's own event loop, and never print.
//
// A Service owns its goroutines: New starts them, Close stops them and
// waits for them.
package gossip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"lukechampine.com/blake3"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/sync/replica"
)

// Replica is the local replica as gossip needs it.
type Replica interface {
	// Ingest checks, stores and applies an op gossip delivered (and lets
	// the node react to what it accepted).
	Ingest(ctx context.Context, op *crdt.Op) (replica.Result, error)
	// Lacks returns what op cites that community cid does not hold; it
	// fails for a community not held.
	Lacks(cid crdt.ID, op *crdt.Op) ([]crdt.ID, error)
	// Holds reports whether op id is accepted or parked.
	Holds(ctx context.Context, id crdt.ID) bool
	// Role returns k's role in community cid (RoleNone if no member).
	Role(cid crdt.ID, k crdt.PublicKey) crdt.Role
	// Readable returns the logs of cid that k may read.
	Readable(cid crdt.ID, k crdt.PublicKey) ([]crdt.ID, error)
	// Readers returns those of keys that may read log lg of cid.
	Readers(cid, lg crdt.ID, keys []crdt.PublicKey) []crdt.PublicKey
}

// Secrets gives the topic secret of a community, if this node holds it.
type Secrets interface {
	Secret(cid crdt.ID) ([]byte, bool)
}

// SecretsFunc adapts a function to Secrets.
type SecretsFunc func(cid crdt.ID) ([]byte, bool)

// Secret calls f.
func (f SecretsFunc) Secret(cid crdt.ID) ([]byte, bool) { return f(cid) }

// Puller asks other members for ops, over the pull protocol.
type Puller interface {
	// Pull pulls community cid from p in the background.
	Pull(p peer.ID, cid crdt.ID)
	// Fetch fetches the ops ids of community cid from p.
	Fetch(ctx context.Context, p peer.ID, cid crdt.ID, ids []crdt.ID) error
	// Nudge asks member k to pull cid from this node soon.
	Nudge(cid crdt.ID, k crdt.PublicKey)
}

// Config configures a Service. Host, Replica, Secrets and Puller are
// required.
type Config struct {
	Host    host.Host
	Replica Replica
	Secrets Secrets
	Puller  Puller
	// Now is the clock penalties and mesh nudges are timed by; nil means
	// time.Now.
	Now func() time.Time
	// Logger receives logs; nil discards them.
	Logger *slog.Logger
}

// Service is the gossip adapter of one node. It is safe for concurrent use.
type Service struct {
	host    host.Host
	self    peer.ID // host's
	ps      *pubsub.PubSub
	rep     Replica
	secrets Secrets
	peers   Puller
	now     func() time.Time
	log     *slog.Logger

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	mu     sync.Mutex
	topics map[string]*joinedTopic // by topic name; guarded by mu

	topicCommunity sync.Map // topic name → crdt.ID, read on gossipsub's event loop
	scores         atomic.Pointer[map[peer.ID]float64]
	evictions      atomic.Int64 // peers dropped for losing access to a topic

	meshMu    sync.Mutex
	published map[string]time.Time   // when this node last published on each topic; guarded by meshMu
	owed      map[owedNudge]struct{} // peers grafted soon after, to nudge; guarded by meshMu
	owedCh    chan struct{}          // signalled when owed grows

	penMu     sync.Mutex
	penalties map[peer.ID][]time.Time // offences; guarded by penMu

	unbacked unbackedOps // gossip ignored for missing parents, per sender (flood.go)
	passed   recentOps   // ops the validator passed lately (flood.go)
}

// joinedTopic is a gossipsub topic the service is subscribed to.
type joinedTopic struct {
	community, log crdt.ID
	topic          *pubsub.Topic
	sub            *pubsub.Subscription // nil while this member may not read the log; guarded by Service.mu
}

// New starts gossipsub on cfg.Host with Umbrella's settings. It joins no
// topic: call JoinTopics for each community.
func New(cfg Config) (*Service, error) {
	if cfg.Host == nil || cfg.Replica == nil || cfg.Secrets == nil || cfg.Puller == nil {
		return nil, errors.New("gossip: Host, Replica, Secrets and Puller are required")
	}
	s := &Service{host: cfg.Host, self: cfg.Host.ID(), rep: cfg.Replica, secrets: cfg.Secrets, peers: cfg.Puller, now: cfg.Now, log: cfg.Logger,
		topics: map[string]*joinedTopic{}, published: map[string]time.Time{}, owed: map[owedNudge]struct{}{}, owedCh: make(chan struct{}, 1),
		penalties: map[peer.ID][]time.Time{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "gossip")
	s.ctx, s.cancel = context.WithCancel(context.Background())
	opts := options(s.peerFilter, s.AppScore, func(scores map[peer.ID]float64) { s.scores.Store(&scores) })
	ps, err := pubsub.NewGossipSub(s.ctx, s.host, append(opts, pubsub.WithRawTracer(meshTracer{s}))...)
	if err != nil {
		s.cancel()
		return nil, fmt.Errorf("start gossipsub: %w", err)
	}
	s.ps = ps
	s.wg.Add(1)
	go s.nudgeLoop()
	return s, nil
}

// Close stops the service's goroutines and waits for them; gossipsub stops
// with them. It is idempotent.
func (s *Service) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.cancel() // under mu: nothing starts a goroutine after this
		s.mu.Unlock()
		s.wg.Wait()
	})
	return nil
}

// goLater runs fn in the background after wait, unless the service closes
// first.
func (s *Service) goLater(wait time.Duration, fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		fn()
	}()
}

// Gossip scoring. A correct node validates before it forwards, so an op
// that fails validation (undecodable, badly signed, oversized, for another
// log) marks its sender as broken or hostile: one such op takes a peer
// below the graylist threshold, and the penalty decays over about an hour.
// Mesh delivery counters (P3) stay off: community chatter is bursty and a
// quiet group must not look like a failing peer.
var (
	scoreThresholds = &pubsub.PeerScoreThresholds{
		GossipThreshold:             -10,
		PublishThreshold:            -50,
		GraylistThreshold:           GraylistThreshold,
		AcceptPXThreshold:           5,
		OpportunisticGraftThreshold: 2,
	}
	topicScore = &pubsub.TopicScoreParams{
		TopicWeight:                    1,
		TimeInMeshWeight:               0.01,
		TimeInMeshQuantum:              time.Second,
		TimeInMeshCap:                  300,
		FirstMessageDeliveriesWeight:   0.5,
		FirstMessageDeliveriesDecay:    pubsub.ScoreParameterDecay(10 * time.Minute),
		FirstMessageDeliveriesCap:      20,
		MeshFailurePenaltyDecay:        pubsub.ScoreParameterDecay(10 * time.Minute),
		InvalidMessageDeliveriesWeight: -100,
		InvalidMessageDeliveriesDecay:  pubsub.ScoreParameterDecay(time.Hour),
	}
)

// GraylistThreshold is the gossip score below which gossipsub ignores a
// peer's messages altogether.
const GraylistThreshold = -80

// misbehaviourPenalty is the app-specific score of a peer this node cut off
// for sending garbage on a sync stream, per offence in the last hour.
const misbehaviourPenalty = -100

// options are gossipsub's settings for Umbrella (the gossip latency
// benchmark runs them without the rest of a service).
func options(filter pubsub.PeerFilter, appScore func(peer.ID) float64, inspect pubsub.PeerScoreInspectFn) []pubsub.Option {
	loopback := []*net.IPNet{{IP: net.IPv4(127, 0, 0, 0), Mask: net.CIDRMask(8, 32)}, {IP: net.IPv6loopback, Mask: net.CIDRMask(128, 128)}}
	return []pubsub.Option{
		// Ops carry their own author signature; gossip adds none, and a
		// message's id is its content hash, so duplicates collapse.
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithMessageIdFn(func(m *pb.Message) string {
			h := blake3.Sum256(m.Data)
			return string(h[:])
		}),
		pubsub.WithMaxMessageSize(crdt.MaxOpSize + 1024),
		// Only members of a community exchange its topics: a peer that is
		// not a member (or no longer is) is never grafted, gossiped to or
		// served, even if it learnt a topic name. Flood publishing and
		// floodsub peers would bypass that filter, so both are off.
		pubsub.WithPeerFilter(filter),
		pubsub.WithFloodPublish(false),
		pubsub.WithGossipSubProtocols([]protocol.ID{pubsub.GossipSubID_v13, pubsub.GossipSubID_v12, pubsub.GossipSubID_v11}, pubsub.GossipSubDefaultFeatures),
		pubsub.WithPeerScore(&pubsub.PeerScoreParams{
			AppSpecificScore:            appScore,
			AppSpecificWeight:           1,
			IPColocationFactorWeight:    -5,
			IPColocationFactorThreshold: 20, // an office of distributors behind one NAT is normal
			IPColocationFactorWhitelist: loopback,
			BehaviourPenaltyWeight:      -10,
			BehaviourPenaltyThreshold:   6,
			BehaviourPenaltyDecay:       pubsub.ScoreParameterDecay(10 * time.Minute),
			DecayInterval:               time.Second,
			DecayToZero:                 0.01,
			RetainScore:                 time.Hour,
			TopicScoreCap:               10,
			Topics:                      map[string]*pubsub.TopicScoreParams{},
		}, scoreThresholds),
		pubsub.WithPeerScoreInspect(inspect, time.Second),
	}
}

// EvictReaders drops, after evictGrace, the connection to every peer on
// one of community cid's topics that is no longer a member (removed or
// left). The peer filter keeps such peers out of new meshes, but gossipsub
// keeps forwarding to a peer already grafted; reconnecting rebuilds the
// meshes without it.
func (s *Service) EvictReaders(cid crdt.ID) {
	s.goLater(evictGrace, func() { s.evictNow(cid) })
}

func (s *Service) evictNow(cid crdt.ID) {
	var joined []*joinedTopic
	s.mu.Lock()
	for _, jt := range s.topics {
		if jt.community == cid {
			joined = append(joined, jt)
		}
	}
	s.mu.Unlock()
	// ListPeers waits for gossipsub's event loop, which may be waiting for
	// the replica's lock in the peer filter: ask before asking the replica.
	//
	// Only peers no longer in the community are dropped. A member on a
	// group topic it may not read in this state may have joined the group
	// by an op not here yet; one that left the group reads nothing sent
	// after, which is sealed under epochs it is not given.
	evict := map[peer.ID]bool{}
	for _, jt := range joined {
		for _, p := range jt.topic.ListPeers() {
			if evict[p] {
				continue
			}
			if k, ok := peerkey.Key(p); !ok || s.rep.Role(cid, k) == crdt.RoleNone {
				evict[p] = true
			}
		}
	}
	for p := range evict {
		s.log.Info("dropping a peer that may no longer read a topic", "peer", p, "community", cid.Short())
		s.host.Network().ClosePeer(p)
		s.evictions.Add(1)
	}
}

// Evictions counts the peers dropped for losing access to a topic.
func (s *Service) Evictions() int64 { return s.evictions.Load() }

// peerFilter admits peer p to topic when p is a member of the community
// the topic belongs to. It runs on gossipsub's event loop and so must not
// take Service.mu (held around calls into gossipsub).
func (s *Service) peerFilter(p peer.ID, topic string) bool {
	cid, ok := s.topicCommunity.Load(topic)
	if !ok {
		return false
	}
	k, ok := peerkey.Key(p)
	return ok && s.rep.Role(cid.(crdt.ID), k) != crdt.RoleNone
}

// Penalise records that p sent garbage on a sync stream, or gossiped ops
// citing parents it could not supply; gossip scoring then keeps it out of
// meshes for a while.
func (s *Service) Penalise(p peer.ID) {
	s.penMu.Lock()
	defer s.penMu.Unlock()
	if len(s.penalties) >= maxPenalised {
		for q, ts := range s.penalties {
			if s.now().Sub(ts[len(ts)-1]) >= penaltyMemory {
				delete(s.penalties, q)
			}
		}
		if len(s.penalties) >= maxPenalised {
			return // gossip's own scores still apply
		}
	}
	s.penalties[p] = append(s.penalties[p], s.now())
}

// AppScore is the application-specific part of peer p's gossip score: a
// penalty per offence (see Penalise) in the last hour, else 0.
func (s *Service) AppScore(p peer.ID) float64 {
	s.penMu.Lock()
	defer s.penMu.Unlock()
	recent := s.penalties[p][:0]
	for _, t := range s.penalties[p] {
		if s.now().Sub(t) < penaltyMemory {
			recent = append(recent, t)
		}
	}
	if len(recent) == 0 {
		delete(s.penalties, p)
		return 0
	}
	s.penalties[p] = recent
	return misbehaviourPenalty * float64(len(recent))
}

// Score returns gossipsub's last computed score of peer p (0 for a peer it
// does not score).
func (s *Service) Score(p peer.ID) float64 {
	if m := s.scores.Load(); m != nil {
		return (*m)[p]
	}
	return 0
}

// TopicName derives the gossipsub topic of one log of a community from the
// community's topic secret, which only members hold: an outsider who knows
// the community id cannot name its topics.
func TopicName(secret []byte, community, log crdt.ID) string {
	h := blake3.New(32, secret)
	h.Write([]byte("umbrella/topic/v1"))
	h.Write(community[:])
	h.Write(log[:])
	return fmt.Sprintf("umbrella/1/%x", h.Sum(nil))
}

// JoinTopics subscribes to the topics of the logs of community cid this
// member may read (the control log, the announcement group, every-member
// groups and the groups it is in) and leaves the topics of groups it no
// longer may read. Without the community's topic secret it does nothing.
func (s *Service) JoinTopics(cid crdt.ID) error {
	secret, ok := s.secrets.Secret(cid)
	if !ok {
		return nil // no topics until a member hands over the secret
	}
	self, _ := peerkey.Key(s.self)
	logs, err := s.rep.Readable(cid, self)
	if err != nil {
		return err
	}
	readable := make(map[crdt.ID]bool, len(logs))
	for _, lg := range logs {
		readable[lg] = true
		if err := s.joinTopic(cid, lg, secret); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, jt := range s.topics {
		if jt.community == cid && !readable[jt.log] && jt.sub != nil {
			jt.sub.Cancel() // its reader ends; the topic handle stays for a return
			jt.sub = nil
		}
	}
	return nil
}

func (s *Service) joinTopic(cid, lg crdt.ID, secret []byte) error {
	name := TopicName(secret, cid, lg)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		return nil
	}
	jt := s.topics[name]
	if jt == nil {
		s.topicCommunity.Store(name, cid)
		if err := s.ps.RegisterTopicValidator(name, s.Validator(cid, lg)); err != nil {
			return fmt.Errorf("register validator: %w", err)
		}
		t, err := s.ps.Join(name)
		if err != nil {
			return fmt.Errorf("join topic: %w", err)
		}
		if err := t.SetScoreParams(topicScore); err != nil {
			return fmt.Errorf("topic score: %w", err)
		}
		jt = &joinedTopic{community: cid, log: lg, topic: t}
		s.topics[name] = jt
	}
	if jt.sub != nil {
		return nil
	}
	sub, err := jt.topic.Subscribe()
	if err != nil {
		return fmt.Errorf("subscribe topic: %w", err)
	}
	jt.sub = sub
	s.wg.Add(1)
	go s.readTopic(jt, sub)
	return nil
}

// Topic returns the joined topic of that name, or nil.
func (s *Service) Topic(name string) *pubsub.Topic {
	s.mu.Lock()
	defer s.mu.Unlock()
	if jt := s.topics[name]; jt != nil {
		return jt.topic
	}
	return nil
}

// PubSub returns the gossipsub router (tests play hostile nodes with it).
func (s *Service) PubSub() *pubsub.PubSub { return s.ps }

// Validator returns the topic validator of log lg of community cid. It
// rejects, before forwarding, what is undecodable, badly signed, oversized
// or for another log; gossipsub then penalises the sender. An op citing
// parents, deps or a target this node does not hold is ignored — neither
// forwarded nor delivered — and pulled from the sender with what it cites
// (see flood.go).
func (s *Service) Validator(cid, lg crdt.ID) pubsub.ValidatorEx {
	return func(_ context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
		op, err := crdt.DecodeOp(m.Data)
		if err != nil {
			s.log.Debug("reject op", "from", from, "err", err)
			return pubsub.ValidationReject
		}
		if op.CommunityID() != cid || op.Log != lg {
			s.log.Debug("reject op for another log", "from", from)
			return pubsub.ValidationReject
		}
		if missing, known := s.unheld(cid, op); !known || len(missing) > 0 {
			if known {
				s.keepUnbacked(from, op)
				s.ignoreUnbacked(from, cid, missing)
			}
			return pubsub.ValidationIgnore
		}
		s.passed.add(op.ID())
		m.ValidatorData = op
		return pubsub.ValidationAccept
	}
}

func (s *Service) readTopic(jt *joinedTopic, sub *pubsub.Subscription) {
	defer s.wg.Done()
	defer sub.Cancel()
	for {
		m, err := sub.Next(s.ctx)
		if err != nil {
			return
		}
		if m.ReceivedFrom == s.self {
			continue
		}
		op, ok := m.ValidatorData.(*crdt.Op)
		if !ok {
			continue
		}
		res, err := s.rep.Ingest(s.ctx, op)
		if err != nil {
			s.log.Debug("op refused", "from", m.ReceivedFrom, "op", op.ID().Short(), "err", err)
			continue
		}
		if res.Outcome == replica.Parked {
			s.peers.Pull(m.ReceivedFrom, jt.community)
		}
	}
}

// Publish sends an op this node holds to its log's topic. Without the
// community's secret, or off the topic (a joiner's first ops, written
// before it has the secret), gossip cannot carry it: every connected
// reader of the log is nudged to pull it instead, or it would spread only
// when a periodic pull happened to pick this node.
func (s *Service) Publish(op *crdt.Op) {
	cid := op.CommunityID()
	var jt *joinedTopic
	if secret, ok := s.secrets.Secret(cid); ok {
		name := TopicName(secret, cid, op.Log)
		s.mu.Lock()
		jt = s.topics[name]
		s.mu.Unlock()
		if jt != nil {
			s.notePublished(name)
		}
	}
	// Readers that gossip may not reach (see mesh.go): those not on the
	// topic are nudged now, those grafted into its mesh in the next
	// meshWindow when they are.
	on := map[peer.ID]bool{}
	if jt != nil {
		for _, p := range jt.topic.ListPeers() {
			on[p] = true
		}
	}
	var keys []crdt.PublicKey
	for _, p := range s.host.Network().Peers() {
		if k, ok := peerkey.Key(p); ok && !on[p] {
			keys = append(keys, k)
		}
	}
	for _, k := range s.rep.Readers(cid, op.Log, keys) {
		s.peers.Nudge(cid, k)
	}
	if jt == nil {
		return
	}
	if err := jt.topic.Publish(s.ctx, op.Bytes()); err != nil && !errors.Is(err, context.Canceled) {
		s.log.Debug("publish failed", "op", op.ID().Short(), "err", err)
	}
}
