package crdt

import "slices"

// Timeline is one group's content log: the accepted content ops and the
// deterministic order in which every replica shows them.
type Timeline struct {
	group ID
	ops   map[ID]*entry
	heads []ID     // sorted
	order []*Entry // nil when it must be recomputed
}

type entry struct {
	op   *Op
	body any
	rank Role // author's rank in the op's control causal past
}

// Entry is one op of a timeline, in display order.
type Entry struct {
	Op   *Op
	Body any // *MessageBody, …
}

func newTimeline(group ID) *Timeline {
	return &Timeline{group: group, ops: map[ID]*entry{}, order: []*Entry{}}
}

func (t *Timeline) add(o *Op, body any, rank Role) {
	t.ops[o.ID()] = &entry{op: o, body: body, rank: rank}
	// An op whose parents are all the current heads descends from every op,
	// so it goes last: the common case of a message written after reading
	// everything stays O(1).
	if t.order != nil && slices.Equal(o.Parents, t.heads) {
		t.order = append(t.order, &Entry{Op: o, Body: body})
	} else {
		t.order = nil
	}
	t.heads = slices.DeleteFunc(t.heads, func(h ID) bool { return slices.Contains(o.Parents, h) })
	t.heads = SortIDs(append(t.heads, o.ID()))
}

// Heads returns the timeline's heads.
func (t *Timeline) Heads() []ID { return slices.Clone(t.heads) }

// Len returns the number of ops in the timeline.
func (t *Timeline) Len() int { return len(t.ops) }

// Entries returns the timeline in display order: Kahn order with the tie
// break author rank desc, height asc, id asc. Callers must not modify it.
func (t *Timeline) Entries() []*Entry {
	if t.order != nil {
		return t.order
	}
	ops := make(map[ID]*Op, len(t.ops))
	for id, e := range t.ops {
		ops[id] = e.op
	}
	order := make([]*Entry, 0, len(t.ops))
	topoOrder(ops, func(o *Op) Role { return t.ops[o.ID()].rank }, func(o *Op) {
		order = append(order, &Entry{Op: o, Body: t.ops[o.ID()].body})
	})
	t.order = order
	return order
}
