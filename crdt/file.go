package crdt

import "bytes"

// MayFetch reports whether member k may fetch the file at root from this
// node: whether a message that shares it, not deleted, is in a group k may
// read in the current state. A removed member reads no group, so it
// fetches nothing; a member who may read a group fetches every file shared
// there, as it reads every message. It folds the groups' views: callers
// ask once per stream, not per chunk.
func (c *Community) MayFetch(k PublicKey, root []byte) bool {
	st := c.State()
	for _, g := range c.ContentLogs() {
		if !st.MayRead(k, g) {
			continue
		}
		for _, p := range c.View(g).Posts {
			if p.File != nil && bytes.Equal(p.File.Root, root) {
				return true
			}
		}
	}
	return false
}
