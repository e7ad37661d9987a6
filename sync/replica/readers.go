package replica

import "github.com/umbrella-p2p/umbrella/crdt"

// Narrow queries for the gossip adapter: each takes the replica's lock
// once and returns plain values, so callers need no View closure.

// Role returns member k's role in community cid: RoleNone for a key that
// is no member, or a community this replica does not hold.
func (r *Replica) Role(cid crdt.ID, k crdt.PublicKey) crdt.Role {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.communities[cid]
	if c == nil {
		return crdt.RoleNone
	}
	return c.State().Role(k)
}

// Readable returns the logs of community cid that member k may read: the
// control log (the zero id) first, then the groups it may read, in no
// particular order. It fails with ErrUnknownCommunity for a community
// this replica does not hold.
func (r *Replica) Readable(cid crdt.ID, k crdt.PublicKey) ([]crdt.ID, error) {
	out := []crdt.ID{crdt.ZeroID}
	err := r.View(cid, func(c *crdt.Community) error {
		st := c.State()
		for gid := range st.Groups {
			if st.MayRead(k, gid) {
				out = append(out, gid)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Readers returns those of keys that may read log lg of community cid
// (none for a community this replica does not hold).
func (r *Replica) Readers(cid, lg crdt.ID, keys []crdt.PublicKey) []crdt.PublicKey {
	var out []crdt.PublicKey
	_ = r.View(cid, func(c *crdt.Community) error {
		st := c.State()
		for _, k := range keys {
			if st.MayRead(k, lg) {
				out = append(out, k)
			}
		}
		return nil
	})
	return out
}

// Lacks returns what op cites (parents, deps, a target) that community cid
// does not hold accepted. It fails with ErrUnknownCommunity for a
// community this replica does not hold.
func (r *Replica) Lacks(cid crdt.ID, op *crdt.Op) ([]crdt.ID, error) {
	var missing []crdt.ID
	err := r.View(cid, func(c *crdt.Community) error {
		missing = c.Missing(op)
		return nil
	})
	return missing, err
}
