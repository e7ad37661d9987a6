package crdt

import (
	"maps"
	"slices"
)

// Incremental resolution.
//
// A control op that is not last in the order (its parents are not exactly
// the heads) is not resolved by replaying the whole log again. The order of
// rule 4 is a Kahn order: until the last of the new op's parents is
// replayed, the new op is not ready, so every pass replays exactly what it
// replayed without it. When the last resolution took a single pass, its
// state at any place before that parent is therefore the state the full
// replay with the new op reaches there; resolveAdded starts from the latest
// checkpoint at or before that place and replays the rest of the order with
// the new op. Only a replay that must start again (a loss striking ops
// applied before it) falls back to the full resolution, so the result is
// always the full replay's (TestIncrementalResolution checks it).

// checkpoint is a copy of a resolution before the op at place at in its
// order.
type checkpoint struct {
	at int
	r  *resolution
}

// record notes that o is replayed next with rank, first taking a checkpoint,
// when r keeps them, if this place is due one: every r.every places within the last
// ResolveCheckpoints of them in a log of total ops.
func (r *resolution) record(o *Op, rank Role, total int) {
	if r.every <= 0 {
		return
	}
	n := len(r.seq)
	if r.keep && n > 0 && n%r.every == 0 && n >= total-ResolveCheckpoints*r.every &&
		(len(r.checkpoints) == 0 || r.checkpoints[len(r.checkpoints)-1].at < n) {
		r.checkpoints = append(r.checkpoints, checkpoint{n, r.clone()})
		if len(r.checkpoints) > ResolveCheckpoints {
			r.checkpoints = slices.Delete(r.checkpoints, 0, 1)
		}
	}
	r.pos[o.ID()] = int32(n)
	r.seq = append(r.seq, o)
	r.rank = append(r.rank, rank)
}

// clone copies the replayed state of r, without its order and checkpoints,
// so that replaying more ops on the copy leaves r as it is. Values the
// replay never changes (losses, applied ops, bitsets) are shared; slices
// are clipped so that appending to one copy never writes into the other.
func (r *resolution) clone() *resolution {
	c := *r
	c.state = r.state.Clone()
	c.lossIdx = maps.Clone(r.lossIdx)
	c.lossPast = maps.Clone(r.lossPast)
	c.losses = clipped(r.losses)
	c.revokes = clipped(r.revokes)
	c.admitted = maps.Clone(r.admitted)
	c.applied = clipped(r.applied)
	c.joins = clipped(r.joins)
	c.fellJoins = clipped(r.fellJoins)
	c.contestedKeys = maps.Clone(r.contestedKeys)
	c.contestedInvites = maps.Clone(r.contestedInvites)
	c.groupLosses = clipped(r.groupLosses)
	c.fellAdds = clipped(r.fellAdds)
	c.seq, c.rank, c.pos, c.checkpoints, c.struck, c.from = nil, nil, nil, nil, nil, 0
	return &c
}

// clipped copies a map of slices with each slice's capacity cut to its
// length.
func clipped[K comparable, V any](m map[K][]V) map[K][]V {
	if m == nil {
		return nil
	}
	out := make(map[K][]V, len(m))
	for k, v := range m {
		out[k] = slices.Clip(v)
	}
	return out
}

// resolveAdded returns the resolution of ops, which are old's ops and o, as
// resolve would, replaying only from a checkpoint before o's place when
// old allows it (see above). old must not be used afterwards.
func resolveAdded(old *resolution, o *Op, ops map[ID]*Op, bodies func(*Op) any, anc func(*Op) map[ID]bool, proofs map[ID]bool) *resolution {
	// A full replay keeps checkpoints only when the next op may resume
	// from one: not while ops applied out of their place (a wave of
	// joins) keep making the resolution inexact, where they would only
	// cost copies.
	full := func() *resolution { return resolve(ops, bodies, anc, proofs, old.every, old.exact) }
	if old.every == 0 || old.passes != 1 || !old.exact || len(old.seq) != len(ops)-1 {
		return full()
	}
	last := -1 // o's last parent's place
	for _, p := range o.Parents {
		i, ok := old.pos[p]
		if !ok {
			return full()
		}
		last = max(last, int(i))
	}
	k := len(old.checkpoints) - 1
	for k >= 0 && old.checkpoints[k].at > last {
		k--
	}
	if k < 0 {
		return full()
	}
	cp := old.checkpoints[k]
	// Ops struck in the single pass were struck at their own place: keep
	// those before the checkpoint.
	struck := map[ID]error{}
	for id, err := range old.struck {
		if int(old.pos[id]) < cp.at {
			struck[id] = err
		}
	}
	rest := append(slices.Clone(old.seq[cp.at:]), o)
	oldRank, oldPos := old.rank, old.pos
	r := cp.r.clone()
	r.state.proofs = proofs
	// The replay takes over old's order: the ranks and places of the ops
	// ready at the checkpoint are read before anything is replayed, and
	// the rest is overwritten as it is replayed.
	r.seq, r.rank, r.pos = old.seq[:cp.at], old.rank[:cp.at], old.pos
	r.checkpoints = slices.Clone(old.checkpoints[:k+1])
	p := &pass{r: r, ops: ops, bodies: bodies, anc: anc, struck: struck}
	topoList(rest, func(x *Op, initial bool) Role {
		if initial {
			// Ready at the checkpoint: ordered with the rank it was
			// ordered with before (o is never among these: its last
			// parent comes after the checkpoint).
			return oldRank[oldPos[x.ID()]]
		}
		return r.state.Role(x.Author)
	}, p.step)
	if p.restart {
		return full()
	}
	r.passes, r.struck, r.from = 1, struck, cp.at
	return r
}
