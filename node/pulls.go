package node

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/keys"
	"github.com/umbrella-p2p/umbrella/reach"
	"github.com/umbrella-p2p/umbrella/sync/exchange"
	"github.com/umbrella-p2p/umbrella/sync/p2p"
	"github.com/umbrella-p2p/umbrella/sync/pull"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// newPulls builds the node's pull scheduler (package sync/pull) over its
// protocols, host, replica, peer book and keys.
func newPulls(n *Node) (*pull.Scheduler, error) {
	h := pullHooks{n}
	return pull.New(n.ctx, pull.Config{Self: n.host.ID(), Interval: n.cfg.SyncInterval, Now: n.now, Log: n.log,
		Transport: h, Network: hostNet{n.host}, Replica: n.rep, Book: n.peers, Keys: n.keys, Gossip: h, Local: h, Requests: h})
}

// What the node hands its pull scheduler.
var (
	_ pull.Transport = pullHooks{}
	_ pull.Gossip    = pullHooks{}
	_ pull.Local     = pullHooks{}
	_ pull.Requests  = pullHooks{}
	_ pull.Network   = hostNet{}
	_ pull.Replica   = (*replica.Replica)(nil)
	_ pull.Book      = (*reach.Book)(nil)
	_ pull.Keys      = (*keys.Manager)(nil)
)

// pullHooks is what the pull scheduler asks of the rest of the node: the
// protocols (penalising a peer that misbehaves), gossip, and the node's
// communities and events.
type pullHooks struct{ n *Node }

func (h pullHooks) Pull(ctx context.Context, p peer.ID, cid crdt.ID, rc *exchange.Progress) (exchange.Stats, error) {
	st, err := h.n.proto.x.Pull(ctx, h.n.proto.remote(p), cid, rc)
	return st, protoHooks(h).checkPeer(p, err)
}

func (h pullHooks) PullControl(ctx context.Context, p peer.ID, cid crdt.ID) error {
	return protoHooks(h).checkPeer(p, h.n.proto.x.PullControl(ctx, h.n.proto.remote(p), cid))
}

func (h pullHooks) Request(ctx context.Context, p peer.ID, req *wire.Request) (*wire.Response, error) {
	var resp wire.Response
	if err := h.n.proto.svc.Call(ctx, p, p2p.SyncID, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

func (h pullHooks) JudgeUnbacked(ctx context.Context, p peer.ID, cid crdt.ID, pulled error) {
	h.n.gossip.JudgeUnbacked(ctx, p, cid, pulled)
}

func (h pullHooks) JoinTopics(cid crdt.ID) error { return h.n.gossip.JoinTopics(cid) }

func (h pullHooks) Community(cid crdt.ID) (api.Community, error) { return h.n.community(cid) }

func (h pullHooks) Joining(cid crdt.ID) bool { return h.n.joiner.Running(cid) }

func (h pullHooks) AskAgain(ctx context.Context, cid crdt.ID) bool {
	return h.n.joiner.AskAgain(ctx, cid)
}

func (h pullHooks) Emit(e api.Event) { h.n.events.Emit(e) }

// hostNet is the libp2p host as the pull scheduler sees it.
type hostNet struct{ h host.Host }

func (n hostNet) Peers() []peer.ID { return n.h.Network().Peers() }

func (n hostNet) Connected(p peer.ID) bool {
	return n.h.Network().Connectedness(p) == network.Connected
}

func (n hostNet) Connect(ctx context.Context, ai peer.AddrInfo) error { return n.h.Connect(ctx, ai) }

func (n hostNet) PeerInfo(p peer.ID) peer.AddrInfo { return n.h.Peerstore().PeerInfo(p) }

func (n hostNet) AddAddrs(p peer.ID, addrs []ma.Multiaddr, ttl time.Duration) {
	n.h.Peerstore().AddAddrs(p, addrs, ttl)
}
