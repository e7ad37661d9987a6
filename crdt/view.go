package crdt

import (
	"slices"
	"strings"
)

// Post is a message or poll as people see it, with everything that acts on
// it folded in.
type Post struct {
	ID       ID
	Author   PublicKey
	Kind     Kind // KindMessage, KindPoll, a team kind or KindCall
	Text     string
	Time     int64
	ReplyTo  ID
	Mentions []PublicKey
	Edited   bool
	EditedAt int64
	Deleted  bool
	// DeletedBy is who deleted it: the author, or an admin.
	DeletedBy PublicKey
	// Hidden is set (a *Hidden, an ErrHidden) when a removal invalidated
	// the post; Text is then empty.
	Hidden    error
	Pinned    bool
	Reactions []Reaction
	Poll      *PollView
	// File is the file a message shares, nil when none or deleted.
	File *FileRef
	// TeamCard holds a win's, promotion's or event's card, a question's
	// answer and the collections the post is in (team.go).
	TeamCard
	// Call is, for a call's start (Kind KindCall), the call as Calls
	// shows it: the conversation's row of the call. A call is no post to
	// reply to, react to or pin (isPostKind), and no new message.
	Call *CallView
}

// Reaction is one emoji on a post and who chose it.
type Reaction struct {
	Emoji string
	By    []PublicKey // sorted
}

// PollView is a poll's question and live result.
type PollView struct {
	Question string
	Options  []string
	Multi    bool
	Closes   int64 // unix milliseconds, 0 for none
	Closed   bool
	ClosedBy PublicKey
	Votes    [][]PublicKey // per option, sorted
	Voters   int
}

// GroupView is a group's timeline folded into posts: edits, deletions,
// reactions (last writer wins per author, post and emoji), votes (last
// writer wins per voter and poll; a closed poll counts only votes in the
// close's causal past and cast before its closing time) and pins (at most
// MaxPins; pinning another drops the oldest).
type GroupView struct {
	Group  ID
	Posts  []*Post // display order
	Pinned []ID    // oldest pin first
	// Calls are the group's calls, in display order of their starts
	// (call.go).
	Calls []*CallView
}

type lww struct {
	height uint64
	id     ID
}

func (a lww) after(b lww) bool {
	if a.height != b.height {
		return a.height > b.height
	}
	return a.id.Compare(b.id) > 0
}

type reactKey struct {
	author PublicKey
	target ID
	emoji  string
}

// View folds group's timeline into posts.
func (c *Community) View(group ID) *GroupView {
	return c.Fold(group, nil).View()
}

// Fold is a group's view kept up to date as ops arrive: Community.Fold
// folds only what came after the ops an earlier Fold saw, when nothing
// before them changed.
type Fold struct {
	group ID
	tl    *Timeline // the timeline folded: gen counts its rewrites
	gen   uint64    // Community.EntriesGen of entries
	view  GroupView
	// entries are the timeline entries folded, in display order (a prefix
	// of the timeline's order, shared with it); hidden holds the reason of
	// each one that was hidden, by position.
	entries []*Entry
	hidden  map[int]string
	// list holds the posts in display order (view.Posts stays nil). A
	// message that stood when folded and that nothing else changed keeps
	// only its entry: its Post is made from the entry when read (Post),
	// so that a group of 100,000 messages keeps 16 bytes per message here
	// instead of a Post. Polls, team cards, hidden posts and every post an
	// op changed (edits, deletions, reactions, pins, answers, collections)
	// keep their Post.
	list    []postRef
	posts   map[ID]int // position in list
	polls   []int      // positions of polls
	edits   map[ID]lww
	reacts  map[reactKey]reactState
	reactBy map[ID][]reactKey // the keys of reacts, by target
	votes   map[ID][]*Entry
	closes  map[ID][]*Entry
	pins    []ID // as pinned and unpinned, before dropping posts that are gone
	team    *teamFold
	calls   map[ID]int // position in view.Calls (call.go)
}

type reactState struct {
	at lww
	on bool
}

