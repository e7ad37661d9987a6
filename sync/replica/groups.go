package replica

import "github.com/umbrella-p2p/umbrella/crdt"

// Groups returns the groups of community cid, in no particular order
// (none for a community this replica does not hold).
func (r *Replica) Groups(cid crdt.ID) []crdt.ID {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.communities[cid]
	if c == nil {
		return nil
	}
	st := c.State()
	out := make([]crdt.ID, 0, len(st.Groups))
	for gid := range st.Groups {
		out = append(out, gid)
	}
	return out
}
