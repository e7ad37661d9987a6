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
	Kind     Kind // KindMessage or KindPoll
	Text     string
	Time     int64
	ReplyTo  ID
	Mentions []PublicKey
	Edited   bool
	EditedAt int64
	Deleted  bool
	// DeletedBy is who deleted it: the author, or an admin.
	DeletedBy PublicKey
	// Hidden is set (wrapping ErrHidden) when a removal invalidated the
	// post; Text is then empty.
	Hidden    error
	Pinned    bool
	Reactions []Reaction
	Poll      *PollView
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
	v := &GroupView{Group: group}
	entries := c.Entries(group)
	t := c.groups[group]
	posts := map[ID]*Post{}
	edits := map[ID]lww{}
	reacts := map[reactKey]struct {
		at lww
		on bool
	}{}
	votes := map[ID][]*Entry{}
	closes := map[ID][]*Entry{}
	for _, e := range entries {
		o := e.Op
		if e.Hidden != nil {
			if o.Kind == KindMessage || o.Kind == KindPoll {
				p := &Post{ID: o.ID(), Author: o.Author, Kind: o.Kind, Hidden: e.Hidden}
				posts[p.ID] = p
				v.Posts = append(v.Posts, p)
			}
			continue
		}
		at := lww{o.Height, o.ID()}
		switch b := e.Body.(type) {
		case *MessageBody:
			p := &Post{ID: o.ID(), Author: o.Author, Kind: o.Kind, Text: b.Text, Time: b.Time}
			if len(b.ReplyTo) > 0 {
				p.ReplyTo = idOf(b.ReplyTo)
			}
			for _, m := range b.Mentions {
				p.Mentions = append(p.Mentions, keyOf(m))
			}
			posts[p.ID] = p
			v.Posts = append(v.Posts, p)
		case *PollBody:
			p := &Post{ID: o.ID(), Author: o.Author, Kind: o.Kind, Text: b.Question, Time: b.Time,
				Poll: &PollView{Question: b.Question, Options: b.Options, Multi: b.Multi, Closes: b.Closes}}
			posts[p.ID] = p
			v.Posts = append(v.Posts, p)
		case *EditBody:
			p := posts[idOf(b.Target)]
			if p == nil || p.Hidden != nil || p.Deleted || !at.after(edits[p.ID]) {
				continue
			}
			edits[p.ID] = at
			p.Text, p.Edited, p.EditedAt = b.Text, true, b.Time
		case *DeleteBody:
			if p := posts[idOf(b.Target)]; p != nil && !p.Deleted {
				p.Deleted, p.DeletedBy, p.Text, p.Poll = true, o.Author, "", nil
			}
		case *ReactionBody:
			k := reactKey{o.Author, idOf(b.Target), b.Emoji}
			if cur, ok := reacts[k]; !ok || at.after(cur.at) {
				reacts[k] = struct {
					at lww
					on bool
				}{at, b.On}
			}
		case *VoteBody:
			votes[idOf(b.Poll)] = append(votes[idOf(b.Poll)], e)
		case *PollCloseBody:
			closes[idOf(b.Poll)] = append(closes[idOf(b.Poll)], e)
		case *PinBody:
			target := idOf(b.Target)
			v.Pinned = slices.DeleteFunc(v.Pinned, func(id ID) bool { return id == target })
			if b.On {
				v.Pinned = append(v.Pinned, target)
				if len(v.Pinned) > MaxPins {
					v.Pinned = v.Pinned[1:]
				}
			}
		}
	}
	// Pins of posts that are gone do not count.
	v.Pinned = slices.DeleteFunc(v.Pinned, func(id ID) bool {
		p := posts[id]
		return p == nil || p.Deleted || p.Hidden != nil
	})
	for _, id := range v.Pinned {
		posts[id].Pinned = true
	}
	byPost := map[ID]map[string][]PublicKey{}
	for k, r := range reacts {
		if !r.on {
			continue
		}
		if byPost[k.target] == nil {
			byPost[k.target] = map[string][]PublicKey{}
		}
		byPost[k.target][k.emoji] = append(byPost[k.target][k.emoji], k.author)
	}
	for id, m := range byPost {
		p := posts[id]
		if p == nil || p.Deleted || p.Hidden != nil {
			continue
		}
		for emoji, by := range m {
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
	for id, p := range posts {
		if p.Poll != nil {
			tallyPoll(t, p, votes[id], closes[id])
		}
	}
	return v
}

func comparePK(a, b PublicKey) int { return strings.Compare(string(a[:]), string(b[:])) }

// tallyPoll counts the votes that stand: after any valid close, only votes in
// the causal past of a close count; with a closing time, only votes cast
// (by the voter's clock) before it.
func tallyPoll(t *Timeline, p *Post, votes, closes []*Entry) {
	pv := p.Poll
	var pasts []map[ID]bool
	floor := t.ops[p.ID].Op.Height
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
		e := t.ops[id]
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
				if te := t.ops[idOf(b.Target)]; te != nil && te.Op.Author != o.Author {
					out = append(out, AuditEntry{Op: o.ID(), Kind: o.Kind, Actor: o.Author, Target: te.Op.Author, Object: te.Op.ID(), Time: b.Time})
				}
			case *PollCloseBody:
				if te := t.ops[idOf(b.Poll)]; te != nil && te.Op.Author != o.Author {
					out = append(out, AuditEntry{Op: o.ID(), Kind: o.Kind, Actor: o.Author, Target: te.Op.Author, Object: te.Op.ID(), Time: b.Time})
				}
			case *PinBody:
				detail := "unpinned"
				if b.On {
					detail = "pinned"
				}
				out = append(out, AuditEntry{Op: o.ID(), Kind: o.Kind, Actor: o.Author, Object: idOf(b.Target), Detail: detail, Time: b.Time})
			}
		}
	}
	return out
}