// Fold returns group's view as View does. Given prev, an earlier result of
// Fold for the same group of this community, it brings prev up to date in
// place and returns it when the ops prev folded still come first in the
// display order, in the same order, each hidden or not as before (the
// common case: new ops arrived and go last); otherwise it folds the whole
// timeline into a new Fold. Either way the cost of the new ops is what it
// is when prev is reused, plus, only when the timeline was rewritten since
// (EntriesGen), a pass over prev's entries to check them. Posts of a
// reused Fold change in place: callers that keep prev must not share it.
func (c *Community) Fold(group ID, prev *Fold) *Fold {
	es := c.Entries(group)
	gen := c.EntriesGen(group)
	t := c.groups[group]
	if prev != nil && prev.group == group && (prev.tl == t && t != nil && prev.gen == gen || prev.extends(es)) {
		touched := map[ID]bool{}
		for i := len(prev.entries); i < len(es); i++ {
			prev.add(i, es[i], touched)
		}
		prev.entries, prev.tl, prev.gen = es, t, gen
		prev.finish(t, touched)
		return prev
	}
	f := &Fold{group: group, view: GroupView{Group: group}, hidden: map[int]string{}, posts: map[ID]int{},
		edits: map[ID]lww{}, reacts: map[reactKey]reactState{}, reactBy: map[ID][]reactKey{}, votes: map[ID][]*Entry{}, closes: map[ID][]*Entry{}}
	for i, e := range es {
		f.add(i, e, nil)
	}
	f.entries, f.tl, f.gen = es, t, gen
	f.finish(t, nil)
	return f
}

// postRef is one post of a Fold: its entry, and its Post when it keeps
// one.
type postRef struct {
	e *Entry
	p *Post
}

// View returns the folded view, every post made: for whole-group reads
// and tests. Pages read Len, Post, Pinned and Calls instead. Callers must
// not modify it.
func (f *Fold) View() *GroupView {
	v := f.view
	v.Posts = make([]*Post, len(f.list))
	for i, r := range f.list {
		if r.p != nil {
			v.Posts[i] = r.p
		} else {
			p := plainPost(r.e)
			v.Posts[i] = &p
		}
	}
	return &v
}

// Len returns the number of posts, View().Posts's length.
func (f *Fold) Len() int { return len(f.list) }

// Post returns the i-th post in display order, as View().Posts[i] holds
// it. Its slices and pointers are shared: callers must not modify them.
func (f *Fold) Post(i int) Post {
	if r := f.list[i]; r.p != nil {
		return *r.p
	}
	return plainPost(f.list[i].e)
}

// Said returns the author of the i-th post and when it was said (0 for a
// hidden post), without making the post.
func (f *Fold) Said(i int) (PublicKey, int64) {
	r := f.list[i]
	if r.p != nil {
		return r.p.Author, r.p.Time
	}
	return r.e.Op.Author, r.e.Body.(*MessageBody).Time
}

// Kind returns the kind of the i-th post, without making the post.
func (f *Fold) Kind(i int) Kind {
	if r := f.list[i]; r.p != nil {
		return r.p.Kind
	}
	return f.list[i].e.Op.Kind
}

// Pinned returns the pinned posts, oldest pin first (View().Pinned).
func (f *Fold) Pinned() []ID { return f.view.Pinned }

// Calls returns the group's calls in display order (View().Calls).
func (f *Fold) Calls() []*CallView { return f.view.Calls }

// Index returns the position of post id in View().Posts, or -1.
func (f *Fold) Index(id ID) int {
	if i, ok := f.posts[id]; ok {
		return i
	}
	return -1
}

// plainPost makes the post of message entry e, which stood when folded and
// which no other op changed.
func plainPost(e *Entry) Post {
	o, b := e.Op, e.Body.(*MessageBody)
	p := Post{ID: o.ID(), Author: o.Author, Kind: o.Kind, Text: b.Text, Time: b.Time, File: b.File}
	if len(b.ReplyTo) > 0 {
		p.ReplyTo = idOf(b.ReplyTo)
	}
	if len(b.Mentions) > 0 {
		p.Mentions = make([]PublicKey, len(b.Mentions))
		for i, m := range b.Mentions {
			p.Mentions[i] = keyOf(m)
		}
	}
	return p
}

// extends reports whether es, the timeline's current order, starts with
// the entries f folded, each with the verdict it had. Hidden reasons are
// compared by their text: verdicts are recomputed as new error values
// whenever the control state changes, mostly to the same reason.
func (f *Fold) extends(es []*Entry) bool {
	if len(es) < len(f.entries) {
		return false
	}
	same := len(f.entries) == 0 || &es[0] == &f.entries[0]
	for i, e := range f.entries {
		if !same && es[i] != e {
			return false
		}
		was, hid := f.hidden[i]
		if (e.Hidden != nil) != hid || hid && e.Hidden.Error() != was {
			return false
		}
	}
	return true
}

// post returns post id for an op to change, making and keeping its Post
// if it kept only its entry; nil when there is no such post.
func (f *Fold) post(id ID) *Post {
	i, ok := f.posts[id]
	if !ok {
		return nil
	}
	r := &f.list[i]
	if r.p == nil {
		p := plainPost(r.e)
		r.p = &p
	}
	return r.p
}

