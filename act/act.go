// Package act is what a member does in a community: post, reply, edit,
// delete, pin, react, polls and votes, groups and their members, and the
// admin actions (settings, invites, join requests, roles, removals), with
// the lists those actions are decided from (groups, settings, invites,
// requests, the audit log).
//
// An action checks its input, turns it into an op body and hands it to
// the Author it is given, which signs, seals, stores and publishes it. The
// package reads community state only through the Replica interface it
// declares. It never judges who may do what (crdt does, when the op is
// applied), never signs or publishes an op itself, never starts a
// goroutine, never reads the wall clock (the Config's Now does) and never
// imports the network stack: it builds without libp2p, QUIC or Badger.
package act

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Author writes new ops as the local member (the node's author path:
// signing, sealing, storing durably and publishing).
type Author interface {
	// Write signs body as an op of kind in log of community cid, ingests
	// and publishes it, and returns it.
	Write(ctx context.Context, cid, log crdt.ID, kind crdt.Kind, body []byte) (*crdt.Op, error)
}

// Replica gives read access to the communities this device holds
// (sync/replica's Replica is one).
type Replica interface {
	// View calls fn with community cid's state while holding the lock that
	// keeps it still; fn must not keep references to the community.
	View(cid crdt.ID, fn func(*crdt.Community) error) error
}

// Views shows messages and groups as the member sees them (package view's
// Views is one).
type Views interface {
	// Message returns one message or poll of a group.
	Message(cid, gid, id crdt.ID) (api.Message, error)
	// FillGroups fills in the groups' unread counts, mentions and mutes.
	FillGroups(cid crdt.ID, groups []api.Group) error
}

// Names names members for people and finds them by peer id.
type Names interface {
	// Name is member k's display name in state st.
	Name(st *crdt.State, k crdt.PublicKey) string
	// PeerID is the text of member k's peer id.
	PeerID(k crdt.PublicKey) string
	// Key is the member key of a peer id given as text; the error wraps
	// crdt.ErrInvalid when peerID is not an Ed25519 peer id.
	Key(peerID string) (crdt.PublicKey, error)
	// RelayAddr splits a relay's address as `umbrellad relay` prints it
	// (a multiaddr ending in /p2p/ID) into the relay's key and the
	// addresses to dial it at, without /p2p/; the error wraps
	// crdt.ErrInvalid and says what is wrong with the address.
	RelayAddr(addr string) (crdt.PublicKey, []string, error)
}

// Rotator renews a log's group keys and hands them to added members.
type Rotator interface {
	// Rotate starts a new key epoch for log of community cid for the
	// reason given (a crdt.Rekey* value), withholding it from exclude
	// when that is set.
	Rotate(ctx context.Context, cid, log crdt.ID, reason uint8, exclude *crdt.PublicKey) error
	// Share wraps to member k of community cid, in the control log, the
	// epochs of logs that the local member holds and k lacks (crdt's
	// RekeyShare), so k reads them from any holder of the log; a member
	// with no prekey to wrap to gets nothing, and that is no error.
	Share(ctx context.Context, cid crdt.ID, k crdt.PublicKey, logs []crdt.ID) error
}

// Config is what Actions needs; every field is required.
type Config struct {
	Author  Author
	Replica Replica
	Views   Views
	Names   Names
	// Keys renews group keys for a new group and before a removal.
	Keys Rotator
	// Self is the local member's key.
	Self crdt.PublicKey
	// Now is the wall clock; op times and poll closing use it.
	Now func() time.Time
}

// Validate checks that the required parts are there.
func (c Config) Validate() error {
	switch {
	case c.Author == nil:
		return errors.New("act config: Author is required")
	case c.Replica == nil:
		return errors.New("act config: Replica is required")
	case c.Views == nil:
		return errors.New("act config: Views is required")
	case c.Names == nil:
		return errors.New("act config: Names is required")
	case c.Keys == nil:
		return errors.New("act config: Keys is required")
	case c.Now == nil:
		return errors.New("act config: Now is required")
	}
	return nil
}

// Actions performs the local member's actions in the communities it holds.
// It holds no state of its own and is safe for concurrent use as far as
// its parts are.
type Actions struct {
	author Author
	rep    Replica
	views  Views
	names  Names
	keys   Rotator
	self   crdt.PublicKey
	now    func() time.Time
}

// New returns the Actions of cfg.
func New(cfg Config) (*Actions, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Actions{author: cfg.Author, rep: cfg.Replica, views: cfg.Views, names: cfg.Names,
		keys: cfg.Keys, self: cfg.Self, now: cfg.Now}, nil
}

func (a *Actions) millis() int64 { return a.now().UnixMilli() }

func idBytes(id crdt.ID) []byte { return id[:] }

// write encodes body and writes it to log of community cid.
func (a *Actions) write(ctx context.Context, cid, log crdt.ID, kind crdt.Kind, body any) (crdt.ID, error) {
	b, err := crdt.EncodeAny(body)
	if err != nil {
		return crdt.ID{}, err
	}
	op, err := a.author.Write(ctx, cid, log, kind, b)
	if errors.Is(err, api.ErrNoKeys) && kind.IsContent() {
		// Wanting keys is the symptom; not being in the group (a private
		// conversation of others) is the reason, and says so.
		if why := a.judge(cid, log, kind); errors.Is(why, crdt.ErrUnauthorized) {
			return crdt.ID{}, fmt.Errorf("group %s: %w", log.Short(), why)
		}
	}
	if err != nil {
		return crdt.ID{}, err
	}
	return op.ID(), nil
}

// judge asks the community why it would refuse the local member's writing
// content of kind (on its own message, where it has a target) in group
// gid now, or returns nil.
func (a *Actions) judge(cid, gid crdt.ID, kind crdt.Kind) error {
	return a.rep.View(cid, func(c *crdt.Community) error {
		return c.State().Judge(a.self, crdt.Action{Kind: kind, Group: gid})
	})
}

// checkGroup fails unless community cid has group gid.
func (a *Actions) checkGroup(cid, gid crdt.ID) error {
	return a.rep.View(cid, func(c *crdt.Community) error {
		if _, ok := c.State().Groups[gid]; !ok {
			return fmt.Errorf("group %s: %w", gid.Short(), api.ErrUnknownGroup)
		}
		return nil
	})
}
