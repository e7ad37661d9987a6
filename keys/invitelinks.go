package keys

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// An invite link's secret is the ed25519 seed of its invite key: whoever
// holds it can join. The node that made a link keeps the seed in the
// metadata store, which the database encrypts at rest, so the invite
// manager can show the link again after a restart. A record per community
// lists (invite id, seed) pairs, oldest first; a seed is dropped once its
// invite no longer admits anyone.

// inviteRecordSize is one (invite id, seed) pair in a stored record.
const inviteRecordSize = len(crdt.ID{}) + ed25519.SeedSize

func inviteSecretsKey(cid crdt.ID) string { return "invite-secrets/" + cid.String() }

// InviteSecretsConfig wires InviteSecrets.
type InviteSecretsConfig struct {
	// Meta stores the secrets; required.
	Meta Meta
	// Persist keeps them in Meta. When false (a database from before
	// encryption at rest), they are kept in memory only, never in clear in
	// a file, and a link is shown again only until the node stops.
	Persist bool
	// Invites lists a community's invites as the invite manager shows
	// them; required.
	Invites func(cid crdt.ID) ([]api.InviteInfo, error)
	// Link makes the link of an invite of community cid from its seed;
	// required.
	Link func(cid crdt.ID, seed []byte) (string, error)
}

// InviteSecrets keeps the secrets of the invite links this node made, to
// show their links again until they are revoked, expire, are used up or
// lapse.
type InviteSecrets struct {
	cfg InviteSecretsConfig

	mu     sync.Mutex
	memory map[crdt.ID][]byte // the records when not persisted
}

// NewInviteSecrets returns the keeper of invite link secrets.
func NewInviteSecrets(c InviteSecretsConfig) (*InviteSecrets, error) {
	if c.Meta == nil || c.Invites == nil || c.Link == nil {
		return nil, errors.New("keys: invite secrets need Meta, Invites and Link")
	}
	return &InviteSecrets{cfg: c, memory: map[crdt.ID][]byte{}}, nil
}

// inviteSecret is one kept secret.
type inviteSecret struct {
	invite crdt.ID
	seed   []byte
}

// decodeInviteSecrets reads a stored record.
func decodeInviteSecrets(b []byte) ([]inviteSecret, error) {
	if len(b)%inviteRecordSize != 0 {
		return nil, fmt.Errorf("invite secrets record of %d bytes is not whole pairs of %d", len(b), inviteRecordSize)
	}
	n := len(b) / inviteRecordSize
	if n > MaxInviteSecrets {
		return nil, fmt.Errorf("invite secrets record holds %d secrets, more than %d", n, MaxInviteSecrets)
	}
	out := make([]inviteSecret, n)
	for i := range out {
		r := b[i*inviteRecordSize : (i+1)*inviteRecordSize]
		copy(out[i].invite[:], r)
		out[i].seed = append([]byte(nil), r[len(crdt.ID{}):]...)
	}
	return out, nil
}

// encodeInviteSecrets writes a record.
func encodeInviteSecrets(ss []inviteSecret) []byte {
	b := make([]byte, 0, len(ss)*inviteRecordSize)
	for _, s := range ss {
		b = append(append(b, s.invite[:]...), s.seed...)
	}
	return b
}

// load reads community cid's record; the caller holds mu. A damaged record
// is an error, never dropped: the links it holds may still be wanted.
func (s *InviteSecrets) load(ctx context.Context, cid crdt.ID) ([]inviteSecret, error) {
	if !s.cfg.Persist {
		return decodeInviteSecrets(s.memory[cid])
	}
	raw, err := s.cfg.Meta.GetMeta(ctx, inviteSecretsKey(cid))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read invite secrets: %w", err)
	}
	ss, err := decodeInviteSecrets(raw)
	if err != nil {
		return nil, fmt.Errorf("read invite secrets: %w", err)
	}
	return ss, nil
}

// save writes community cid's record; the caller holds mu.
func (s *InviteSecrets) save(ctx context.Context, cid crdt.ID, ss []inviteSecret) error {
	b := encodeInviteSecrets(ss)
	if !s.cfg.Persist {
		s.memory[cid] = b
		return nil
	}
	if err := s.cfg.Meta.PutMeta(ctx, inviteSecretsKey(cid), b); err != nil {
		return fmt.Errorf("keep invite secret: %w", err)
	}
	return nil
}

// Keep stores the seed of invite inv of community cid, made by this node.
// Past MaxInviteSecrets the oldest secret is let go (its link still works;
// it is no longer shown).
func (s *InviteSecrets) Keep(ctx context.Context, cid, inv crdt.ID, seed []byte) error {
	if len(seed) != ed25519.SeedSize {
		return fmt.Errorf("invite seed has %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, err := s.load(ctx, cid)
	if err != nil {
		return err
	}
	ss = append(ss, inviteSecret{invite: inv, seed: append([]byte(nil), seed...)})
	if len(ss) > MaxInviteSecrets {
		ss = ss[len(ss)-MaxInviteSecrets:]
	}
	return s.save(ctx, cid, ss)
}

// Live reports whether invite inv still admits people.
func Live(inv api.InviteInfo) bool {
	return !inv.Revoked && !inv.Lapsed && !inv.Expired && (inv.MaxUses == 0 || inv.Uses < inv.MaxUses)
}

// Links lists community cid's invites, newest first, each with its link
// when this node made it, holds its secret and it is live. Secrets of
// invites that no longer admit anyone are dropped for good.
func (s *InviteSecrets) Links(cid crdt.ID) ([]api.InviteLink, error) {
	invs, err := s.cfg.Invites(cid)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, err := s.load(ctx, cid)
	if err != nil {
		return nil, err
	}
	byID := make(map[crdt.ID]api.InviteInfo, len(invs))
	for _, inv := range invs {
		byID[inv.ID] = inv
	}
	seeds := map[crdt.ID][]byte{}
	kept := ss[:0:0]
	for _, sec := range ss {
		inv, ok := byID[sec.invite]
		if ok && !Live(inv) {
			continue // dead for good; an invite not (yet) seen is kept
		}
		kept = append(kept, sec)
		seeds[sec.invite] = sec.seed
	}
	if len(kept) != len(ss) {
		if err := s.save(ctx, cid, kept); err != nil {
			return nil, err
		}
	}
	out := make([]api.InviteLink, len(invs))
	for i, inv := range invs {
		out[i].InviteInfo = inv
		if seed, ok := seeds[inv.ID]; ok {
			if out[i].Link, err = s.cfg.Link(cid, seed); err != nil {
				return nil, fmt.Errorf("invite %s: %w", inv.ID.Short(), err)
			}
		}
	}
	return out, nil
}
