package view

import (
	"context"
	"slices"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// A group's display list — its posts in the deterministic order, less what
// a community that hides history does not show this member — is kept for
// the few groups read most recently (shownList), so that a page of a group
// of 100,000 messages costs what the page holds. It is rebuilt only when
// the community's ops change: op sets only grow, so the number of control
// ops and of the group's ops says when. Even then crdt.Fold folds only the
// ops that arrived, when they go last (the common case of a new message);
// what else changed (names, roles, removals that hide posts) is applied
// when a page is converted, or makes the fold start over.
//
// Only pages are converted to Messages; the list keeps the fold, which
// makes a crdt.Post for a plain message only when it is read.

// shownList is one group's display list. It is guarded by Views.mu and
// read while holding the replica's lock.
type shownList struct {
	comm      *crdt.Community // what it was built from
	ctrl, ops int             // the community's control ops and the group's ops then
	fold      *crdt.Fold
	folded    int   // how many of fold's posts the lists below cover
	since     int64 // posts by others before this (unix ms) are not shown; 0: all are
	joined    int64 // when the member came into the group
	// kept holds the fold positions shown, in order; nil while every post is.
	kept []int32
	// others holds the display indexes of others' posts; before counts
	// those of them said before the member joined.
	others []int32
	before int
	used   uint64 // for eviction, guarded by Views.mu
}

// shown returns group gid's display list, bringing it up to date. Call it
// in a replica View of c.
func (v *Views) shown(c *crdt.Community, gid crdt.ID) *shownList {
	self := v.self
	k := groupKey{c.ID(), gid}
	ctrl, ops := groupLen(c, gid)
	v.mu.Lock()
	defer v.mu.Unlock()
	v.tick++
	s := v.lists[k]
	if s != nil && s.comm == c && s.ctrl == ctrl && s.ops == ops {
		s.used = v.tick
		return s
	}
	var prev *crdt.Fold
	if s != nil && s.comm == c {
		prev = s.fold
	}
	f := c.Fold(gid, prev)
	st := c.State()
	joined := joinedAt(c, st, gid, self)
	since := int64(0)
	if st.HideHistory {
		since = joined
	}
	if s == nil || f != prev || s.since != since || s.joined != joined {
		s = &shownList{comm: c, fold: f, since: since, joined: joined}
	}
	s.ctrl, s.ops, s.used = ctrl, ops, v.tick
	s.extend(self)
	v.lists[k] = s
	v.evictShown()
	return s
}

// evictShown drops the lists read least recently while there are too many
// or they hold too much. Call it holding mu.
func (v *Views) evictShown() {
	for len(v.lists) > 1 {
		posts := 0
		var oldest groupKey
		var at uint64
		for k, s := range v.lists {
			posts += s.folded
			if at == 0 || s.used < at {
				oldest, at = k, s.used
			}
		}
		if len(v.lists) <= maxShownLists && posts <= maxShownPosts {
			return
		}
		delete(v.lists, oldest)
	}
}

// Kept returns how many posts the display list kept for group gid covers,
// 0 when none is kept: for tests and diagnostics of the node that owns v.
func (v *Views) Kept(cid, gid crdt.ID) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	if s := v.lists[groupKey{cid, gid}]; s != nil {
		return s.folded
	}
	return 0
}

// extend takes in the posts the fold gained since the lists were made.
func (s *shownList) extend(self crdt.PublicKey) {
	n := s.fold.Len()
	for i := s.folded; i < n; i++ {
		author, t := s.fold.Said(i)
		if !shownTo(author, t, self, s.since) {
			if s.kept == nil {
				s.kept = make([]int32, i, n)
				for j := range s.kept {
					s.kept[j] = int32(j)
				}
			}
			continue
		}
		idx := i
		if s.kept != nil {
			idx = len(s.kept)
			s.kept = append(s.kept, int32(i))
		}
		if author != self && s.fold.Kind(i) != crdt.KindCall { // a call is no new message
			s.others = append(s.others, int32(idx))
			if t < s.joined {
				s.before++
			}
		}
	}
	s.folded = n
}

// shownTo says whether a post by author, said at t, is shown to self in a
// community that shows nothing by others before since. A hidden post
// carries no time (its body does not count), so it falls before any since.
func shownTo(author crdt.PublicKey, t int64, self crdt.PublicKey, since int64) bool {
	return t >= since || author == self
}

func (s *shownList) len() int {
	if s.kept == nil {
		return s.folded
	}
	return len(s.kept)
}

// at returns the i-th post shown (made from its entry when the fold keeps
// no Post for it: see crdt.Fold). Callers must not modify what it shares.
func (s *shownList) at(i int) crdt.Post {
	if s.kept == nil {
		return s.fold.Post(i)
	}
	return s.fold.Post(int(s.kept[i]))
}

// indexOf returns the display index of post id, or -1.
func (s *shownList) indexOf(id crdt.ID) int {
	pos := s.fold.Index(id)
	if pos < 0 || pos >= s.folded {
		return -1
	}
	if s.kept == nil {
		return pos
	}
	if i, ok := slices.BinarySearch(s.kept, int32(pos)); ok {
		return i
	}
	return -1
}

// joinedAt is when (by the admitting ops' clocks, unix milliseconds) k came
// into group gid: its admission to the community, or its entry into a
// group with explicit members if later.
func joinedAt(c *crdt.Community, st *crdt.State, gid crdt.ID, k crdt.PublicKey) int64 {
	var t int64
	if m := st.Members[k]; m != nil {
		t = m.Joined
	}
	if g := st.Groups[gid]; g != nil && !g.Everyone() {
		switch b := c.Body(g.Members[k]).(type) {
		case *crdt.GroupJoinBody:
			t = max(t, b.Time)
		case *crdt.GroupDecideBody:
			t = max(t, b.Time)
		case *crdt.GroupAddBody:
			t = max(t, b.Time)
		}
	}
	return t
}

// groupLen is how far community c's control log and group gid's timeline
// have grown: what a cached view of the group was built from.
func groupLen(c *crdt.Community, gid crdt.ID) (ctrl, ops int) {
	if t := c.Timeline(gid); t != nil {
		ops = t.Len()
	}
	return c.ControlLen(), ops
}

// WarmUp builds the display lists of the biggest groups the member may
// read (as many as are kept), so that opening one of them soon after start
// costs a page, not a fold of the whole group; whatever asks first simply
// waits for the same work. It returns when done or when ctx ends: run it
// in the background after start.
func (v *Views) WarmUp(ctx context.Context) {
	type big struct {
		k   groupKey
		ops int
	}
	var groups []big
	for _, cid := range v.rep.Communities() {
		_ = v.rep.View(cid, func(c *crdt.Community) error {
			st := c.State()
			for gid := range st.Groups {
				if t := c.Timeline(gid); t != nil && st.MayRead(v.self, gid) {
					groups = append(groups, big{groupKey{cid, gid}, t.Len()})
				}
			}
			return nil
		})
	}
	slices.SortFunc(groups, func(a, b big) int { return b.ops - a.ops })
	for _, g := range groups[:min(len(groups), maxShownLists)] {
		if ctx.Err() != nil {
			return
		}
		if _, err := v.MessagePage(g.k.community, g.k.group, -1, 1); err != nil {
			v.log.Debug("warm up", "group", g.k.group.Short(), "err", err)
		}
	}
}
