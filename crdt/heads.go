package crdt

import (
	"cmp"
	"slices"
)

// Heads of a log.
//
// A log's heads are kept twice: sorted by id (what ops cite and replicas
// compare) and ranked by height, highest first, ties by id, which is the
// order in which Draft picks heads when there are more than an op may
// cite (capHeads). Both are kept sorted as ops arrive, each change a
// binary search and one move of the slice's tail, so that a community
// with thousands of unmerged joins does not sort them all for every op
// it writes.

// rankedHead is a head with its height, for the ranked order.
type rankedHead struct {
	height uint64
	id     ID
}

// compareRanked orders heads by height, highest first, then by id.
func compareRanked(a, b rankedHead) int {
	if c := cmp.Compare(b.height, a.height); c != 0 {
		return c
	}
	return a.id.Compare(b.id)
}

// headSet is the heads of one log, by id and ranked. The ranked order is
// built the first time an op is drafted on more heads than it may cite,
// and kept from then on: most logs never have that many, and a rebuilt
// node holds one headSet per group and progress log.
type headSet struct {
	ids    []ID         // sorted by id
	ranked []rankedHead // nil, or ids sorted by compareRanked
}

// rank returns the heads ranked, building the order with height the first
// time.
func (h *headSet) rank(height func(ID) uint64) []rankedHead {
	if h.ranked == nil && len(h.ids) > 0 {
		h.ranked = make([]rankedHead, len(h.ids))
		for i, id := range h.ids {
			h.ranked[i] = rankedHead{height(id), id}
		}
		slices.SortFunc(h.ranked, compareRanked)
	}
	return h.ranked
}

// advance records op id, of the given height, whose parents have the
// heights parentHeight gives: its parents stop being heads and it becomes
// one.
func (h *headSet) advance(id ID, height uint64, parents []ID, parentHeight func(ID) uint64) {
	for _, p := range parents {
		if i, ok := slices.BinarySearchFunc(h.ids, p, ID.Compare); ok {
			h.ids = slices.Delete(h.ids, i, i+1)
			if j, ok := slices.BinarySearchFunc(h.ranked, rankedHead{parentHeight(p), p}, compareRanked); ok {
				h.ranked = slices.Delete(h.ranked, j, j+1)
			}
		}
	}
	if i, ok := slices.BinarySearchFunc(h.ids, id, ID.Compare); !ok {
		h.ids = slices.Insert(h.ids, i, id)
		if h.ranked != nil {
			r := rankedHead{height, id}
			j, _ := slices.BinarySearchFunc(h.ranked, r, compareRanked)
			h.ranked = slices.Insert(h.ranked, j, r)
		}
	}
}

// has reports whether id is a head.
func (h *headSet) has(id ID) bool {
	_, ok := slices.BinarySearchFunc(h.ids, id, ID.Compare)
	return ok
}

// insertSorted inserts id into ids, sorted, unless it is there.
func insertSorted(ids []ID, id ID) []ID {
	i, ok := slices.BinarySearchFunc(ids, id, ID.Compare)
	if ok {
		return ids
	}
	return slices.Insert(ids, i, id)
}

// deleteSorted removes id from ids, sorted, if it is there.
func deleteSorted(ids []ID, id ID) []ID {
	if i, ok := slices.BinarySearchFunc(ids, id, ID.Compare); ok {
		return slices.Delete(ids, i, i+1)
	}
	return ids
}
