// Package view is what a member sees of the communities this device holds:
// each group's messages in display order, a page at a time, with quotes of
// the messages they answer; search within a group; and what is unread and
// mentions the member, against this device's read marks and mutes.
//
// A group's display list — its posts in the deterministic order, less what
// a community that hides history does not show this member — is kept for
// the few groups read most recently, so that a page of a group of 100,000
// messages costs what the page holds (see list.go). Unread counts come
// from a cheaper pass over the timeline kept per group (see unread.go).
//
// The package reads community state only through the Replica interface it
// declares: timelines inside the replica's lock, the control state alone
// (members, groups) from read-only snapshots without it. It keeps read
// marks and mutes in the Meta store it is given. It never judges who may
// do what (crdt does), never writes an op, never starts a goroutine
// (WarmUp runs in the caller's) and never imports the network stack: it
// builds without libp2p, QUIC or Badger.
package view

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Replica gives read access to the communities this device holds
// (sync/replica's Replica is one).
type Replica interface {
	// View calls fn with community cid's state while holding the lock that
	// keeps it still; fn must not keep references to the community.
	View(cid crdt.ID, fn func(*crdt.Community) error) error
	// Snapshot returns community cid's control state as it stands now,
	// read-only: it never changes, so it is read without the lock.
	Snapshot(cid crdt.ID) (*crdt.State, error)
	// Communities lists the held communities.
	Communities() []crdt.ID
}

// Meta keeps small values of this device beside its ops (the node's op
// store is one): read marks and mutes, which never go into an op.
type Meta interface {
	// GetMeta returns the value under key, or an error wrapping the
	// Config's NotFound when there is none.
	GetMeta(ctx context.Context, key string) ([]byte, error)
	// PutMeta stores value under key.
	PutMeta(ctx context.Context, key string, value []byte) error
}

// Names names members for people.
type Names interface {
	// Name is member k's display name in state st.
	Name(st *crdt.State, k crdt.PublicKey) string
	// PeerID is the text of member k's peer id.
	PeerID(k crdt.PublicKey) string
}

// Config is what a Views needs. Replica, Meta and Names are required.
type Config struct {
	Replica Replica
	Meta    Meta
	// NotFound is the error Meta's GetMeta wraps when it holds nothing
	// under a key.
	NotFound error
	// Self is the local member's key.
	Self  crdt.PublicKey
	Names Names
	// Emit, when set, receives EventGroups and EventCommunities when a read
	// mark or a mute changes what is unread.
	Emit func(api.Event)
	// Logger receives logs; nil discards them.
	Logger *slog.Logger
}

// Validate checks that the required parts are there.
func (c Config) Validate() error {
	switch {
	case c.Replica == nil:
		return errors.New("view config: Replica is required")
	case c.Meta == nil:
		return errors.New("view config: Meta is required")
	case c.Names == nil:
		return errors.New("view config: Names is required")
	}
	return nil
}

// Views answers what the member sees of the groups of the communities a
// replica holds. It is safe for concurrent use.
type Views struct {
	rep      Replica
	meta     Meta
	notFound error
	self     crdt.PublicKey
	names    Names
	emit     func(api.Event)
	log      *slog.Logger
	// ctx bounds the reads of read marks and mutes made for calls that take
	// no context.
	ctx context.Context

	// mu guards the display lists and unread counts kept per group; it is
	// taken inside replica Views, never around one.
	mu      sync.Mutex
	lists   map[groupKey]*shownList   // guarded by mu
	tick    uint64                    // guarded by mu
	tallies map[groupKey]*groupCounts // guarded by mu

	localMu sync.Mutex
	local   map[groupKey]groupLocal // read marks and mutes loaded from Meta; guarded by localMu
}

// New returns the views of cfg.Replica's communities. ctx bounds the reads
// of read marks and mutes that calls without a context of their own make
// (MessagePage, FillGroups, Unread); give it the owner's lifetime.
func New(ctx context.Context, cfg Config) (*Views, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	emit := cfg.Emit
	if emit == nil {
		emit = func(api.Event) {}
	}
	return &Views{rep: cfg.Replica, meta: cfg.Meta, notFound: cfg.NotFound, self: cfg.Self, names: cfg.Names, emit: emit,
		log: log.With("component", "view"), ctx: ctx,
		lists: map[groupKey]*shownList{}, tallies: map[groupKey]*groupCounts{}, local: map[groupKey]groupLocal{}}, nil
}

type groupKey struct{ community, group crdt.ID }
