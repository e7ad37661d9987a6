package node

import (
	"errors"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/sync/blob"
	"github.com/umbrella-p2p/umbrella/sync/exchange"
	"github.com/umbrella-p2p/umbrella/sync/p2p"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// protocols are the stream protocols: what they answer and how pulls take
// ops in (x, package sync/exchange), and how they travel (svc, package
// sync/p2p). Node registers their handlers in Open ; when and whom to pull
// is package sync/pull's.
type protocols struct {
	x        *exchange.Server
	svc      *p2p.Service
	sessions *p2p.SessionSlots // reconciliations being answered
	files    *blob.Store       // the files this node holds (Home/files)
}

// newProtocols builds the protocols over n's replica and host; Open
// registers their handlers.
func newProtocols(n *Node) protocols {
	h := protoHooks{n}
	return protocols{
		x: exchange.New(exchange.Config{Replica: n.rep, Self: n.selfKey(), Now: n.now, Log: n.log,
			Keys: h, Secrets: h, Peers: h, Nudges: h, Observer: h}),
		svc:      p2p.NewService(n.ctx, n.host, n.log, h.misbehaved),
		sessions: p2p.NewSessionSlots(p2p.MaxServedSessions, p2p.MaxSessionsPerPeer),
	}
}

// remote is peer p as the pull requesters reach it.
func (pr protocols) remote(p peer.ID) p2p.Remote { return pr.svc.Peer(p) }

// protoHooks is what the exchange asks of the rest of the node: keys,
// topic secrets, the peer book, pull scheduling, and what follows an
// ingest or an admission.
type protoHooks struct{ n *Node }

var (
	_ exchange.KeyServer    = protoHooks{}
	_ exchange.SecretSource = protoHooks{}
	_ exchange.PeerSource   = protoHooks{}
	_ exchange.NudgeHandler = protoHooks{}
	_ exchange.Observer     = protoHooks{}
)

func (h protoHooks) AnswerKeys(cid crdt.ID, k crdt.PublicKey, req *wire.Request) *wire.Response {
	return h.n.keys.AnswerKeys(cid, k, req)
}

func (h protoHooks) Secret(cid crdt.ID) ([]byte, bool) { return h.n.keys.Secret(cid) }

func (h protoHooks) SharedPeers(cid crdt.ID, k crdt.PublicKey) []wire.PeerAddrs {
	var out []wire.PeerAddrs
	for _, ai := range h.n.pulls.SharedPeers(cid, peerkey.Peer(k)) {
		pa := wire.PeerAddrs{ID: []byte(ai.ID)}
		for _, a := range ai.Addrs {
			pa.Addrs = append(pa.Addrs, a.Bytes())
		}
		out = append(out, pa)
	}
	return out
}

// Nudged heeds a nudge (see pull.Scheduler.Nudged).
func (h protoHooks) Nudged(cid crdt.ID, k crdt.PublicKey) { h.n.pulls.Nudged(cid, k) }

func (h protoHooks) Ingested(res replica.Result) { h.n.afterIngest(res) }

// Parked hands the key manager an op a pull parked (keys' NoteParked).
func (h protoHooks) Parked(op *crdt.Op) { h.n.keys.NoteParked(h.n.ctx, op) }

func (h protoHooks) Admitted(k crdt.PublicKey, join *crdt.Op, recorded bool) {
	n := h.n
	n.peers.Remember(n.host.Peerstore().PeerInfo(peerkey.Peer(k)))
	if recorded {
		n.publish(join)
	}
}

// misbehaved penalises peer p, which sent what no honest peer sends on a
// sync stream, and drops the connection to it.
func (h protoHooks) misbehaved(p peer.ID) {
	h.n.gossip.Penalise(p)
	h.n.host.Network().ClosePeer(p)
}

// checkPeer penalises p and drops it if err says it misbehaved, and
// returns err.
func (h protoHooks) checkPeer(p peer.ID, err error) error {
	if errors.Is(err, exchange.ErrBadPeer) {
		h.misbehaved(p)
	}
	return err
}
