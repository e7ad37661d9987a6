package node

import (
	"context"
	"errors"
	"fmt"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
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

func newPubSub(ctx context.Context, h host.Host) (*pubsub.PubSub, error) {
	return pubsub.NewGossipSub(ctx, h,
		// Ops carry their own author signature; gossip adds none, and a
		// message's id is its content hash, so duplicates collapse.
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithMessageIdFn(func(m *pb.Message) string {
			h := blake3.Sum256(m.Data)
			return string(h[:])
		}),
		pubsub.WithMaxMessageSize(crdt.MaxOpSize+1024),
	)
}

// TopicName derives the gossipsub topic of one log of a community. Outsiders
// who do not know the community id cannot name its topics.
func TopicName(community, log crdt.ID) string {
	h := blake3.New(32, nil)
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
	self, _ := keyOf(n.host.ID())
	logs := []crdt.ID{crdt.ZeroID}
	readable := map[crdt.ID]bool{crdt.ZeroID: true}
	err := n.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		for gid := range st.Groups {
			if mayRead(st, self, gid) {
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
		if err := n.joinTopic(cid, lg); err != nil {
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

func (n *Node) joinTopic(cid, lg crdt.ID) error {
	name := TopicName(cid, lg)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ctx.Err() != nil {
		return nil
	}
	jt := n.topics[name]
	if jt == nil {
		if err := n.ps.RegisterTopicValidator(name, n.validator(cid, lg)); err != nil {
			return fmt.Errorf("register validator: %w", err)
		}
		t, err := n.ps.Join(name)
		if err != nil {
			return fmt.Errorf("join topic: %w", err)
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
// oversized or for another log; gossipsub then penalises the sender.
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
	name := TopicName(op.CommunityID(), op.Log)
	n.mu.Lock()
	jt := n.topics[name]
	n.mu.Unlock()
	if jt == nil {
		return
	}
	if err := jt.topic.Publish(n.ctx, op.Bytes()); err != nil && !errors.Is(err, context.Canceled) {
		n.log.Debug("publish failed", "op", op.ID().Short(), "err", err)
	}
}

// afterIngest reacts to accepted ops: new groups get subscribed, subscribers
// hear about changes.
func (n *Node) afterIngest(res replica.Result) {
	for _, op := range res.Accepted {
		cid := op.CommunityID()
		switch {
		case op.Kind.IsContent():
			n.emit(Event{Kind: EventMessages, Community: cid, Group: op.Log})
		case op.Kind == crdt.KindGroupCreate || op.Kind == crdt.KindGenesis ||
			op.Kind == crdt.KindGroupJoin || op.Kind == crdt.KindGroupLeave || op.Kind == crdt.KindGroupDecide ||
			op.Kind == crdt.KindGroupUpdate || op.Kind == crdt.KindRemove || op.Kind == crdt.KindLeave:
			if err := n.joinTopics(cid); err != nil {
				n.log.Warn("subscribe to new group", "err", err)
			}
			n.emit(Event{Kind: EventGroups, Community: cid})
			n.emit(Event{Kind: EventCommunities, Community: cid})
		default:
			n.emit(Event{Kind: EventCommunities, Community: cid})
			if op.Kind == crdt.KindDecide {
				if b, err := crdt.DecodeBody(op); err == nil && b.(*crdt.DecideBody).Approve {
					var k crdt.PublicKey
					copy(k[:], b.(*crdt.DecideBody).Member)
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
			n.emit(Event{Kind: EventMessages, Community: cid, Group: gid})
		}
		return nil
	})
}
