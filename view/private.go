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
