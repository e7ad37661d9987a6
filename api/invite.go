package api

import (
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// DefaultInviteLifetime is how long a new invite link works.
const DefaultInviteLifetime = 7 * 24 * time.Hour

// DefaultGroupName is the name of the group every new community starts with.
const DefaultGroupName = "General"

// InviteOptions shape a new invite link.
type InviteOptions struct {
	// Lifetime is how long the link works: 0 means DefaultInviteLifetime,
	// a negative value means it never expires.
	Lifetime time.Duration `json:"lifetime,omitempty"`
	// MaxUses is how many people it admits; 0 means no limit.
	MaxUses int `json:"max_uses,omitempty"`
}

// Invite is what a parsed and verified invite link says: the community it
// joins, by name, and until when it works.
type Invite struct {
	Community   crdt.ID
	Name        string
	Expires     time.Time // zero: never
	Inviter     string    // the inviting admin's display name; empty if the link does not say
	Description string    // the community's description; empty if the link does not carry it
}

// RoleRequested is the role Join reports for a community that admits by
// approval: the node asked to join and becomes a member, by itself, once an
// admin approves.
const RoleRequested = "requested"
