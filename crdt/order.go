package crdt

// topoOrder returns ops (a set closed under parents) in Kahn topological order
// with the tie break of DESIGN rule 4: author rank descending, then height
// ascending, then id ascending. rank is asked when an op becomes ready, so
// during a replay it sees the state built so far.
// visit returns false to stop early.
func topoOrder(ops map[ID]*Op, rank func(*Op) Role, visit func(*Op) bool) {
	indeg := make(map[ID]int, len(ops))
	children := make(map[ID][]ID, len(ops))
	for id, o := range ops {
		n := 0
		for _, p := range o.Parents {
			if _, ok := ops[p]; ok {
				n++
				children[p] = append(children[p], id)
			}
		}
		indeg[id] = n
	}
	var ready []*Op
	for id, n := range indeg {
		if n == 0 {
			ready = append(ready, ops[id])
		}
	}
	for len(ready) > 0 {
		best := 0
		bestRank := rank(ready[0])
		for i := 1; i < len(ready); i++ {
			r := rank(ready[i])
			if before(ready[i], r, ready[best], bestRank) {
				best, bestRank = i, r
			}
		}
		o := ready[best]
		ready[best] = ready[len(ready)-1]
		ready = ready[:len(ready)-1]
		if !visit(o) {
			return
		}
		for _, c := range children[o.ID()] {
			indeg[c]--
			if indeg[c] == 0 {
				ready = append(ready, ops[c])
			}
		}
	}
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
