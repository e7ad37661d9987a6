package view

import "github.com/umbrella-p2p/umbrella/crdt"

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
