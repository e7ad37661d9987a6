package node

import (
	"context"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/umbrella-p2p/umbrella/api"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/gossip"
	"github.com/umbrella-p2p/umbrella/sync/replica"
)

// The node's side of the gossip adapter (package sync/gossip): what the
// service needs from the node, and the node's reactions to accepted ops.

// gossipReplica is the replica as the gossip service sees it: ingesting
// an op also runs the node's reactions to what was accepted.
type gossipReplica struct {
	*replica.Replica
	after func(replica.Result)
}

var _ gossip.Replica = gossipReplica{}

func (g gossipReplica) Ingest(ctx context.Context, op *crdt.Op) (replica.Result, error) {
	res, err := g.Replica.Ingest(ctx, op)
	if err == nil {
		g.after(res)
	}
	return res, err
}

// gossipPuller is the pull protocol as the gossip service sees it.
type gossipPuller struct{ n *Node }

var _ gossip.Puller = gossipPuller{}

func (g gossipPuller) Pull(p peer.ID, cid crdt.ID) { g.n.pulls.Pull(p, cid) }
func (g gossipPuller) Fetch(ctx context.Context, p peer.ID, cid crdt.ID, ids []crdt.ID) error {
	return protoHooks(g).checkPeer(p, g.n.proto.x.Fetch(ctx, g.n.proto.remote(p), cid, ids, nil))
}
func (g gossipPuller) Nudge(cid crdt.ID, k crdt.PublicKey) { g.n.pulls.Nudge(cid, k) }

// newGossip starts the node's gossip service.
func newGossip(n *Node) (*gossip.Service, error) {
	return gossip.New(gossip.Config{
		Host:    n.host,
		Replica: gossipReplica{n.rep, n.afterIngest},
		Secrets: gossip.SecretsFunc(n.keys.Secret),
		Puller:  gossipPuller{n},
		Now:     n.now,
		Logger:  n.log,
	})
}

// publish sends an op to its log's topic and nudges the community's relays.
func (n *Node) publish(op *crdt.Op) {
	n.gossip.Publish(op)
	n.pulls.PushToRelays(op.CommunityID(), op)
}

// afterIngest reacts to accepted ops: new groups get subscribed, subscribers
// hear about changes.
func (n *Node) afterIngest(res replica.Result) {
	for _, op := range res.Accepted {
		cid := op.CommunityID()
		if !op.Kind.IsContent() {
			n.keys.Kick(cid)     // new wraps, prekeys, members or removals
			n.calls.Recheck(cid) // removed members leave its calls
		} else if op.Kind == crdt.KindCall {
			n.calls.Recheck(cid) // a call's end ends it here too
		}
		switch {
		case op.Kind.IsContent():
			n.events.Emit(api.Event{Kind: api.EventMessages, Community: cid, Group: op.Log, Private: n.views.IsPrivate(cid, op.Log),
				Newcomers: n.views.TouchesNewcomers(cid, op), Home: n.views.TouchesHome(cid, op)})
		case op.Kind == crdt.KindGroupCreate || op.Kind == crdt.KindGenesis ||
			op.Kind == crdt.KindGroupJoin || op.Kind == crdt.KindGroupLeave || op.Kind == crdt.KindGroupDecide ||
			op.Kind == crdt.KindGroupUpdate || op.Kind == crdt.KindGroupOrder || op.Kind == crdt.KindRemove || op.Kind == crdt.KindLeave,
			op.Kind == crdt.KindGroupAdd || op.Kind == crdt.KindGroupRemove,
			op.Kind == crdt.KindProgress || op.Kind == crdt.KindRole || op.Kind == crdt.KindSteps: // progress logs and their readers (crdt/steps.go)
			if err := n.gossip.JoinTopics(cid); err != nil {
				n.log.Warn("subscribe to new group", "err", err)
			}
			n.gossip.EvictReaders(cid)
			if op.Kind == crdt.KindRemove || op.Kind == crdt.KindLeave {
				n.pulls.PullDeparted(cid)
			}
			n.events.Emit(api.Event{Kind: api.EventGroups, Community: cid})
			n.events.Emit(api.Event{Kind: api.EventCommunities, Community: cid})
		default:
			n.events.Emit(api.Event{Kind: api.EventCommunities, Community: cid})
			if op.Kind == crdt.KindDecide {
				_, body := n.rep.Accepted(cid, op.ID()) // sealed: read as the community opened it
				if b, _ := body.(*crdt.DecideBody); b != nil && b.Approve {
					var k crdt.PublicKey
					copy(k[:], b.Member)
					n.pulls.Nudge(cid, k)
				}
			}
			if op.Kind == crdt.KindAdd { // tell the added peer (sync/pull's "Direct adds")
				_, body := n.rep.Accepted(cid, op.ID())
				if b, _ := body.(*crdt.AddBody); b != nil {
					n.pulls.Nudge(cid, crdt.PublicKey(b.Member))
				}
			}
			if op.Kind == crdt.KindProfile || op.Kind == crdt.KindJoin {
				n.emitAllGroups(cid) // author names shown in messages may change
			}
		}
	}
}

func (n *Node) emitAllGroups(cid crdt.ID) {
	for _, gid := range n.rep.Groups(cid) {
		n.events.Emit(api.Event{Kind: api.EventMessages, Community: cid, Group: gid})
	}
}