// addPost appends the post of entry e: p, or when p is nil a message that
// keeps only its entry.
func (f *Fold) addPost(e *Entry, p *Post) {
	f.posts[e.Op.ID()] = len(f.list)
	if p != nil && p.Poll != nil {
		f.polls = append(f.polls, len(f.list))
	}
	f.list = append(f.list, postRef{e, p})
}

// add folds entry e, the i-th of the order. touched collects the posts
// whose reactions or tally must be computed again (nil: all will be).
func (f *Fold) add(i int, e *Entry, touched map[ID]bool) {
	touch := func(id ID) {
		if touched != nil {
			touched[id] = true
		}
	}
	o := e.Op
	if e.Hidden != nil {
		f.hidden[i] = e.Hidden.Error()
		if isPostKind(o.Kind) {
			f.addPost(e, &Post{ID: o.ID(), Author: o.Author, Kind: o.Kind, Hidden: e.Hidden})
		}
		return
	}
	at := lww{o.Height, o.ID()}
	switch b := e.Body.(type) {
	case *MessageBody:
		f.addPost(e, nil)
	case *PollBody:
		p := &Post{ID: o.ID(), Author: o.Author, Kind: o.Kind, Text: b.Question, Time: b.Time,
			Poll: &PollView{Question: b.Question, Options: b.Options, Multi: b.Multi, Closes: b.Closes}}
		f.addPost(e, p)
		touch(p.ID)
	case *EditBody:
		p := f.post(idOf(b.Target))
		if p == nil || p.Hidden != nil || p.Deleted || !at.after(f.edits[p.ID]) {
			return
		}
		f.edits[p.ID] = at
		p.Text, p.Edited, p.EditedAt = b.Text, true, b.Time
	case *DeleteBody:
		if p := f.post(idOf(b.Target)); p != nil && !p.Deleted {
			p.Deleted, p.DeletedBy, p.Text, p.Poll, p.File = true, o.Author, "", nil, nil
			p.TeamCard = TeamCard{}
			touch(p.ID)
		}
	case *ReactionBody:
		k := reactKey{o.Author, idOf(b.Target), b.Emoji}
		cur, ok := f.reacts[k]
		if !ok {
			f.reactBy[k.target] = append(f.reactBy[k.target], k)
		}
		if !ok || at.after(cur.at) {
			f.reacts[k] = reactState{at, b.On}
			touch(k.target)
		}
	case *VoteBody:
		f.votes[idOf(b.Poll)] = append(f.votes[idOf(b.Poll)], e)
		touch(idOf(b.Poll))
	case *PollCloseBody:
		f.closes[idOf(b.Poll)] = append(f.closes[idOf(b.Poll)], e)
		touch(idOf(b.Poll))
	case *PinBody:
		target := idOf(b.Target)
		f.pins = slices.DeleteFunc(f.pins, func(id ID) bool { return id == target })
		if b.On {
			f.pins = append(f.pins, target)
			if len(f.pins) > MaxPins {
				f.pins = f.pins[1:]
			}
		}
	case *CallBody:
		f.addCall(e, b)
	default:
		f.addTeam(e, at, touch)
	}
}

// finish computes pins, and the reactions and tallies of the touched posts
// (all of them when touched is nil).
func (f *Fold) finish(t *Timeline, touched map[ID]bool) {
	for _, id := range f.view.Pinned {
		f.post(id).Pinned = false
	}
	// Pins of posts that are gone do not count.
	f.view.Pinned = slices.DeleteFunc(slices.Clone(f.pins), func(id ID) bool {
		p := f.post(id)
		return p == nil || p.Deleted || p.Hidden != nil
	})
	if len(f.view.Pinned) == 0 {
		f.view.Pinned = nil
	}
	for _, id := range f.view.Pinned {
		f.post(id).Pinned = true
	}
	f.finishTeam(touched)
	if touched == nil {
		for id := range f.reactBy {
			f.react(id)
		}
		for _, i := range f.polls {
			f.tally(t, f.list[i].p)
		}
		return
	}
	for id := range touched {
		if p := f.post(id); p != nil {
			f.react(id)
			f.tally(t, p)
		}
	}
}

