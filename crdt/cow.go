package crdt

import "maps"

// Copy on write.
//
// A resolution keeps checkpoints: copies of its state at some places of
// the order (incremental.go). Copying every member, group and invite at
// each one cost as much as replaying a few hundred ops in a big
// community, so a State's records are shared instead. Clone copies the
// maps, not the records they point to; a record may be changed in place
// only by the state that made it since the last Clone (its owner token is
// the state's), and any other state copies it first (ownMember, ownGroup,
// ownInvite). Code that changes a member, a group or an invite of a state
// goes through those; code that only reads does not care.

// owner is the token of a State that may change records in place. Tokens
// are compared by address; a State gets a new one whenever it is cloned,
// so that neither the clone nor the original changes a shared record.
type owner struct{ _ byte }

// owns reports whether s may change a record marked with token own in
// place.
func (s *State) owns(own *owner) bool { return own != nil && own == s.own }

// ownMember returns member k, which s may change in place, or nil when k
// is not a member.
func (s *State) ownMember(k PublicKey) *Member {
	m := s.Members[k]
	if m == nil || s.owns(m.own) {
		return m
	}
	c := *m
	c.own = s.own
	s.Members[k] = &c
	return &c
}

// ownGroup returns group id, which s may change in place, its maps
// included, or nil when there is none.
func (s *State) ownGroup(id ID) *Group {
	g := s.Groups[id]
	if g == nil || s.owns(g.own) {
		return g
	}
	c := *g
	c.own = s.own
	c.Members, c.Requests = maps.Clone(g.Members), maps.Clone(g.Requests)
	s.Groups[id] = &c
	return &c
}

// ownInvite returns invite id, which s may change in place, or nil when
// there is none.
func (s *State) ownInvite(id ID) *Invite {
	inv := s.Invites[id]
	if inv == nil || s.owns(inv.own) {
		return inv
	}
	c := *inv
	c.own = s.own
	s.Invites[id] = &c
	return &c
}
