package node

import (
	"context"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// AddMember adds contact peerID to community cid directly (act's
// AddMember); the added node learns of it by a nudge (sync/pull's
// "Direct adds").
func (n *Node) AddMember(ctx context.Context, cid crdt.ID, peerID string) error {
	return n.Actions.AddMember(ctx, cid, peerID, n.Directory.Contacts())
}
