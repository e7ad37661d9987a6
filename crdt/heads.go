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

// headSet is the heads of one log, by id and ranked.
type headSet struct {
	ids    []ID         // sorted by id
	ranked []rankedHead // sorted by compareRanked
}

// newHeadSet returns the heads ids (sorted by id, without duplicates)
// ranked by height(id).
func newHeadSet(ids []ID, height func(ID) uint64) headSet {
	h := headSet{ids: ids, ranked: make([]rankedHead, len(ids))}
	for i, id := range ids {
		h.ranked[i] = rankedHead{height(id), id}
	}
	slices.SortFunc(h.ranked, compareRanked)
	return h
}

// advance records op o, of the given height, whose parents have the
// heights height gives: its parents stop being heads and o becomes one.
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
		r := rankedHead{height, id}
		j, _ := slices.BinarySearchFunc(h.ranked, r, compareRanked)
		h.ranked = slices.Insert(h.ranked, j, r)
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
