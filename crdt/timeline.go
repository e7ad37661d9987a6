package crdt

import "slices"

// Timeline is one group's content log: the accepted content ops and the
// deterministic order in which every replica shows them.
type Timeline struct {
	group      ID
	ops        entryIndex
	heads      headSet
	order      []*Entry // nil when it must be recomputed
	stale      bool     // order lacks ops added since it was computed: sort again
	orderGen   uint64   // Community.rankGen the order was computed at
	verdictGen uint64   // Community.gen the Hidden marks were computed at
	seen       map[ID]*seenSet
	// rewrite counts the changes of the order or of the Hidden marks of
	// entries already in it; not entries only appended (EntriesGen).
	rewrite uint64
}

// Entry is one op of a timeline, in display order.
type Entry struct {
	Op   *Op
	Body any // *MessageBody, *ReactionBody, …
	// Hidden is nil for an op that stands, and says why (it is an
	// ErrHidden) for one a removal has since invalidated. A pointer, not
	// an error, so that an entry takes 32 bytes: a timeline holds one per
	// op.
	Hidden *Hidden
}

// seenSet is the part of a timeline a loss op's author had seen.
type seenSet struct {
	ids       map[ID]bool
	maxHeight uint64
	complete  bool // every seen head was present when computed
}

func newTimeline(group ID) *Timeline {
	return &Timeline{group: group}
}

// put records an op without ordering it (bulk load).
func (t *Timeline) put(o *Op, body any) {
	t.ops.put(&Entry{Op: o, Body: body})
	t.order = nil
	t.verdictGen = 0
}

func (t *Timeline) add(c *Community, o *Op, body any) {
	e := &Entry{Op: o, Body: body}
	t.ops.put(e)
	// An op whose parents are all the current heads descends from every op,
	// so it goes last: the common case of a message written after reading
	// everything stays O(1).
	if t.order != nil && !t.stale && t.orderGen == c.rankGen && slices.Equal(o.Parents, t.heads.ids) {
		t.order = append(t.order, e)
		if t.verdictGen == c.gen {
			e.Hidden = c.verdict(t, e)
		}
	} else {
		t.stale = true   // kept to compare the new order with (sort)
		t.verdictGen = 0 // e has none yet: every verdict is given again with the order
	}
	t.heads.advance(o.ID(), o.Height, o.Parents, func(p ID) uint64 { return t.ops.get(p).Op.Height })
	// A late op that a remover had seen changes verdicts already given:
	// what the remover saw of this timeline grows with it (seenBy). That
	// holds for removals from the group as for removals and demotions.
	if c.res.sawLate(t.group, o.ID()) {
		t.verdictGen = 0
	}
}

// Heads returns the timeline's heads.
func (t *Timeline) Heads() []ID { return slices.Clone(t.heads.ids) }

// Len returns the number of ops in the timeline.
func (t *Timeline) Len() int { return t.ops.len() }

// Get returns the entry of op id, or nil.
func (t *Timeline) Get(id ID) *Entry { return t.ops.get(id) }

// sort computes the display order: Kahn order with the tie break author
// rank desc, height asc, id asc. Unless the order before is a prefix of
// the new one, it is a rewrite.
func (t *Timeline) sort(rank func(*Op) Role) {
	ops := make(map[ID]*Op, t.ops.len())
	for e := range t.ops.all() {
		ops[e.Op.ID()] = e.Op
	}
	order := make([]*Entry, 0, t.ops.len())
	topoOrder(ops, rank, func(o *Op) bool {
		order = append(order, t.ops.get(o.ID()))
		return true
	})
	if t.order == nil || len(order) < len(t.order) || !slices.Equal(order[:len(t.order)], t.order) {
		t.rewrite++
	}
	t.order, t.stale = order, false
}

// seenBy reports whether content op id is in what loss l's author had seen
// of this timeline.
func (t *Timeline) seenBy(l *loss, id ID) bool {
	heads := l.seen[t.group]
	if len(heads) == 0 {
		return false
	}
	s := t.seen[l.op.ID()]
	if s == nil || !s.complete {
		s = &seenSet{ids: map[ID]bool{}, complete: true}
		var stack []ID
		for _, h := range heads {
			if e := t.ops.get(h); e != nil {
				stack = append(stack, h)
				s.maxHeight = max(s.maxHeight, e.Op.Height)
			} else {
				s.complete = false
			}
		}
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if s.ids[x] {
				continue
			}
			s.ids[x] = true
			stack = append(stack, t.ops.get(x).Op.Parents...)
		}
		if t.seen == nil {
			t.seen = map[ID]*seenSet{}
		}
		t.seen[l.op.ID()] = s
	}
	if e := t.ops.get(id); e == nil || e.Op.Height > s.maxHeight {
		return false
	}
	return s.ids[id]
}
