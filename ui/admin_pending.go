package ui

import "github.com/umbrella-p2p/umbrella/crdt"

// The admin screens not written yet on this branch; these entry points
// are what the rest of the app calls.

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
