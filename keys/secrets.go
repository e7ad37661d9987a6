package keys

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
// keeps it in the metadata store. Gossip topic names are derived from it,
// so one who knows only a community's id cannot name, let alone subscribe
// to, its topics.

func secretKey(cid crdt.ID) string { return "topic-secret/" + cid.String() }

// loadSecrets reads the stored topic secrets of the held communities.
func (m *Manager) loadSecrets(ctx context.Context) error {
	for _, cid := range m.cfg.Replica.Communities() {
		s, err := m.cfg.Meta.GetMeta(ctx, secretKey(cid))
		if errors.Is(err, store.ErrNotFound) {
			continue // asked for again at the next pull
		}
		if err != nil {
			return err
		}
		if len(s) != wire.SecretSize {
			m.log.Warn("stored topic secret is corrupt; asking members again", "community", cid.Short())
			continue
		}
		m.secretsMu.Lock()
		m.secrets[cid] = s
		m.secretsMu.Unlock()
	}
	return nil
}

// Secret returns community cid's topic secret, if this node has it.
func (m *Manager) Secret(cid crdt.ID) ([]byte, bool) {
	m.secretsMu.Lock()
	defer m.secretsMu.Unlock()
	s, ok := m.secrets[cid]
	return s, ok
}

// SetSecret stores community cid's topic secret and tells the Listener.
// A secret already held is kept: the first one wins.
func (m *Manager) SetSecret(ctx context.Context, cid crdt.ID, s []byte) error {
	if len(s) != wire.SecretSize {
		return fmt.Errorf("topic secret has %d bytes, want %d", len(s), wire.SecretSize)
	}
	if _, ok := m.Secret(cid); ok {
		return nil
	}
	if err := m.cfg.Meta.PutMeta(ctx, secretKey(cid), s); err != nil {
		return err
	}
	m.secretsMu.Lock()
	m.secrets[cid] = s
	m.secretsMu.Unlock()
	return m.cfg.Listener.SecretAdded(cid)
}

// NewSecret draws the topic secret of a community this node founds.
func (m *Manager) NewSecret(ctx context.Context, cid crdt.ID) error {
	s := make([]byte, wire.SecretSize)
	rand.Read(s)
	return m.SetSecret(ctx, cid, s)
}

// FetchSecret asks member p for community cid's topic secret unless this
// node has it.
func (m *Manager) FetchSecret(ctx context.Context, p peer.ID, cid crdt.ID) error {
	if _, ok := m.Secret(cid); ok {
		return nil
	}
	resp, err := m.cfg.Peers.Request(ctx, p, &wire.Request{Kind: wire.KindSecret, Community: cid[:]})
	if err != nil {
		return err
	}
	if resp.Error != "" {
		return fmt.Errorf("peer %s: %s", p.ShortString(), resp.Error)
	}
	if err := m.SetSecret(ctx, cid, resp.Secret); err != nil {
		return fmt.Errorf("topic secret from %s: %w", p.ShortString(), err)
	}
	return nil
}

// AnswerSecret answers a wire.KindSecret request from a member.
func (m *Manager) AnswerSecret(cid crdt.ID) *wire.Response {
	if s, ok := m.Secret(cid); ok {
		return &wire.Response{Secret: s}
	}
	return &wire.Response{Error: "this node does not have the community's topic secret"}
}
