package act

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
)

// InviteReach is where an invite says to find the community (the node's
// host, peer book and relays).
type InviteReach interface {
	// Addrs lists the local member's addresses (multiaddrs ending in
	// /p2p/ID), at most crdt.MaxAddrs.
	Addrs() []string
	// Relays lists the relays to name in an invite of community cid, those
	// registered with it first, at most crdt.MaxAddrs.
	Relays(cid crdt.ID) []string
	// ShortLink makes the short link of an invite of community cid from
	// its seed.
	ShortLink(cid crdt.ID, seed []byte) (string, error)
}

// InviteKeys wraps the history a newcomer by invite may read to the
// invite's seed, for a relay to hand with no member online (keys.Manager
// is one).
type InviteKeys interface {
	KeyInvite(ctx context.Context, cid, inv crdt.ID, seed []byte) error
}

// InviteSecrets keeps the seeds of the invites the local member makes, so
// that their links can be shown again (keys.InviteSecrets is one).
type InviteSecrets interface {
	// Keep keeps the seed of invite inv of community cid.
	Keep(ctx context.Context, cid, inv crdt.ID, seed []byte) error
	// Links lists community cid's invites, each with its link when this
	// node made it and it still admits people.
	Links(cid crdt.ID) ([]api.InviteLink, error)
}

// InviterConfig is what an Inviter needs; every field but Logger and
// Random is required.
type InviterConfig struct {
	Author  Author
	Summary Summary
	Reach   InviteReach
	Keys    InviteKeys
	Secrets InviteSecrets
	// Name is the local member's display name, which the invite's
	// details carry.
	Name func() string
	Now  func() time.Time
	// Random draws the invites' keys; nil: crypto/rand.
	Random io.Reader
	// Logger hears about an invite made with less than it should carry;
	// nil discards it.
	Logger *slog.Logger
}

// Inviter makes the local member's invite links (admins).
type Inviter struct{ cfg InviterConfig }

// NewInviter returns the Inviter of cfg.
func NewInviter(cfg InviterConfig) (*Inviter, error) {
	if cfg.Author == nil || cfg.Summary == nil || cfg.Reach == nil || cfg.Keys == nil || cfg.Secrets == nil || cfg.Name == nil || cfg.Now == nil {
		return nil, errors.New("inviter config: Author, Summary, Reach, Keys, Secrets, Name and Now are required")
	}
	if cfg.Random == nil {
		cfg.Random = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Inviter{cfg: cfg}, nil
}

// CreateInvite makes a short invite link to community cid (admins). It
// names this node and one other member or relay it knows to fetch the
// invite from; the invite's sealed details carry this node's current
// addresses, its relays, its name and the community's description (left
// out when it does not fit).
func (iv *Inviter) CreateInvite(ctx context.Context, cid crdt.ID, opts api.InviteOptions) (string, error) {
	cfg := iv.cfg
	c, err := cfg.Summary.Community(cid)
	if err != nil {
		return "", err
	}
	if opts.MaxUses < 0 || opts.MaxUses > math.MaxUint32 {
		return "", fmt.Errorf("%w: max uses %d: want 0 (no limit) or a positive number", crdt.ErrInvalid, opts.MaxUses)
	}
	now := cfg.Now()
	var expires int64
	switch {
	case opts.Lifetime == 0:
		expires = now.Add(api.DefaultInviteLifetime).Unix()
	case opts.Lifetime > 0:
		expires = now.Add(opts.Lifetime).Unix()
	}
	pub, priv, err := ed25519.GenerateKey(cfg.Random)
	if err != nil {
		return "", err
	}
	sealed, err := sealDetails(priv.Seed(), crdt.InviteDetails{Name: c.Name, Addrs: cfg.Reach.Addrs(), Relays: cfg.Reach.Relays(cid),
		Inviter: cfg.Name(), Description: c.Description})
	if err != nil {
		return "", err
	}
	body, err := crdt.EncodeBody(&crdt.InviteBody{
		Key:     pub,
		Role:    crdt.RoleMember,
		Expires: expires,
		MaxUses: uint32(opts.MaxUses),
		Details: sealed,
		Time:    now.UnixMilli(),
	})
	if err != nil {
		return "", err
	}
	op, err := cfg.Author.Write(ctx, cid, crdt.ZeroID, crdt.KindInvite, body)
	if err != nil {
		return "", fmt.Errorf("create invite: %w", err)
	}
	// The history a newcomer may read, for a relay to hand with no member
	// online; without it the link still works while a member is.
	if err := cfg.Keys.KeyInvite(ctx, cid, op.ID(), priv.Seed()); err != nil {
		cfg.Logger.Warn("the new invite gets no keys: joins need a member online", "community", cid.Short(), "err", err)
	}
	short, err := cfg.Reach.ShortLink(cid, priv.Seed())
	if err != nil {
		return "", fmt.Errorf("create invite: %w", err)
	}
	if err := cfg.Secrets.Keep(ctx, cid, op.ID(), priv.Seed()); err != nil {
		cfg.Logger.Warn("the new invite link will not be shown again", "community", cid.Short(), "err", err)
	}
	return short, nil
}

// InviteLinks lists community cid's invites, newest first, each with its
// link when this node made it and it still admits people.
func (iv *Inviter) InviteLinks(cid crdt.ID) ([]api.InviteLink, error) {
	return iv.cfg.Secrets.Links(cid)
}

// sealDetails seals an invite's details d to its seed: an inviter name
// crdt would not take is left out, not the invite, and the description
// goes only if the sealed details fit crdt.MaxDetailsSize.
func sealDetails(seed []byte, d crdt.InviteDetails) ([]byte, error) {
	if d.Check() != nil {
		d.Inviter = ""
	}
	details, err := crdt.Marshal(&d)
	if err != nil {
		return nil, err
	}
	sealed := e2ee.SealInvite(seed, details)
	if len(sealed) > crdt.MaxDetailsSize {
		d.Description = ""
		if details, err = crdt.Marshal(&d); err != nil {
			return nil, err
		}
		sealed = e2ee.SealInvite(seed, details)
	}
	return sealed, nil
}
