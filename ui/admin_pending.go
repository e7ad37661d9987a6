package ui

import "github.com/umbrella-p2p/umbrella/crdt"

// The admin screens not written yet on this branch; these entry points
// are what the rest of the app calls.

// showCommunitySettings changes the community's name, description, join
// policy, who creates groups, and history for newcomers.
func (a *App) showCommunitySettings(cid crdt.ID) {}

// showAudit shows the admin actions that took effect.
func (a *App) showAudit(cid crdt.ID) {}
