package api

import (
	"errors"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// ErrUnknownMessage: the group has no such message or poll.
var ErrUnknownMessage = errors.New("no such message in this group")

// ErrUnknownMember: the community has no such member.
var ErrUnknownMember = errors.New("no such member in this community")

// ErrNoPeer: none of an invite's addresses could be reached.
var ErrNoPeer = errors.New("could not reach any member of the community")

// ErrPrivateRestricted: the community's settings let members start
// private conversations only with admins and owners.
var ErrPrivateRestricted = crdt.ErrPrivateRestricted

// ErrPrivateSelf: a private conversation is with other members, not with
// oneself alone.
var ErrPrivateSelf = errors.New("a private conversation is with other members; leave yourself out")

// ErrUnknownGroup: the community has no such group.
var ErrUnknownGroup = errors.New("no such group in this community")

// Errors of writing in a community the local member is no longer in.
var (
	// ErrRemoved: an admin removed the local member from the community.
	ErrRemoved = errors.New("you were removed from this community")
	// ErrLeft: the local member left the community.
	ErrLeft = errors.New("you left this community")
	// ErrJoinUndone: the local member's join took effect and was undone
	// (its link was revoked, or whoever made it lost the right to invite,
	// while it joined).
	ErrJoinUndone = errors.New("your join was undone")
)

// Errors of the key layer.
var (
	// ErrNoKeys: this node does not hold the keys of the group yet.
	ErrNoKeys = errors.New("this device has not received the group's encryption keys yet; it asks members when it syncs")
	// ErrKeysRenewing: the group's keys must be renewed after a removal
	// before anything more is written; an admin does it when online.
	ErrKeysRenewing = errors.New("the group's keys are being renewed after someone left; try again when an admin is online")
)

// Why an invite does not admit; a join refused for one of these wraps it
// as well as ErrJoinRefused.
var (
	// ErrInviteExpired: the invite's expiry has passed, by this node's
	// clock or by the clock of the member asked to admit.
	ErrInviteExpired = errors.New("the invite expired")
	// ErrInviteRevoked: an admin revoked the invite, or it no longer
	// stands because a removal of its maker undid it.
	ErrInviteRevoked = errors.New("the invite was revoked")
	// ErrInviteUsedUp: the invite has admitted as many people as it
	// allows.
	ErrInviteUsedUp = errors.New("the invite is used up")
	// ErrInviteLapsed: the admin who made the invite is no longer an
	// admin (was removed, demoted or left), so it admits no one.
	ErrInviteLapsed = errors.New("the admin who made the invite is no longer an admin")
)

// ErrJoinRefused: a member of the community turned the join down, and
// says why (the invite expired, was revoked or is used up).
var ErrJoinRefused = errors.New("join refused")

// ErrJoinDenied: an admin declined this member's request to join a
// community that admits by approval. A join refused so wraps it as well
// as ErrJoinRefused.
var ErrJoinDenied = errors.New("an admin declined the request to join")
