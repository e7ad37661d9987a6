package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"lukechampine.com/blake3"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/replica"
)

// joinedTopic is a gossipsub topic the node is subscribed to.
type joinedTopic struct {
	community, log crdt.ID
	topic          *pubsub.Topic
	sub            *pubsub.Subscription // nil while this member may not read the log; guarded by Node.mu
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
		GraylistThreshold:           -80,
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

// misbehaviourPenalty is the app-specific score of a peer this node cut off
// for sending garbage on a sync stream, per offence in the last hour.
const misbehaviourPenalty = -100

func (n *Node) newPubSub() (*pubsub.PubSub, error) {
	opts := gossipOptions(n.gossipPeerFilter, n.appScore, func(scores map[peer.ID]float64) {
		n.scores.Store(&scores)
	})
	return pubsub.NewGossipSub(n.ctx, n.host, append(opts, pubsub.WithRawTracer(meshTracer{n}))...)
}

// gossipOptions are gossipsub's settings for Umbrella (the gossip latency
// benchmark runs them without the rest of a node).
func gossipOptions(filter pubsub.PeerFilter, appScore func(peer.ID) float64, inspect pubsub.PeerScoreInspectFn) []pubsub.Option {
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

// evictGrace is how long a peer that lost access to a topic stays
// connected: long enough for the op that took the access away (its
// removal) to reach it by gossip, as it may no longer pull.
const evictGrace = 2 * time.Second

// evictReaders drops, after evictGrace, the connection to every peer on one
// of community cid's topics that is no longer a member (removed or left).
// The peer filter keeps such peers out of new meshes, but gossipsub keeps
// forwarding to a peer already grafted; reconnecting rebuilds the meshes
// without it.
func (n *Node) evictReaders(cid crdt.ID) {
	n.after(evictGrace, func() { n.evictNow(cid) })
}

// after runs fn in the background after wait, unless the node closes first.
func (n *Node) after(wait time.Duration, fn func()) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(wait):
		}
		fn()
	}()
}

func (n *Node) evictNow(cid crdt.ID) {
	var joined []*joinedTopic
	n.mu.Lock()
	for _, jt := range n.topics {
		if jt.community == cid {
			joined = append(joined, jt)
		}
	}
	n.mu.Unlock()
	// ListPeers waits for gossipsub's event loop, which may be waiting for
	// the replica's lock in the peer filter: ask before taking it.
	on := make([][]peer.ID, len(joined))
	for i, jt := range joined {
		on[i] = jt.topic.ListPeers()
	}
	evict := map[peer.ID]bool{}
	_ = n.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		// Only peers no longer in the community are dropped. A member on a
		// group topic it may not read in this state may have joined the
		// group by an op not here yet; one that left the group reads
		// nothing sent after, which is sealed under epochs it is not given.
		for i := range joined {
			for _, p := range on[i] {
				if k, ok := keyOf(p); !ok || st.Role(k) == crdt.RoleNone {
					evict[p] = true
				}
			}
		}
		return nil
	})
	for p := range evict {
		n.log.Info("dropping a peer that may no longer read a topic", "peer", p, "community", cid.Short())
		n.host.Network().ClosePeer(p)
		n.evictions.Add(1)
	}
}

// gossipPeerFilter admits peer p to topic when p is a member of the
// community the topic belongs to. It runs on gossipsub's event loop and so
// must not take Node.mu (held around calls into gossipsub).
func (n *Node) gossipPeerFilter(p peer.ID, topic string) bool {
	cid, ok := n.topicCommunity.Load(topic)
	return ok && n.isMember(cid.(crdt.ID), p)
}

// penalise records that p sent garbage on a sync stream, or gossiped ops
// citing parents it could not supply; gossip scoring then keeps it out of
// meshes for a while.
func (n *Node) penalise(p peer.ID) {
	n.penMu.Lock()
	defer n.penMu.Unlock()
	if len(n.penalties) >= maxPenalised {
		for q, ts := range n.penalties {
			if n.now().Sub(ts[len(ts)-1]) >= time.Hour {
				delete(n.penalties, q)
			}
		}
		if len(n.penalties) >= maxPenalised {
			return // gossip's own scores still apply
		}
	}
	n.penalties[p] = append(n.penalties[p], n.now())
}

