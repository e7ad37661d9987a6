package crdt

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Group order. An admin sets the order in which every member's home lists
// the community's groups with one group.order op, whose body lists group
// ids, first to last. The announcement group always comes first and is
// never listed. The order is a register of the whole community: each
// group.order replaces the one before it in the deterministic replay
// order, so concurrent reorders converge on the one replayed last (the
// tie break of rule 4 decides between concurrent ones). Groups an order
// does not name — created concurrently with it, or after it — follow the
// named ones by name. Strong removal applies as to any admin action: an
// order by an admin demoted or removed concurrently falls.

// GroupOrderBody sets the order of the community's groups (admins): the
// ids of groups, first to last, each at most once, the announcement
// group never.
type GroupOrderBody struct {
	Groups [][]byte `cbor:"1,keyasint"`
	Time   int64    `cbor:"2,keyasint,omitempty"`
}

func (b *GroupOrderBody) check() error {
	if len(b.Groups) > MaxGroups {
		return fmt.Errorf("%d groups ordered, at most %d", len(b.Groups), MaxGroups)
	}
	seen := make(map[ID]bool, len(b.Groups))
	for _, g := range b.Groups {
		if err := checkID("group", g); err != nil {
			return err
		}
		if seen[idOf(g)] {
			return fmt.Errorf("group %x ordered twice", g[:4])
		}
		seen[idOf(g)] = true
	}
	return nil
}

// checkGroupOrder judges a group.order op: every group it names exists
// and is neither the announcement group nor a private conversation.
func (s *State) checkGroupOrder(b *GroupOrderBody) error {
	for _, raw := range b.Groups {
		g, ok := s.Groups[idOf(raw)]
		switch {
		case !ok:
			return invalid("group %x does not exist", raw[:4])
		case g.Announcement:
			return invalid("the announcement group always comes first")
		case g.Private():
			return invalid("a private conversation is not among the groups an admin orders")
		case g.Progress():
			return invalid("a progress log is not among the groups an admin orders")
		}
	}
	return nil
}

// applyGroupOrder records the order of b.
func (s *State) applyGroupOrder(b *GroupOrderBody) {
	s.GroupOrder = make([]ID, len(b.Groups))
	for i, g := range b.Groups {
		s.GroupOrder[i] = idOf(g)
	}
}

// SortedGroups returns the community's groups in the order every member
// sees them: the announcement group, then the groups of the last
// group.order in its order, then the others by name (ignoring case), then
// id.
func (s *State) SortedGroups() []*Group {
	pos := make(map[ID]int, len(s.GroupOrder))
	for i, id := range s.GroupOrder {
		pos[id] = i
	}
	out := make([]*Group, 0, len(s.Groups))
	for _, g := range s.Groups {
		if !g.Progress() { // members' progress logs are no groups to list (steps.go)
			out = append(out, g)
		}
	}
	rank := func(g *Group) int {
		if g.Announcement {
			return -1
		}
		if p, ok := pos[g.ID]; ok {
			return p
		}
		return len(pos)
	}
	slices.SortFunc(out, func(a, b *Group) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)),
			strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)),
			a.ID.Compare(b.ID))
	})
	return out
}
