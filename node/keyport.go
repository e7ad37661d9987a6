package node

import (
	"context"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/keys"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// RotatePrekey draws a new prekey and publishes it in every community;
// later rotations wrap to it. Older prekeys are kept to open earlier wraps.
func (n *Node) RotatePrekey(ctx context.Context) error { return n.keys.RotatePrekey(ctx) }

// keyPort is the node as the key manager sees it: it writes the manager's
// ops, reaches members for it, and hears what changed.
type keyPort struct{ n *Node }

var (
	_ keys.Author   = keyPort{}
	_ keys.Peers    = keyPort{}
	_ keys.Listener = keyPort{}
)

func (k keyPort) Author(ctx context.Context, cid, log crdt.ID, kind crdt.Kind, body []byte) (*crdt.Op, error) {
	return k.n.author(ctx, cid, log, kind, body)
}

func (k keyPort) Request(ctx context.Context, p peer.ID, req *wire.Request) (*wire.Response, error) {
	return pullHooks(k).Request(ctx, p, req)
}

func (k keyPort) Members(cid crdt.ID) []peer.ID { return k.n.pulls.Members(cid) }

func (k keyPort) Pull(p peer.ID, cid crdt.ID) { k.n.pulls.Pull(p, cid) }

func (k keyPort) Accepted(res replica.Result) { k.n.afterIngest(res) }

func (k keyPort) SecretAdded(cid crdt.ID) error { return k.n.gossip.JoinTopics(cid) }

// keyConfig is the key manager's configuration for node n.
func keyConfig(n *Node) keys.Config {
	var self crdt.PublicKey
	copy(self[:], n.id.PublicKey()) // the host, whose key it is too, comes later
	return keys.Config{Self: self, Suite: n.cfg.KeySuite, RotateAfter: n.cfg.RotateAfter, RotateEvery: n.cfg.RotateEvery,
		PrekeyLifetime: n.cfg.PrekeyLifetime, Now: n.now, Logger: n.cfg.Logger,
		Replica: n.rep, Meta: n.store, Author: keyPort{n}, Peers: keyPort{n}, Listener: keyPort{n}}
}
