package node

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

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
// Only pages are converted to Messages; the list keeps crdt.Post pointers.

// The display lists kept: at most maxShownLists, and beyond the one read
// last no more than maxShownPosts posts in all (a list of 100,000 posts
// holds about 40 MB).
const (
	maxShownLists = 4
	maxShownPosts = 200_000
)

type groupKey struct{ community, group crdt.ID }

// shownList is one group's display list. It is guarded by Node.viewMu and
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
	used   uint64 // for eviction, guarded by Node.viewMu
}

// shown returns group gid's display list, bringing it up to date. Call it
// in a replica View of c.
func (n *Node) shown(c *crdt.Community, gid crdt.ID) *shownList {
	self := n.selfKey()
	k := groupKey{c.ID(), gid}
	ctrl, ops := groupLen(c, gid)
	n.viewMu.Lock()
	defer n.viewMu.Unlock()
	n.viewTick++
	s := n.views[k]
	if s != nil && s.comm == c && s.ctrl == ctrl && s.ops == ops {
		s.used = n.viewTick
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
	s.ctrl, s.ops, s.used = ctrl, ops, n.viewTick
	s.extend(self)
	n.views[k] = s
	n.evictShown()
	return s
}

// evictShown drops the lists read least recently while there are too many
// or they hold too much. Call it holding viewMu.
func (n *Node) evictShown() {
	for len(n.views) > 1 {
		posts := 0
		var oldest groupKey
		var at uint64
		for k, v := range n.views {
			posts += v.folded
			if at == 0 || v.used < at {
				oldest, at = k, v.used
			}
		}
		if len(n.views) <= maxShownLists && posts <= maxShownPosts {
			return
		}
		delete(n.views, oldest)
	}
}

// extend takes in the posts the fold gained since the lists were made.
func (s *shownList) extend(self crdt.PublicKey) {
	posts := s.fold.View().Posts
	for i := s.folded; i < len(posts); i++ {
		p := posts[i]
		if !shownTo(p.Author, p.Time, self, s.since) {
			if s.kept == nil {
				s.kept = make([]int32, i, len(posts))
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
		if p.Author != self {
			s.others = append(s.others, int32(idx))
			if p.Time < s.joined {
				s.before++
			}
		}
	}
	s.folded = len(posts)
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

// at returns the i-th post shown.
func (s *shownList) at(i int) *crdt.Post {
	posts := s.fold.View().Posts
	if s.kept == nil {
		return posts[i]
	}
	return posts[s.kept[i]]
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
		}
	}
	return t
}

// namer gives members' names and peer ids, remembering them for one
// conversion (a peer id's text costs a base58 encoding).
type namer struct {
	st    *crdt.State
	names map[crdt.PublicKey]string
	peers map[crdt.PublicKey]string
}

func newNamer(st *crdt.State) *namer {
	return &namer{st: st, names: map[crdt.PublicKey]string{}, peers: map[crdt.PublicKey]string{}}
}

func (nm *namer) name(k crdt.PublicKey) string {
	s, ok := nm.names[k]
	if !ok {
		s = nameOf(nm.st, k)
		nm.names[k] = s
	}
	return s
}

func (nm *namer) peer(k crdt.PublicKey) string {
	s, ok := nm.peers[k]
	if !ok {
		s = peerOf(k)
		nm.peers[k] = s
	}
	return s
}

func nameOf(st *crdt.State, k crdt.PublicKey) string {
	if m := st.Members[k]; m != nil {
		return displayName(m)
	}
	return displayName(&crdt.Member{Key: k, Name: st.Names[k]})
}

// message converts the i-th post of s.
func (s *shownList) message(nm *namer, self crdt.PublicKey, i int) api.Message {
	m := messageOf(nm, self, s.at(i))
	m.Index = i
	if m.ReplyTo != nil {
		m.Quote = s.quote(nm, *m.ReplyTo)
	}
	return m
}

// quote is what a reply to post id shows of it.
func (s *shownList) quote(nm *namer, id crdt.ID) *api.Quote {
	i := s.indexOf(id)
	if i < 0 {
		return &api.Quote{ID: id, Missing: true, Index: -1}
	}
	p := s.at(i)
	return &api.Quote{ID: id, AuthorName: nm.name(p.Author), Text: firstRunes(p.Text, api.QuoteRunes), Deleted: p.Deleted, Hidden: p.Hidden != nil, Index: i}
}

// firstRunes returns the first n runes of s.
func firstRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

func messageOf(nm *namer, self crdt.PublicKey, p *crdt.Post) api.Message {
	m := api.Message{ID: p.ID, Kind: p.Kind.String(), Author: nm.peer(p.Author), AuthorName: nm.name(p.Author),
		Text: p.Text, Time: time.UnixMilli(p.Time), Mine: p.Author == self, Edited: p.Edited,
		Deleted: p.Deleted, Pinned: p.Pinned}
	if !p.ReplyTo.IsZero() {
		r := p.ReplyTo
		m.ReplyTo = &r
	}
	for _, k := range p.Mentions {
		m.Mentions = append(m.Mentions, nm.peer(k))
		m.MentionsMe = m.MentionsMe || k == self
	}
	if p.Deleted {
		m.DeletedBy = nm.name(p.DeletedBy)
	}
	m.Hidden, m.HiddenCause = api.HiddenOf(p.Hidden)
	for _, r := range p.Reactions {
		rr := api.Reaction{Emoji: r.Emoji, Count: len(r.By)}
		for _, k := range r.By {
			rr.By = append(rr.By, nm.name(k))
			rr.Mine = rr.Mine || k == self
		}
		m.Reactions = append(m.Reactions, rr)
	}
	if pv := p.Poll; pv != nil {
		pl := &api.Poll{Question: pv.Question, Multi: pv.Multi, Closed: pv.Closed, Voters: pv.Voters}
		if pv.Closes != 0 {
			t := time.UnixMilli(pv.Closes)
			pl.Closes = &t
		}
		for i, opt := range pv.Options {
			po := api.PollOption{Text: opt, By: []string{}}
			for _, k := range pv.Votes[i] {
				po.By = append(po.By, nm.name(k))
				if k == self {
					pl.MyChoices = append(pl.MyChoices, i)
				}
			}
			po.Votes = len(pv.Votes[i])
			pl.Options = append(pl.Options, po)
		}
		m.Poll = pl
	}
	return m
}

// inGroup runs fn on group gid's display list, in a replica View.
func (n *Node) inGroup(cid, gid crdt.ID, fn func(c *crdt.Community, g *crdt.Group, s *shownList, nm *namer) error) error {
	return n.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		g, ok := st.Groups[gid]
		if !ok {
			return fmt.Errorf("group %s: %w", gid.Short(), api.ErrUnknownGroup)
		}
		return fn(c, g, n.shown(c, gid), newNamer(st))
	})
}

