package ui

import (
	"fmt"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Requests to join that wait for the local member's decision: a badge in
// the community's home and in the rail, and a notification when a new one
// arrives. Only where crdt says the member may decide them (the
// CanDecideJoins flags); the app never works that out itself.

// pendingRequests are the requests to join a community and its groups
// that the local member may decide.
type pendingRequests struct {
	join   []api.JoinRequest             // to join the community
	groups map[crdt.ID][]api.JoinRequest // to join its approval groups
}

// total counts every request.
func (p pendingRequests) total() int {
	n := len(p.join)
	for _, rs := range p.groups {
		n += len(rs)
	}
	return n
}

// readRequests reads the requests the local member may decide in
// community c, whose groups are gs.
func (a *App) readRequests(c api.Community, gs []api.Group) pendingRequests {
	var p pendingRequests
	if departedText(c) != "" {
		return p
	}
	if c.CanDecideJoins {
		if rs, err := a.b.JoinRequests(c.ID); err == nil {
			p.join = rs
		}
	}
	for _, g := range gs {
		if !g.CanDecideJoins || g.Policy != "approval" {
			continue
		}
		if rs, err := a.b.GroupRequests(c.ID, g.ID); err == nil && len(rs) > 0 {
			if p.groups == nil {
				p.groups = map[crdt.ID][]api.JoinRequest{}
			}
			p.groups[g.ID] = rs
		}
	}
	return p
}

// checkRequests records community c's pending requests and shows a
// notification for each that arrived since the last look. The first look
// at a community only records them.
func (a *App) checkRequests(c api.Community, gs []api.Group) {
	a.checkMyRequests(c, gs)
	if a.requests == nil {
		a.requests = map[crdt.ID]pendingRequests{}
	}
	cur := a.readRequests(c, gs)
	prev, known := a.requests[c.ID]
	a.requests[c.ID] = cur
	if cur.total() != prev.total() {
		a.rail.refresh()
	}
	if !known {
		return
	}
	isNew := func(old []api.JoinRequest, r api.JoinRequest) bool {
		for _, o := range old {
			if o.PeerID == r.PeerID {
				return false
			}
		}
		return true
	}
	for _, r := range cur.join {
		if isNew(prev.join, r) {
			a.notify("Request to join "+c.Name, r.Name+" asks to join "+c.Name+". Open the community to let them in.")
		}
	}
	for _, g := range gs {
		for _, r := range cur.groups[g.ID] {
			if isNew(prev.groups[g.ID], r) {
				a.notify("Request to join "+g.Name, r.Name+" asks to join "+g.Name+" in "+c.Name+".")
			}
		}
	}
}

// checkMyRequests tells the local member when an admin denied its
// request to join one of community c's groups gs (it was waiting at the
// last look and is now denied).
func (a *App) checkMyRequests(c api.Community, gs []api.Group) {
	if a.asked == nil {
		a.asked = map[crdt.ID]bool{}
	}
	for _, g := range gs {
		was := a.asked[g.ID]
		a.asked[g.ID] = g.Requested
		if was && g.Denied {
			a.notify("Request declined", "An admin of "+c.Name+" declined your request to join "+g.Name+".")
		}
	}
}

// requestsText says how many requests wait: "2 requests".
func requestsText(n int) string {
	if n == 1 {
		return "1 request"
	}
	return fmt.Sprintf("%d requests", n)
}
