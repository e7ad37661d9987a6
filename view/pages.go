package view

import (
	"fmt"
	"slices"
	"strings"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// inGroup runs fn on group gid's display list, in a replica View.
func (v *Views) inGroup(cid, gid crdt.ID, fn func(c *crdt.Community, g *crdt.Group, s *shownList, nm *namer) error) error {
	return v.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		g, ok := st.Groups[gid]
		if !ok {
			return fmt.Errorf("group %s: %w", gid.Short(), api.ErrUnknownGroup)
		}
		// Others' private conversation is not this member's to read, and
		// not listed: it is refused as no group, whatever the store holds.
		if g.Private() && !slices.Contains(g.Participants, v.self) {
			return fmt.Errorf("group %s: %w (it is a private conversation of others)", gid.Short(), api.ErrUnknownGroup)
		}
		return fn(c, g, v.shown(c, gid), newNamer(st, v.names))
	})
}

// window returns messages [from, from+limit) of the display list (from < 0:
// the last limit), and what FirstUnread needs.
func (v *Views) window(cid, gid crdt.ID, from, limit int) (page api.Page, read readPoint, err error) {
	self := v.self
	err = v.inGroup(cid, gid, func(c *crdt.Community, g *crdt.Group, s *shownList, nm *namer) error {
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
// api.MaxPage) from index from of its display order, the same list
// Messages returns; a negative from means the last limit. Each has its
// Index, and a reply its Quote; FirstUnread is the first message by others
// past this device's read mark.
func (v *Views) MessagePage(cid, gid crdt.ID, from, limit int) (api.Page, error) {
	limit = min(max(limit, 1), api.MaxPage)
	loc := v.localGroup(cid, gid)
	page, read, err := v.window(cid, gid, from, limit)
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
func (v *Views) Messages(cid, gid crdt.ID) ([]api.Message, error) {
	page, _, err := v.window(cid, gid, 0, int(^uint(0)>>1))
	return page.Messages, err
}

// Message returns one message or poll of a group.
func (v *Views) Message(cid, gid, id crdt.ID) (api.Message, error) {
	var m api.Message
	err := v.inGroup(cid, gid, func(_ *crdt.Community, _ *crdt.Group, s *shownList, nm *namer) error {
		i := s.indexOf(id)
		if i < 0 {
			return fmt.Errorf("message %s: %w", id.Short(), api.ErrUnknownMessage)
		}
		m = s.message(nm, v.self, i)
		return nil
	})
	return m, err
}

// Pinned returns a group's pinned messages, oldest pin first.
func (v *Views) Pinned(cid, gid crdt.ID) ([]api.Message, error) {
	out := []api.Message{}
	err := v.inGroup(cid, gid, func(_ *crdt.Community, _ *crdt.Group, s *shownList, nm *namer) error {
		for _, id := range s.fold.Pinned() {
			if i := s.indexOf(id); i >= 0 {
				out = append(out, s.message(nm, v.self, i))
			}
		}
		return nil
	})
	return out, err
}

// Search returns up to limit (at least 1, at most api.MaxPage) messages of
// a group whose text, poll question or options, or author name contains
// query, ignoring case, newest first. Deleted and hidden messages are
// skipped.
func (v *Views) Search(cid, gid crdt.ID, query string, limit int) ([]api.Message, error) {
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" {
		return nil, fmt.Errorf("%w: nothing to search for", crdt.ErrInvalid)
	}
	limit = min(max(limit, 1), api.MaxPage)
	out := []api.Message{}
	err := v.inGroup(cid, gid, func(_ *crdt.Community, _ *crdt.Group, s *shownList, nm *namer) error {
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
			match = match || cardMatches(&p, q) // team.go
			if match {
				out = append(out, s.message(nm, v.self, i))
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