// window returns messages [from, from+limit) of the display list (from < 0:
// the last limit), and what FirstUnread needs.
func (n *Node) window(cid, gid crdt.ID, from, limit int) (page api.Page, read readPoint, err error) {
	self := n.selfKey()
	err = n.inGroup(cid, gid, func(c *crdt.Community, g *crdt.Group, s *shownList, nm *namer) error {
		total := s.len()
		if from < 0 {
			from = max(0, total-limit)
		}
		from = min(from, total)
		end := total
		if limit < total-from {
			end = from + limit
		}
		page = api.Page{Total: total, From: from, Messages: make([]api.Message, 0, end-from), FirstUnread: -1}
		for i := from; i < end; i++ {
			page.Messages = append(page.Messages, s.message(nm, self, i))
		}
		read = readPoint{joined: c.State().Role(self) != crdt.RoleNone && g.Has(self), others: s.others, before: s.before}
		return nil
	})
	return page, read, err
}

// readPoint is what a display list says about where reading stands.
type readPoint struct {
	joined bool
	others []int32 // display indexes of others' posts
	before int     // of them, said before the member came
}

// MessagePage returns up to limit messages of a group (at least 1, at most
// MaxPage) from index from of its display order, the same list Messages
// returns; a negative from means the last limit. Each has its Index, and
// a reply its Quote.
func (n *Node) MessagePage(cid, gid crdt.ID, from, limit int) (api.Page, error) {
	limit = min(max(limit, 1), api.MaxPage)
	loc := n.localGroup(cid, gid)
	page, read, err := n.window(cid, gid, from, limit)
	if err != nil {
		return api.Page{}, err
	}
	if r := loc.readCount(read.before); read.joined && r < len(read.others) {
		page.FirstUnread = int(read.others[r])
	}
	return page, nil
}

// Messages returns a group's messages and polls in the deterministic display
// order, with edits, deletions, reactions, votes, pins and hidden-by-removal
// marks folded in.
func (n *Node) Messages(cid, gid crdt.ID) ([]api.Message, error) {
	page, _, err := n.window(cid, gid, 0, int(^uint(0)>>1))
	return page.Messages, err
}

