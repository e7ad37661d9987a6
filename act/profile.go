package act

import (
	"context"
	"errors"
	"sync"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity"
)

// NameSaver keeps the local member's display name across restarts (the
// node saves it next to the identity key).
type NameSaver interface {
	// SaveName stores name, already checked.
	SaveName(name string) error
}

// PhotoSaver keeps the local member's profile photo across restarts (the
// node saves it next to the display name).
type PhotoSaver interface {
	// SavePhoto stores picture b, already checked; empty b removes it.
	SavePhoto(b []byte) error
}

// Held lists the communities this device holds (sync/replica's Replica
// is one).
type Held interface {
	// Communities lists the ids of the communities held.
	Communities() []crdt.ID
}

// Membership tells whether the local member is still in a community
// (package view's Directory is one).
type Membership interface {
	// StillMember fails when the local member was removed from community
	// cid or left it.
	StillMember(cid crdt.ID) error
}

// ProfileConfig is what a Profile needs; every field is required but
// Photo and Photos.
type ProfileConfig struct {
	// Name is the display name at start (from the identity).
	Name string
	// Photo is the photo at start (as Photos saved it), nil for none; one
	// that is no picture (crdt.CheckImage) is dropped.
	Photo []byte
	// Photos keeps the photo across restarts; nil keeps it in memory only.
	Photos PhotoSaver
	Saver  NameSaver
	Author Author
	Held   Held
	Member Membership
}

// Profile is the local member's display name: kept on this device, and
// written as a profile op to each community the member is in. It is safe
// for concurrent use.
type Profile struct {
	author Author
	saver  NameSaver
	photos PhotoSaver // nil: not kept across restarts
	held   Held
	member Membership

	mu    sync.Mutex
	name  string        // guarded by mu
	photo *crdt.Picture // the last photo set, nil for none; guarded by mu
}

// NewProfile returns the Profile of cfg.
func NewProfile(cfg ProfileConfig) (*Profile, error) {
	switch {
	case cfg.Saver == nil:
		return nil, errors.New("profile config: Saver is required")
	case cfg.Author == nil:
		return nil, errors.New("profile config: Author is required")
	case cfg.Held == nil:
		return nil, errors.New("profile config: Held is required")
	case cfg.Member == nil:
		return nil, errors.New("profile config: Member is required")
	}
	p := &Profile{author: cfg.Author, saver: cfg.Saver, photos: cfg.Photos, held: cfg.Held, member: cfg.Member, name: cfg.Name}
	if len(cfg.Photo) > 0 && checkPicture(cfg.Photo) == nil {
		p.photo = keptPicture(cfg.Photo)
	}
	return p, nil
}

// Name is the local member's display name.
func (p *Profile) Name() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.name
}

// SetName changes the display name, on this device and in every community
// the local member is still in. The name is checked (identity.ValidateName)
// and saved before any op is written; a community whose profile op fails
// does not stop the others, and the error joins all the failures.
func (p *Profile) SetName(ctx context.Context, name string) error {
	name, err := identity.ValidateName(name)
	if err != nil {
		return err
	}
	if err := p.saver.SaveName(name); err != nil {
		return err
	}
	p.mu.Lock()
	p.name = name
	p.mu.Unlock()
	var errs []error
	for _, cid := range p.held.Communities() {
		if p.member.StillMember(cid) == nil {
			errs = append(errs, p.Write(ctx, cid))
		}
	}
	return errors.Join(errs...)
}

// Photo is the local member's profile photo as last set on this device
// (SetPhoto), nil when it has none. Op is the digest of its bytes, so the
// same picture keeps the same cache key.
func (p *Profile) Photo() *crdt.Picture {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.photo
}

// Joined writes the kept photo (if any) to community cid, which the local
// member has just joined: the name travels in the join op, the photo
// does not.
func (p *Profile) Joined(ctx context.Context, cid crdt.ID) error {
	ph := p.Photo()
	if ph == nil {
		return nil
	}
	return p.writePhoto(ctx, cid, ph.Data)
}

// writePhoto writes picture b (empty: none) as a photo op to community cid.
func (p *Profile) writePhoto(ctx context.Context, cid crdt.ID, b []byte) error {
	body, err := crdt.EncodeBody(&crdt.PhotoBody{Image: b})
	if err != nil {
		return err
	}
	_, err = p.author.Write(ctx, cid, crdt.ZeroID, crdt.KindPhoto, body)
	return err
}

// Write writes the current display name as a profile op to community cid.
func (p *Profile) Write(ctx context.Context, cid crdt.ID) error {
	body, err := crdt.EncodeBody(&crdt.ProfileBody{Name: p.Name()})
	if err != nil {
		return err
	}
	_, err = p.author.Write(ctx, cid, crdt.ZeroID, crdt.KindProfile, body)
	return err
}
