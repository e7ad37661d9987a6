package node

import (
	"context"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/reach"
	"github.com/umbrella-p2p/umbrella/sync/exchange"
	"github.com/umbrella-p2p/umbrella/sync/join"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// newJoiner builds the joiner's side of joins (package sync/join) over
// n's host, peer book, replica and keys.
func newJoiner(n *Node) *join.Joiner {
	h := joinHooks{n}
	return join.New(join.Config{Self: n.host.ID(), ID: n.id, Dialer: h, Syncer: h, Book: n.peers,
		Replica: n.rep, Local: h, Now: n.now, Log: n.log})
}

// What the node hands its joiner.
var (
	_ join.Book    = (*reach.Book)(nil)
	_ join.Replica = (*replica.Replica)(nil)
	_ join.Dialer  = joinHooks{}
	_ join.Syncer  = joinHooks{}
	_ join.Local   = joinHooks{}
)

// joinHooks is what a join asks of the rest of the node.
type joinHooks struct{ n *Node }

func (h joinHooks) Connect(ctx context.Context, ai peer.AddrInfo) error {
	return h.n.host.Connect(ctx, ai)
}

func (h joinHooks) Join(ctx context.Context, p peer.ID, req *wire.JoinRequest) (*wire.JoinResponse, error) {
	return h.n.proto.remote(p).Join(ctx, req)
}

func (h joinHooks) FetchKeys(ctx context.Context, p peer.ID, cid crdt.ID) error {
	_, err := h.n.keys.FetchKeys(ctx, p, cid)
	return err
}

func (h joinHooks) OpenInviteKeys(ctx context.Context, inv *crdt.Op, seed []byte, ops [][]byte) error {
	_, err := h.n.keys.OpenInviteKeys(ctx, inv, seed, ops)
	return err
}

func (h joinHooks) Pull(ctx context.Context, p peer.ID, cid crdt.ID, rc *exchange.Progress) error {
	return h.n.pulls.PullNow(ctx, p, cid, rc)
}

func (h joinHooks) FetchSecret(ctx context.Context, p peer.ID, cid crdt.ID) error {
	return h.n.keys.FetchSecret(ctx, p, cid)
}

func (h joinHooks) Community(cid crdt.ID) (api.Community, error) { return h.n.community(cid) }

func (h joinHooks) Name() string { return h.n.profile.Name() }

func (h joinHooks) Entered(ctx context.Context, cid crdt.ID) error {
	n := h.n
	if err := n.gossip.JoinTopics(cid); err != nil {
		return err
	}
	if err := n.durable(ctx); err != nil { // the join op and what it brought
		return err
	}
	n.events.Emit(api.Event{Kind: api.EventCommunities, Community: cid})
	// The name came in the join op; the photo follows. The join is done
	// even if the photo is not written.
	if err := n.profile.Joined(ctx, cid); err != nil {
		n.log.Warn("write the profile photo to the joined community", "community", cid.Short(), "err", err)
	}
	return nil
}
