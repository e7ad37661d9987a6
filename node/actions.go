package node

import (
	"context"
	"fmt"
	"strings"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/act"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/keys"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/view"
)

// newActions builds the local member's actions (package act) over the
// node's replica, views and keys; ops go out through author.
func (n *Node) newActions() (*act.Actions, error) {
	self, _ := keyOf(peerkey.ID(n.id))
	return act.New(act.Config{Author: actAuthor{n}, Replica: n.rep, Views: n.views, Names: names{},
		Keys: n.keys, Self: self, Now: n.now})
}

// What the node hands its actions.
var (
	_ act.Replica = (*replica.Replica)(nil)
	_ act.Views   = (*view.Views)(nil)
	_ act.Rotator = (*keys.Manager)(nil)
	_ act.Names   = names{}
	_ act.Author  = actAuthor{}
)

// actAuthor writes the actions' ops through the node's author path.
type actAuthor struct{ n *Node }

func (a actAuthor) Write(ctx context.Context, cid, log crdt.ID, kind crdt.Kind, body []byte) (*crdt.Op, error) {
	return a.n.author(ctx, cid, log, kind, body)
}

// Key resolves a peer id given as text to its member key.
func (names) Key(peerID string) (crdt.PublicKey, error) {
	p, err := peer.Decode(strings.TrimSpace(peerID))
	if err != nil {
		return crdt.PublicKey{}, fmt.Errorf("%w: member %q is not a peer id: %v", crdt.ErrInvalid, peerID, err)
	}
	k, ok := keyOf(p)
	if !ok {
		return crdt.PublicKey{}, fmt.Errorf("%w: member %q is not an Ed25519 peer id", crdt.ErrInvalid, peerID)
	}
	return k, nil
}
