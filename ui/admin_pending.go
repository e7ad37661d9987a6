package ui

import "github.com/umbrella-p2p/umbrella/crdt"

// The admin screens not written yet on this branch; these entry points
// are what the rest of the app calls.

// showAudit shows the admin actions that took effect.
func (a *App) showAudit(cid crdt.ID) {}
