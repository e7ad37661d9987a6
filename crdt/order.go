package crdt

import "container/heap"

// topoOrder visits ops (a set closed under parents) in Kahn topological
// order with the tie break of DESIGN rule 4: author rank descending, then
// height ascending, then id ascending. An op's rank is asked once, when it
// becomes ready (all its parents visited), so during a replay it is the
// author's rank in the state replayed so far. visit returns false to stop
// early.
func topoOrder(ops map[ID]*Op, rank func(*Op) Role, visit func(*Op) bool) {
	list := make([]*Op, 0, len(ops))
	for _, o := range ops {
		list = append(list, o)
	}
	topoList(list, func(o *Op, _ bool) Role { return rank(o) }, func(o *Op, _ Role) bool { return visit(o) })
}

// topoList is topoOrder over a list of ops; parents outside the list count
// as visited already, so a replay can resume from a prefix of an order
// (resolveAdded). rank is asked with initial set for the ops that are ready
// before the first visit, and visit is told the rank each op was ordered
// with.
func topoList(list []*Op, rank func(o *Op, initial bool) Role, visit func(*Op, Role) bool) {
	// Work on indexes: a replay of a 100,000-op log should not build maps of
	// slices.
	index := make(map[ID]int32, len(list))
	for i, o := range list {
		index[o.ID()] = int32(i)
	}
	indeg := make([]int32, len(list))
	first := make([]int32, len(list)) // head of each op's child list, -1 if none
	for i := range first {
		first[i] = -1
	}
	var next, child []int32 // linked lists of children
	for i, o := range list {
		for _, p := range o.Parents {
			if pi, ok := index[p]; ok {
				indeg[i]++
				child = append(child, int32(i))
				next = append(next, first[pi])
				first[pi] = int32(len(child) - 1)
			}
		}
	}
	var ready readyHeap
	for i, n := range indeg {
		if n == 0 {
			ready = append(ready, readyOp{list[i], rank(list[i], true), int32(i)})
		}
	}
	heap.Init(&ready)
	for ready.Len() > 0 {
		r := heap.Pop(&ready).(readyOp)
		if !visit(r.op, r.rank) {
			return
		}
		for e := first[r.idx]; e >= 0; e = next[e] {
			c := child[e]
			indeg[c]--
			if indeg[c] == 0 {
				heap.Push(&ready, readyOp{list[c], rank(list[c], false), c})
			}
		}
	}
}

type readyOp struct {
	op   *Op
	rank Role
	idx  int32
}

// readyHeap orders ready ops by the tie break.
type readyHeap []readyOp

func (h readyHeap) Len() int           { return len(h) }
func (h readyHeap) Less(i, j int) bool { return before(h[i].op, h[i].rank, h[j].op, h[j].rank) }
func (h readyHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *readyHeap) Push(x any)        { *h = append(*h, x.(readyOp)) }
func (h *readyHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// before reports whether a (of rank ra) comes before b (of rank rb) among ready ops.
func before(a *Op, ra Role, b *Op, rb Role) bool {
	if ra != rb {
		return ra > rb
	}
	if a.Height != b.Height {
		return a.Height < b.Height
	}
	return a.ID().Compare(b.ID()) < 0
}
