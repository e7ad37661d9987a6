package view

import (
	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// IsPrivate reports whether group gid of community cid is a private
// conversation, so that events about its messages are marked for the app
// to notify of each one (api.Event.Private).
func (v *Views) IsPrivate(cid, gid crdt.ID) bool {
	private := false
	_ = v.rep.View(cid, func(c *crdt.Community) error {
		g := c.State().Groups[gid]
		private = g != nil && g.Private()
		return nil
	})
	return private
}

// TouchesHome says which lists of community cid's home content op o may
// change (api.Event.Home): a tick in the local member's own progress log
// its first steps; a promotion or its edit the promotions; an event, its
// edit or an answer to it the events; a win the Wall of wins; a question
// asked in a Q&A group, an edit there or an answer marked the Q&A and the
// FAQ; a change of a collection the collections; a deletion any list but
// the steps (it may take away what one lists). Other posts, replies,
// edits, reactions, votes, pins and calls change none.
func (v *Views) TouchesHome(cid crdt.ID, o *crdt.Op) api.HomeParts {
	switch o.Kind {
	case crdt.KindStep:
		if o.Author == v.self {
			return api.HomeSteps
		}
		return 0
	case crdt.KindPromo, crdt.KindPromoEdit:
		return api.HomePromos
	case crdt.KindEvent, crdt.KindEventEdit, crdt.KindRSVP:
		return api.HomeEvents
	case crdt.KindWin:
		return api.HomeWins
	case crdt.KindAnswer:
		return api.HomeQA
	case crdt.KindCollect:
		return api.HomeCollections
	case crdt.KindDelete:
		return api.HomeAll &^ api.HomeSteps
	case crdt.KindMessage, crdt.KindEdit:
	default:
		return 0
	}
	var parts api.HomeParts
	_ = v.rep.View(cid, func(c *crdt.Community) error {
		if g := c.State().Groups[o.Log]; g == nil || !g.QA {
			return nil
		}
		if b, ok := c.Body(o.ID()).(*crdt.MessageBody); o.Kind == crdt.KindEdit || ok && len(b.ReplyTo) == 0 {
			parts = api.HomeQA
		}
		return nil
	})
	return parts
}

// TouchesNewcomers reports whether content op o of community cid may
// change what Newcomers lists (api.Event.Newcomers): a post in a member's
// progress log (a tick), an admin's or owner's message that mentions
// members (it welcomes them), or a deletion (of such a message).
func (v *Views) TouchesNewcomers(cid crdt.ID, o *crdt.Op) bool {
	touches := false
	_ = v.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		if g := st.Groups[o.Log]; g != nil && g.Progress() || o.Kind == crdt.KindDelete {
			touches = true
			return nil
		}
		if b, ok := c.Body(o.ID()).(*crdt.MessageBody); ok && len(b.Mentions) > 0 && st.Role(o.Author) >= crdt.RoleAdmin {
			touches = true
		}
		return nil
	})
	return touches
}
