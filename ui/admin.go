package ui

import (
	"fyne.io/fyne/v2"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/node"
)

// The admin screens. (Being written on the ui-admin branch; these entry
// points are what the rest of the app calls.)

// showMembers lists a community's members with roles and safety numbers;
// admins promote, demote and remove from it.
func (a *App) showMembers(cid crdt.ID) {}

// memberActions are what the local member may do to member m: promote,
// demote, remove (each confirmed first).
func (a *App) memberActions(cid crdt.ID, m node.Member) []*fyne.MenuItem { return nil }

// showInviteManager creates invite links (expiry, uses; copy, QR code) and
// lists and revokes the existing ones.
func (a *App) showInviteManager(cid crdt.ID) {}

// showRequests lists who asks to join the community, to approve or deny.
func (a *App) showRequests(cid crdt.ID) {}

// showCreateGroup creates a group (or, where members only suggest, a
// suggestion).
func (a *App) showCreateGroup(cid crdt.ID) {}

// showGroupSettings renames, describes, re-policies or archives a group,
// and decides requests to join it.
func (a *App) showGroupSettings(cid, gid crdt.ID) {}

// showCommunitySettings changes the community's name, description, join
// policy, who creates groups, and history for newcomers.
func (a *App) showCommunitySettings(cid crdt.ID) {}

// showAudit shows the admin actions that took effect.
func (a *App) showAudit(cid crdt.ID) {}
