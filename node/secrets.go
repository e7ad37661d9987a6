package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// A community's topic secret is 32 random bytes its founder draws; every
// member gets it from a member after its first pull (wire.KindSecret) and
// keeps it in the store. Gossip topic names are derived from it, so one
// who knows only a community's id cannot name, let alone subscribe to, its
// topics.

func secretKey(cid crdt.ID) string { return "topic-secret/" + cid.String() }

// loadSecrets reads the stored topic secrets of the held communities.
func (n *Node) loadSecrets(ctx context.Context) error {
	for _, cid := range n.rep.Communities() {
		s, err := n.store.GetMeta(ctx, secretKey(cid))
		if errors.Is(err, store.ErrNotFound) {
			continue // asked for again at the next pull
		}
		if err != nil {
			return err
		}
		if len(s) != wire.SecretSize {
			n.log.Warn("stored topic secret is corrupt; asking members again", "community", cid.Short())
			continue
		}
		n.mu.Lock()
		n.secrets[cid] = s
		n.mu.Unlock()
	}
	return nil
}

// secret returns community cid's topic secret, if this node has it.
func (n *Node) secret(cid crdt.ID) ([]byte, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	s, ok := n.secrets[cid]
	return s, ok
}

// setSecret stores community cid's topic secret and subscribes to its
// topics. A secret already held is kept: the first one wins.
func (n *Node) setSecret(ctx context.Context, cid crdt.ID, s []byte) error {
	if len(s) != wire.SecretSize {
		return fmt.Errorf("topic secret has %d bytes, want %d", len(s), wire.SecretSize)
	}
	if _, ok := n.secret(cid); ok {
		return nil
	}
	if err := n.store.PutMeta(ctx, secretKey(cid), s); err != nil {
		return err
	}
	n.mu.Lock()
	n.secrets[cid] = s
	n.mu.Unlock()
	return n.joinTopics(cid)
}

// newSecret draws the topic secret of a community this node founds.
func (n *Node) newSecret(ctx context.Context, cid crdt.ID) error {
	s := make([]byte, wire.SecretSize)
	rand.Read(s)
	return n.setSecret(ctx, cid, s)
}

// fetchSecret asks member p for community cid's topic secret unless this
// node has it.
func (n *Node) fetchSecret(ctx context.Context, p peer.ID, cid crdt.ID) error {
	if _, ok := n.secret(cid); ok {
		return nil
	}
	var resp wire.Response
	if err := n.request(ctx, p, syncProtocol, &wire.Request{Kind: wire.KindSecret, Community: cid[:]}, &resp); err != nil {
		return err
	}
	if resp.Error != "" {
		return fmt.Errorf("peer %s: %s", p.ShortString(), resp.Error)
	}
	if err := n.setSecret(ctx, cid, resp.Secret); err != nil {
		return fmt.Errorf("topic secret from %s: %w", p.ShortString(), err)
	}
	return nil
}