// Message returns one message or poll of a group.
func (n *Node) Message(cid, gid, id crdt.ID) (api.Message, error) {
	var m api.Message
	self := n.selfKey()
	err := n.inGroup(cid, gid, func(_ *crdt.Community, _ *crdt.Group, s *shownList, nm *namer) error {
		i := s.indexOf(id)
		if i < 0 {
			return fmt.Errorf("message %s: %w", id.Short(), api.ErrUnknownMessage)
		}
		m = s.message(nm, self, i)
		return nil
	})
	return m, err
}

// Pinned returns a group's pinned messages, oldest pin first.
func (n *Node) Pinned(cid, gid crdt.ID) ([]api.Message, error) {
	out := []api.Message{}
	self := n.selfKey()
	err := n.inGroup(cid, gid, func(_ *crdt.Community, _ *crdt.Group, s *shownList, nm *namer) error {
		for _, id := range s.fold.View().Pinned {
			if i := s.indexOf(id); i >= 0 {
				out = append(out, s.message(nm, self, i))
			}
		}
		return nil
	})
	return out, err
}

// Search returns up to limit (at least 1, at most MaxPage) messages of a
// group whose text, poll question or options, or author name contains
// query, ignoring case, newest first. Deleted and hidden messages are
// skipped.
func (n *Node) Search(cid, gid crdt.ID, query string, limit int) ([]api.Message, error) {
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" {
		return nil, fmt.Errorf("%w: nothing to search for", crdt.ErrInvalid)
	}
	limit = min(max(limit, 1), api.MaxPage)
	out := []api.Message{}
	self := n.selfKey()
	err := n.inGroup(cid, gid, func(_ *crdt.Community, _ *crdt.Group, s *shownList, nm *namer) error {
		byName := map[crdt.PublicKey]bool{}
		for i := s.len() - 1; i >= 0 && len(out) < limit; i-- {
			p := s.at(i)
			if p.Deleted || p.Hidden != nil {
				continue
			}
			match, known := byName[p.Author]
			if !known {
				match = strings.Contains(strings.ToLower(nm.name(p.Author)), q)
				byName[p.Author] = match
			}
			match = match || containsLower(p.Text, q)
			if pv := p.Poll; pv != nil && !match {
				match = containsLower(pv.Question, q) || slices.ContainsFunc(pv.Options, func(o string) bool { return containsLower(o, q) })
			}
			if match {
				out = append(out, s.message(nm, self, i))
			}
		}
		return nil
	})
	return out, err
}

// containsLower reports whether s contains lower, which is in lower case,
// ignoring the case of s. ASCII text is compared without a lower-case copy.
func containsLower(s, lower string) bool {
	ascii := func(x string) bool {
		for i := 0; i < len(x); i++ {
			if x[i] >= 0x80 {
				return false
			}
		}
		return true
	}
	if !ascii(s) || !ascii(lower) {
		return strings.Contains(strings.ToLower(s), lower)
	}
	for i := 0; i+len(lower) <= len(s); i++ {
		j := 0
		for ; j < len(lower); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lower[j] {
				break
			}
		}
		if j == len(lower) {
			return true
		}
	}
	return false
}

// warmUp builds, in the background after the node starts, the display
// lists of the biggest groups the member is in (as many as are kept), so
// that opening one of them soon after start costs a page, not a fold of
// the whole group. Whatever asks first simply waits for the same work.
func (n *Node) warmUp() {
	defer n.wg.Done()
	type big struct {
		k   groupKey
		ops int
	}
	var groups []big
	self := n.selfKey()
	for _, cid := range n.rep.Communities() {
		_ = n.rep.View(cid, func(c *crdt.Community) error {
			st := c.State()
			for gid := range st.Groups {
				if t := c.Timeline(gid); t != nil && st.MayRead(self, gid) {
					groups = append(groups, big{groupKey{cid, gid}, t.Len()})
				}
			}
			return nil
		})
	}
	slices.SortFunc(groups, func(a, b big) int { return b.ops - a.ops })
	for _, g := range groups[:min(len(groups), maxShownLists)] {
		if n.ctx.Err() != nil {
			return
		}
		if _, err := n.MessagePage(g.k.community, g.k.group, -1, 1); err != nil {
			n.log.Debug("warm up", "group", g.k.group.Short(), "err", err)
		}
	}
}

// groupLen is how far community c's control log and group gid's timeline
// have grown: what a cached view of the group was built from.
func groupLen(c *crdt.Community, gid crdt.ID) (ctrl, ops int) {
	if t := c.Timeline(gid); t != nil {
		ops = t.Len()
	}
	return c.ControlLen(), ops
}
