package node

import (
	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/node/status"
	"github.com/umbrella-p2p/umbrella/reach"
)

// ErrPortInUse: a listen address names a port another program holds.
var ErrPortInUse = reach.ErrPortInUse

// The node's side of reachability (package reach): the status the API
// shows, and meeting the members of a community.

// Status reports this node's network and sync state (node/status).
func (n *Node) Status() api.Status {
	return status.Report(status.Parts{Self: n.host.ID(), Addrs: n.fullAddrs(), Network: n.host.Network(), Relays: n.relays,
		Syncing: n.pulls.Syncing, Replica: n.rep, Community: statusHooks{n}})
}

// statusHooks are what the status report asks the node of a community.
type statusHooks struct{ n *Node }

func (h statusHooks) LastSync(cid crdt.ID) (api.SyncStats, bool)   { return h.n.LastSync(cid) }
func (h statusHooks) Live(cid crdt.ID) bool                        { _, ok := h.n.keys.Secret(cid); return ok }
func (h statusHooks) Relays(cid crdt.ID) ([]api.RelayState, error) { return h.n.Relays(cid) }
