package replica

import "github.com/umbrella-p2p/umbrella/crdt"

// Accepted returns op id of community cid and its body as the community
// holds it (crdt.Community.Op and Body), or a nil op if the community (or
// this replica) holds no such accepted op.
func (r *Replica) Accepted(cid, id crdt.ID) (*crdt.Op, any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.communities[cid]
	if c == nil {
		return nil, nil
	}
	o := c.Op(id)
	if o == nil {
		return nil, nil
	}
	return o, c.Body(id)
}
