package node

import (
	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The team lists that depend on the time (package view's team.go); the
// others come with the embedded views, the team actions with the embedded
// act.Actions.

// Promos returns a community's running promotions (all with all), the
// soonest to end first.
func (n *Node) Promos(cid crdt.ID, all bool) ([]api.Promo, error) {
	return n.views.Promos(cid, n.now(), all)
}

// Events returns a community's events that have not ended (all with
// all), the soonest first.
func (n *Node) Events(cid crdt.ID, all bool) ([]api.CalendarEvent, error) {
	return n.views.Events(cid, n.now(), all)
}