// maxPenalised bounds the peers remembered for misbehaving.
const maxPenalised = 4096

func (n *Node) appScore(p peer.ID) float64 {
	n.penMu.Lock()
	defer n.penMu.Unlock()
	recent := n.penalties[p][:0]
	for _, t := range n.penalties[p] {
		if n.now().Sub(t) < time.Hour {
			recent = append(recent, t)
		}
	}
	if len(recent) == 0 {
		delete(n.penalties, p)
		return 0
	}
	n.penalties[p] = recent
	return misbehaviourPenalty * float64(len(recent))
}

// GossipScore returns gossipsub's last computed score of peer p (0 for a
// peer it does not score).
func (n *Node) GossipScore(p peer.ID) float64 {
	if m := n.scores.Load(); m != nil {
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

// joinTopics subscribes to the topics of the logs of community cid this
// member may read (the control log, the announcement group, every-member
// groups and the groups it is in) and leaves the topics of groups it no
// longer may read.
func (n *Node) joinTopics(cid crdt.ID) error {
	secret, ok := n.keys.Secret(cid)
	if !ok {
		return nil // no topics until a member hands over the secret
	}
	self, _ := keyOf(n.host.ID())
	logs := []crdt.ID{crdt.ZeroID}
	readable := map[crdt.ID]bool{crdt.ZeroID: true}
	err := n.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		for gid := range st.Groups {
			if st.MayRead(self, gid) {
				logs = append(logs, gid)
				readable[gid] = true
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, lg := range logs {
		if err := n.joinTopic(cid, lg, secret); err != nil {
			return err
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, jt := range n.topics {
		if jt.community == cid && !readable[jt.log] && jt.sub != nil {
			jt.sub.Cancel() // its reader ends; the topic handle stays for a return
			jt.sub = nil
		}
	}
	return nil
}

func (n *Node) joinTopic(cid, lg crdt.ID, secret []byte) error {
	name := TopicName(secret, cid, lg)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ctx.Err() != nil {
		return nil
	}
	jt := n.topics[name]
	if jt == nil {
		n.topicCommunity.Store(name, cid)
		if err := n.ps.RegisterTopicValidator(name, n.validator(cid, lg)); err != nil {
			return fmt.Errorf("register validator: %w", err)
		}
		t, err := n.ps.Join(name)
		if err != nil {
			return fmt.Errorf("join topic: %w", err)
		}
		if err := t.SetScoreParams(topicScore); err != nil {
			return fmt.Errorf("topic score: %w", err)
		}
		jt = &joinedTopic{community: cid, log: lg, topic: t}
		n.topics[name] = jt
	}
	if jt.sub != nil {
		return nil
	}
	sub, err := jt.topic.Subscribe()
	if err != nil {
		return fmt.Errorf("subscribe topic: %w", err)
	}
	jt.sub = sub
	n.wg.Add(1)
	go n.readTopic(jt, sub)
	return nil
}

// validator rejects, before forwarding, what is undecodable, badly signed,
// oversized or for another log; gossipsub then penalises the sender. An op
// citing parents, deps or a target this node does not hold is ignored —
// neither forwarded nor delivered — and pulled from the sender with what it
// cites (see flood.go).
func (n *Node) validator(cid, lg crdt.ID) func(context.Context, peer.ID, *pubsub.Message) pubsub.ValidationResult {
	return func(_ context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
		op, err := crdt.DecodeOp(m.Data)
		if err != nil {
			n.log.Debug("gossip: reject op", "from", from, "err", err)
			return pubsub.ValidationReject
		}
		if op.CommunityID() != cid || op.Log != lg {
			n.log.Debug("gossip: reject op for another log", "from", from)
			return pubsub.ValidationReject
		}
		if missing, known := n.unheld(cid, op); !known || len(missing) > 0 {
			if known {
				n.keepUnbacked(from, op)
				n.ignoreUnbacked(from, cid, missing)
			}
			return pubsub.ValidationIgnore
		}
		n.passed.add(op.ID())
		m.ValidatorData = op
		return pubsub.ValidationAccept
	}
}

func (n *Node) readTopic(jt *joinedTopic, sub *pubsub.Subscription) {
	defer n.wg.Done()
	defer sub.Cancel()
	for {
		m, err := sub.Next(n.ctx)
		if err != nil {
			return
		}
		if m.ReceivedFrom == n.host.ID() {
			continue
		}
		op, ok := m.ValidatorData.(*crdt.Op)
		if !ok {
			continue
		}
		res, err := n.rep.Ingest(n.ctx, op)
		if err != nil {
			n.log.Debug("gossip: op refused", "from", m.ReceivedFrom, "op", op.ID().Short(), "err", err)
			continue
		}
		n.afterIngest(res)
		if res.Outcome == replica.Parked {
			n.goPull(m.ReceivedFrom, jt.community)
		}
	}
}

// publish sends an op to its log's topic.
func (n *Node) publish(op *crdt.Op) {
	secret, ok := n.keys.Secret(op.CommunityID())
	if !ok {
		return // peers get it by pulling
	}
	name := TopicName(secret, op.CommunityID(), op.Log)
	n.mu.Lock()
	jt := n.topics[name]
	n.mu.Unlock()
	if jt == nil {
		return
	}
	// Readers that gossip may not reach (see mesh.go): those not on the
	// topic are nudged now, those grafted into its mesh in the next
	// meshWindow when they are.
	n.notePublished(name)
	on := map[peer.ID]bool{}
	for _, p := range jt.topic.ListPeers() {
		on[p] = true
	}
	for _, k := range n.connectedReaders(op.CommunityID(), op.Log) {
		if !on[peerIDOf(k)] {
			n.nudge(op.CommunityID(), k)
		}
	}
	if err := jt.topic.Publish(n.ctx, op.Bytes()); err != nil && !errors.Is(err, context.Canceled) {
		n.log.Debug("publish failed", "op", op.ID().Short(), "err", err)
	}
}

// connectedReaders returns the keys of the connected peers that may read
// log lg of community cid.
func (n *Node) connectedReaders(cid, lg crdt.ID) []crdt.PublicKey {
	peers := n.host.Network().Peers()
	var out []crdt.PublicKey
	_ = n.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		for _, p := range peers {
			if k, ok := keyOf(p); ok && st.MayRead(k, lg) {
				out = append(out, k)
			}
		}
		return nil
	})
	return out
}

// afterIngest reacts to accepted ops: new groups get subscribed, subscribers
// hear about changes.
func (n *Node) afterIngest(res replica.Result) {
	for _, op := range res.Accepted {
		cid := op.CommunityID()
		if !op.Kind.IsContent() {
			n.keys.Kick(cid) // new wraps, prekeys, members or removals
		}
		switch {
		case op.Kind.IsContent():
			n.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: op.Log})
		case op.Kind == crdt.KindGroupCreate || op.Kind == crdt.KindGenesis ||
			op.Kind == crdt.KindGroupJoin || op.Kind == crdt.KindGroupLeave || op.Kind == crdt.KindGroupDecide ||
			op.Kind == crdt.KindGroupUpdate || op.Kind == crdt.KindRemove || op.Kind == crdt.KindLeave:
			if err := n.joinTopics(cid); err != nil {
				n.log.Warn("subscribe to new group", "err", err)
			}
			n.evictReaders(cid)
			if op.Kind == crdt.KindRemove || op.Kind == crdt.KindLeave {
				n.pullDeparted(cid)
			}
			n.emit(api.Event{Kind: api.EventGroups, Community: cid})
			n.emit(api.Event{Kind: api.EventCommunities, Community: cid})
		default:
			n.emit(api.Event{Kind: api.EventCommunities, Community: cid})
			if op.Kind == crdt.KindDecide {
				var b *crdt.DecideBody // sealed: read as the community opened it
				_ = n.rep.View(cid, func(c *crdt.Community) error { b, _ = c.Body(op.ID()).(*crdt.DecideBody); return nil })
				if b != nil && b.Approve {
					var k crdt.PublicKey
					copy(k[:], b.Member)
					n.nudge(cid, k)
				}
			}
			if op.Kind == crdt.KindProfile || op.Kind == crdt.KindJoin {
				n.emitAllGroups(cid) // author names shown in messages may change
			}
		}
	}
}

func (n *Node) emitAllGroups(cid crdt.ID) {
	_ = n.rep.View(cid, func(c *crdt.Community) error {
		for gid := range c.State().Groups {
			n.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: gid})
		}
		return nil
	})
}
