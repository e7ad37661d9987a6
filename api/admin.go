package api

import (
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Settings are a community's settings, as admins change them.
type Settings struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// JoinPolicy is "link" (an invite link makes you a member) or
	// "approval" (it asks to join; an admin decides).
	JoinPolicy string `json:"join_policy"`
	// MembersCreateGroups: members create groups themselves; otherwise
	// their new groups are suggestions an admin approves.
	MembersCreateGroups bool `json:"members_create_groups"`
	// HideHistory: new members are not shown what was said before they
	// joined (a display rule: see README, End-to-end encryption).
	HideHistory bool `json:"hide_history"`
	// PrivateToAdminsOnly: members may start private conversations only
	// with admins and owners, not with each other (admins always may).
	// False by default.
	PrivateToAdminsOnly bool `json:"private_to_admins_only"`
	Deactivated         bool `json:"deactivated,omitempty"`

	// MaxFileSize is the largest file members may share, in bytes; 0:
	// the protocol's 2 GiB (crdt.State.FileLimit).
	MaxFileSize int64 `json:"max_file_size,omitempty"`
}

// InviteInfo describes one invite of a community, for the invite manager.
type InviteInfo struct {
	ID      crdt.ID    `json:"id"`
	By      string     `json:"by"` // display name of its creator
	Created time.Time  `json:"created"`
	Expires *time.Time `json:"expires,omitempty"`
	MaxUses int        `json:"max_uses,omitempty"` // 0: unlimited
	Uses    int        `json:"uses"`
	Revoked bool       `json:"revoked,omitempty"`
	Expired bool       `json:"expired,omitempty"`
	// Lapsed: its maker is no longer an admin (was removed, demoted or
	// left), so it admits no one, for good (crdt.Invite.Lapsed).
	Lapsed bool `json:"lapsed,omitempty"`
}

// SentRequest is the local member's own request to join a community that
// admits by approval, made on this device: waiting for an admin, or
// declined. It lasts until the member is let in or dismisses it.
type SentRequest struct {
	Community crdt.ID `json:"community"`
	Name      string  `json:"name"`
	// Declined: an admin declined the request (a member the requester
	// asked again said so); it waits no more.
	Declined bool `json:"declined,omitempty"`
}

// JoinRequest is someone asking to join a community or an approval group.
type JoinRequest struct {
	PeerID string    `json:"peer_id"`
	Name   string    `json:"name"`
	Time   time.Time `json:"time"`
}

// GroupSettings are what an admin (or a group's creator) may change of a
// group.
type GroupSettings struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Policy      string `json:"policy"` // "open", "approval" or "everyone"
	Archived    bool   `json:"archived"`
	// Approve makes a member's suggested group a real one (admins).
	Approve bool `json:"approve,omitempty"`
}

// InviteLink is an invite with its link, when the node made it, still
// holds its secret and it admits people; Link is empty otherwise.
type InviteLink struct {
	InviteInfo
	Link string `json:"link,omitempty"`
}
