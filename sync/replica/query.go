package replica

import (
	"fmt"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Narrow queries of one community's state, for callers that need one fact
// and should not hold the replica's lock through a View of their own
// (Role is in readers.go).

// Departure returns how k went from community id (removed, left, or its
// join undone), or nil while k is a member, was never one, or the replica
// does not hold the community. The Departure is never mutated.
func (r *Replica) Departure(id crdt.ID, k crdt.PublicKey) *crdt.Departure {
	var d *crdt.Departure
	_ = r.View(id, func(c *crdt.Community) error {
		d = c.State().Departed[k]
		return nil
	})
	return d
}

// Arrived reports whether member k has published a prekey in community
// id: a member's node does so as soon as it holds the community, so a
// member without one (added directly, say) has not arrived yet.
func (r *Replica) Arrived(id crdt.ID, k crdt.PublicKey) bool {
	var ok bool
	_ = r.View(id, func(c *crdt.Community) error {
		ok = c.State().Prekeys[k] != nil
		return nil
	})
	return ok
}

// Snapshot returns community id's control state as it stands now,
// read-only and never changing (crdt.Community.Snapshot): the caller reads
// it without the replica's lock while ops go on being ingested. It fails
// with ErrUnknownCommunity for a community this replica does not hold.
func (r *Replica) Snapshot(id crdt.ID) (*crdt.State, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.communities[id]
	if c == nil {
		return nil, fmt.Errorf("community %s: %w", id.Short(), ErrUnknownCommunity)
	}
	return c.Snapshot(), nil
}

// MayFetch reports whether member k may fetch the file at root from this
// node at now (unix milliseconds) in any community the replica holds
// (crdt.Community.MayFetch: a message or a running promotion sharing it
// that k may read).
func (r *Replica) MayFetch(k crdt.PublicKey, root []byte, now int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.communities {
		if c.MayFetch(k, root, now) {
			return true
		}
	}
	return false
}
