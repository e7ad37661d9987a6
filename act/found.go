package act

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// FounderKeys is the key work of founding a community (keys.Manager is
// one): the genesis sealed under a first control epoch drawn before the
// community exists, then the founder's prekey, rekey ops and topic secret.
type FounderKeys interface {
	Rotator
	// SealGenesis seals draft under a fresh control epoch and returns the
	// epoch and its secret.
	SealGenesis(draft *crdt.Op) (crdt.EpochID, []byte, error)
	// Bind names community cid as the one epoch id belongs to.
	Bind(ctx context.Context, id crdt.EpochID, cid crdt.ID) error
	// PublishPrekey writes the local member's prekey to community cid.
	PublishPrekey(ctx context.Context, cid crdt.ID) error
	// WriteEpoch wraps epoch id's secret for log of community cid in a
	// rekey op.
	WriteEpoch(ctx context.Context, cid, log crdt.ID, id crdt.EpochID, secret []byte, reason uint8, exclude *crdt.PublicKey) error
	// NewSecret draws community cid's topic secret.
	NewSecret(ctx context.Context, cid crdt.ID) error
}

// Genesis takes in the genesis op of a new community (the node's replica,
// expecting the community and ingesting the op as opened).
type Genesis interface {
	// Found stores and applies genesis, the first op of a new community.
	Found(ctx context.Context, genesis crdt.Opened) error
}

// Summary summarises a community as the API shows it (package view's
// Directory is one).
type Summary interface {
	// Community summarises community cid.
	Community(cid crdt.ID) (api.Community, error)
}

// FounderConfig is what a Founder needs; every field is required.
type FounderConfig struct {
	// Signer is the local member's identity key; it signs the genesis.
	Signer  crdt.Signer
	Keys    FounderKeys
	Genesis Genesis
	Author  Author
	// Profile writes the founder's name into the new community.
	Profile *Profile
	Summary Summary
	// Emit tells subscribers about the new community.
	Emit func(api.Event)
	Now  func() time.Time
}

// Founder creates communities owned by the local member. It is the one
// place in this package that signs an op itself: a genesis is signed
// before its community exists, so no Author path can write it; every
// later op of the founding goes through the Author.
type Founder struct{ cfg FounderConfig }

// NewFounder returns the Founder of cfg.
func NewFounder(cfg FounderConfig) (*Founder, error) {
	switch {
	case cfg.Signer == nil:
		return nil, errors.New("founder config: Signer is required")
	case cfg.Keys == nil:
		return nil, errors.New("founder config: Keys is required")
	case cfg.Genesis == nil:
		return nil, errors.New("founder config: Genesis is required")
	case cfg.Author == nil:
		return nil, errors.New("founder config: Author is required")
	case cfg.Profile == nil:
		return nil, errors.New("founder config: Profile is required")
	case cfg.Summary == nil:
		return nil, errors.New("founder config: Summary is required")
	case cfg.Emit == nil:
		return nil, errors.New("founder config: Emit is required")
	case cfg.Now == nil:
		return nil, errors.New("founder config: Now is required")
	}
	return &Founder{cfg: cfg}, nil
}

// CreateCommunity creates a community owned by the local member, with its
// announcement group and a first group named General.
func (f *Founder) CreateCommunity(ctx context.Context, name string) (api.Community, error) {
	cfg := f.cfg
	name = strings.TrimSpace(name)
	body, err := crdt.EncodeBody(&crdt.GenesisBody{Name: name, Time: cfg.Now().UnixMilli()})
	if err != nil {
		return api.Community{}, err
	}
	// The genesis is sealed under the control log's first epoch, drawn
	// before the community (and its id) exists; the founder's first rekey
	// op then wraps it, and joiners get it from any member.
	draft := crdt.Op{Kind: crdt.KindGenesis, Height: 1, Body: body, Author: crdt.PublicKey(cfg.Signer.PublicKey())}
	e0, secret, err := cfg.Keys.SealGenesis(&draft)
	if err != nil {
		return api.Community{}, err
	}
	genesis, err := crdt.Sign(draft, cfg.Signer)
	if err != nil {
		return api.Community{}, err
	}
	cid := genesis.ID()
	if err := cfg.Keys.Bind(ctx, e0, cid); err != nil {
		return api.Community{}, err
	}
	if err := cfg.Genesis.Found(ctx, crdt.Opened{Op: genesis, Plain: body}); err != nil {
		return api.Community{}, err
	}
	if err := cfg.Keys.PublishPrekey(ctx, cid); err != nil {
		return api.Community{}, err
	}
	if err := cfg.Keys.WriteEpoch(ctx, cid, crdt.ZeroID, e0, secret, crdt.RekeyInitial, nil); err != nil {
		return api.Community{}, err
	}
	if err := cfg.Keys.Rotate(ctx, cid, cid, crdt.RekeyInitial, nil); err != nil { // the announcement group
		return api.Community{}, err
	}
	if err := cfg.Keys.NewSecret(ctx, cid); err != nil {
		return api.Community{}, err
	}
	if err := cfg.Profile.Write(ctx, cid); err != nil {
		return api.Community{}, err
	}
	gb, err := crdt.EncodeBody(&crdt.GroupCreateBody{Name: api.DefaultGroupName, Policy: crdt.PolicyEveryone, Time: cfg.Now().UnixMilli()})
	if err != nil {
		return api.Community{}, err
	}
	general, err := cfg.Author.Write(ctx, cid, crdt.ZeroID, crdt.KindGroupCreate, gb)
	if err != nil {
		return api.Community{}, err
	}
	if err := cfg.Keys.Rotate(ctx, cid, general.ID(), crdt.RekeyInitial, nil); err != nil {
		return api.Community{}, err
	}
	cfg.Emit(api.Event{Kind: api.EventCommunities, Community: cid})
	return cfg.Summary.Community(cid)
}