// react computes the reactions of post id.
func (f *Fold) react(id ID) {
	p := f.post(id)
	if p == nil {
		return
	}
	p.Reactions = nil
	if p.Deleted || p.Hidden != nil {
		return
	}
	byEmoji := map[string][]PublicKey{}
	for _, k := range f.reactBy[id] {
		if f.reacts[k].on {
			byEmoji[k.emoji] = append(byEmoji[k.emoji], k.author)
		}
	}
	for emoji, by := range byEmoji {
		slices.SortFunc(by, comparePK)
		p.Reactions = append(p.Reactions, Reaction{Emoji: emoji, By: by})
	}
	slices.SortFunc(p.Reactions, func(a, b Reaction) int {
		if len(a.By) != len(b.By) {
			return len(b.By) - len(a.By)
		}
		return strings.Compare(a.Emoji, b.Emoji)
	})
}

// tally counts the votes of poll p afresh.
func (f *Fold) tally(t *Timeline, p *Post) {
	pv := p.Poll
	if pv == nil {
		return
	}
	pv.Closed, pv.ClosedBy, pv.Votes, pv.Voters = false, PublicKey{}, nil, 0
	tallyPoll(t, p, f.votes[p.ID], f.closes[p.ID])
}

func comparePK(a, b PublicKey) int { return strings.Compare(string(a[:]), string(b[:])) }

// tallyPoll counts the votes that stand: after any valid close, only votes in
// the causal past of a close count; with a closing time, only votes cast
// (by the voter's clock) before it.
func tallyPoll(t *Timeline, p *Post, votes, closes []*Entry) {
	pv := p.Poll
	var pasts []map[ID]bool
	floor := t.ops.get(p.ID).Op.Height
	for _, e := range votes {
		floor = min(floor, e.Op.Height)
	}
	for _, cl := range closes {
		if !pv.Closed {
			pv.Closed, pv.ClosedBy = true, cl.Op.Author
		}
		pasts = append(pasts, t.pastWithin(cl.Op, floor))
	}
	latest := map[PublicKey]*Entry{}
	for _, e := range votes {
		b := e.Body.(*VoteBody)
		if pv.Closes != 0 && b.Time > pv.Closes {
			continue
		}
		if len(pasts) > 0 && !slices.ContainsFunc(pasts, func(m map[ID]bool) bool { return m[e.Op.ID()] }) {
			continue
		}
		if cur := latest[e.Op.Author]; cur == nil || (lww{e.Op.Height, e.Op.ID()}).after(lww{cur.Op.Height, cur.Op.ID()}) {
			latest[e.Op.Author] = e
		}
	}
	pv.Votes = make([][]PublicKey, len(pv.Options))
	for voter, e := range latest {
		choices := e.Body.(*VoteBody).Choices
		if len(choices) == 0 {
			continue
		}
		pv.Voters++
		for _, ch := range choices {
			pv.Votes[ch] = append(pv.Votes[ch], voter)
		}
	}
	for _, by := range pv.Votes {
		slices.SortFunc(by, comparePK)
	}
}

// pastWithin returns the causal past of content op o in t, o excluded,
// without descending below height floor.
func (t *Timeline) pastWithin(o *Op, floor uint64) map[ID]bool {
	past := map[ID]bool{}
	stack := slices.Clone(o.Parents)
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		e := t.ops.get(id)
		if past[id] || e == nil || e.Op.Height < floor {
			continue
		}
		past[id] = true
		stack = append(stack, e.Op.Parents...)
	}
	return past
}

// Audit returns the admin actions that took effect, oldest first: the
// control log's (removals, role changes, invites, settings, groups,
// approvals) followed by each group's admin moderation (deleting others'
// posts, closing others' polls, pins), group by group.
func (c *Community) Audit() []AuditEntry {
	out := slices.Clone(c.State().Audit)
	for _, g := range c.ContentLogs() {
		t := c.groups[g]
		for _, e := range c.Entries(g) {
			if e.Hidden != nil {
				continue
			}
			o := e.Op
			switch b := e.Body.(type) {
			case *DeleteBody:
				if te := t.ops.get(idOf(b.Target)); te != nil && te.Op.Author != o.Author {
					out = append(out, AuditEntry{Op: o.ID(), Kind: o.Kind, Actor: o.Author, Target: te.Op.Author, Object: te.Op.ID(), Time: b.Time})
				}
			case *PollCloseBody:
				if te := t.ops.get(idOf(b.Poll)); te != nil && te.Op.Author != o.Author {
					out = append(out, AuditEntry{Op: o.ID(), Kind: o.Kind, Actor: o.Author, Target: te.Op.Author, Object: te.Op.ID(), Time: b.Time})
				}
			case *PinBody:
				detail := "unpinned"
				if b.On {
					detail = "pinned"
				}
				out = append(out, AuditEntry{Op: o.ID(), Kind: o.Kind, Actor: o.Author, Object: idOf(b.Target), Detail: detail, Pinned: b.On, Time: b.Time})
			}
		}
	}
	return out
}
