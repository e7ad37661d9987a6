package node

import (
	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The team lists (package view's team.go); the team actions come with the
// embedded act.Actions.

// Wins returns a community's wins, newest first (one member's, given its
// peer id).
func (n *Node) Wins(cid crdt.ID, member string) ([]api.Win, error) { return n.views.Wins(cid, member) }

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

// Event returns one event of a community.
func (n *Node) Event(cid, id crdt.ID) (api.CalendarEvent, error) { return n.views.Event(cid, id) }

// FAQ returns the answered questions of a community's Q&A groups, those
// matching search when it is not empty.
func (n *Node) FAQ(cid crdt.ID, search string) ([]api.FAQEntry, error) {
	return n.views.FAQ(cid, search)
}

// Questions returns the questions of a community's Q&A groups, oldest
// first (only the unanswered ones with unanswered).
func (n *Node) Questions(cid crdt.ID, unanswered bool) ([]api.Question, error) {
	return n.views.Questions(cid, unanswered)
}

// Collections returns a community's collections with their messages.
func (n *Node) Collections(cid crdt.ID) ([]api.Collection, error) { return n.views.Collections(cid) }
