package node

import (
	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/p2p"
)

// Stream protocols; see package sync/wire for their messages, package
// sync/p2p for their handlers and package sync/pull for when this node
// pulls.
const (
	syncProtocol      = p2p.SyncID
	joinProtocol      = p2p.JoinID
	reconcileProtocol = p2p.ReconcileID
)

// LastSync returns the last pull this node completed for community cid,
// if any.
func (n *Node) LastSync(cid crdt.ID) (api.SyncStats, bool) { return n.pulls.LastSync(cid) }

// Relays describes the relays registered with community cid as this node
// sees them (sync/pull).
func (n *Node) Relays(cid crdt.ID) ([]api.RelayState, error) {
	rs := n.pulls.Relays(cid)
	n.filePush.Fill(cid, rs)
	return rs, nil
}
