package view

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The team lists of a community's home: the wall of wins, active
// promotions, upcoming events, the FAQ, unanswered questions and the
// collections, gathered from every group the member reads as it shows
// them (a community that hides history hides here too). Who may do what
// stays crdt's; these only show what the folded posts say.

// teamCards fills in m the cards of post p (crdt.TeamCard).
func teamCards(nm *namer, self crdt.PublicKey, p *crdt.Post, m *api.Message) {
	switch {
	case p.Win != nil:
		m.Win = winOf(nm, crdt.ZeroID, p)
	case p.Promo != nil:
		m.Promo = promoOf(nm, crdt.ZeroID, p)
		if m.File == nil && m.Promo.File != nil {
			// Its image or file shows, and downloads, as a message's.
			m.File = m.Promo.File
		}
	case p.Event != nil:
		m.Event = eventOf(nm, self, crdt.ZeroID, p)
	}
	if !p.Answer.IsZero() {
		a := p.Answer
		m.Answer = &a
	}
	m.Collections = p.Collections
}

func winOf(nm *namer, gid crdt.ID, p *crdt.Post) *api.Win {
	return &api.Win{ID: p.ID, Group: gid, Member: nm.peer(p.Win.Member), MemberName: nm.name(p.Win.Member),
		By: nm.peer(p.Author), ByName: nm.name(p.Author), Badge: p.Win.Badge, Text: p.Text, Time: time.UnixMilli(p.Time)}
}

func promoOf(nm *namer, gid crdt.ID, p *crdt.Post) *api.Promo {
	pv := p.Promo
	out := &api.Promo{ID: p.ID, Group: gid, Title: pv.Title, Text: p.Text, Starts: time.UnixMilli(pv.Starts), Ends: time.UnixMilli(pv.Ends),
		Code: pv.Code, By: nm.peer(p.Author), ByName: nm.name(p.Author), Edited: pv.Edited}
	if pv.File != nil {
		out.File = FileOf(pv.File)
	}
	return out
}

func eventOf(nm *namer, self crdt.PublicKey, gid crdt.ID, p *crdt.Post) *api.CalendarEvent {
	ev := p.Event
	out := &api.CalendarEvent{ID: p.ID, Group: gid, Title: ev.Title, Starts: time.UnixMilli(ev.Starts), Duration: api.Duration(time.Duration(ev.Duration) * time.Millisecond),
		Where: ev.Where, Call: crdt.EventCallName(ev.Call), Text: p.Text, By: nm.peer(p.Author), ByName: nm.name(p.Author), Edited: ev.Edited,
		Going: ev.Count(crdt.RSVPGoing), Maybe: ev.Count(crdt.RSVPMaybe), No: ev.Count(crdt.RSVPNo), Answers: []api.RSVP{}}
	if a := ev.AnswerOf(self); a != crdt.RSVPNone {
		out.Mine = crdt.RSVPName(a)
	}
	for _, r := range ev.Answers {
		out.Answers = append(out.Answers, api.RSVP{PeerID: nm.peer(r.Member), Name: nm.name(r.Member), Answer: crdt.RSVPName(r.Answer)})
	}
	slices.SortStableFunc(out.Answers, func(a, b api.RSVP) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// eachGroup calls fn with the display list of every group of community
// cid that holds posts the local member reads, in the community's order.
func (v *Views) eachGroup(cid crdt.ID, fn func(c *crdt.Community, g *crdt.Group, s *shownList, nm *namer)) error {
	return v.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		nm := newNamer(st, v.names)
		for _, g := range st.SortedGroups() {
			if c.Timeline(g.ID) == nil || g.Private() && !slices.Contains(g.Participants, v.self) {
				continue
			}
			fn(c, g, v.shown(c, g.ID), nm)
		}
		return nil
	})
}

// standing reports whether post p stands: neither deleted nor hidden.
func standing(p *crdt.Post) bool { return !p.Deleted && p.Hidden == nil }

// Wins returns the wins of community cid, newest first; only those of
// the member with peer id member when it is not empty.
func (v *Views) Wins(cid crdt.ID, member string) ([]api.Win, error) {
	out := []api.Win{}
	err := v.eachGroup(cid, func(_ *crdt.Community, g *crdt.Group, s *shownList, nm *namer) {
		for i := range s.len() {
			p := s.at(i)
			if p.Win == nil || !standing(&p) || member != "" && nm.peer(p.Win.Member) != member {
				continue
			}
			out = append(out, *winOf(nm, g.ID, &p))
		}
	})
	slices.SortStableFunc(out, func(a, b api.Win) int { return b.Time.Compare(a.Time) })
	return out, err
}

// Promos returns the promotions of community cid that run at now (all
// of them, ended or not started yet, when all is set), the soonest to end
// first.
func (v *Views) Promos(cid crdt.ID, now time.Time, all bool) ([]api.Promo, error) {
	out := []api.Promo{}
	err := v.eachGroup(cid, func(_ *crdt.Community, g *crdt.Group, s *shownList, nm *namer) {
		for i := range s.len() {
			p := s.at(i)
			if p.Promo == nil || !standing(&p) || !all && !p.Promo.Active(now.UnixMilli()) {
				continue
			}
			out = append(out, *promoOf(nm, g.ID, &p))
		}
	})
	slices.SortStableFunc(out, func(a, b api.Promo) int { return cmp.Or(a.Ends.Compare(b.Ends), a.ID.Compare(b.ID)) })
	return out, err
}

// Events returns the events of community cid that have not ended at now
// (all of them when all is set), the soonest first.
func (v *Views) Events(cid crdt.ID, now time.Time, all bool) ([]api.CalendarEvent, error) {
	out := []api.CalendarEvent{}
	err := v.eachGroup(cid, func(_ *crdt.Community, g *crdt.Group, s *shownList, nm *namer) {
		for i := range s.len() {
			p := s.at(i)
			if p.Event == nil || !standing(&p) || !all && p.Event.Ends() <= now.UnixMilli() {
				continue
			}
			out = append(out, *eventOf(nm, v.self, g.ID, &p))
		}
	})
	slices.SortStableFunc(out, func(a, b api.CalendarEvent) int { return cmp.Or(a.Starts.Compare(b.Starts), a.ID.Compare(b.ID)) })
	return out, err
}

// Event returns event id of community cid.
func (v *Views) Event(cid, id crdt.ID) (api.CalendarEvent, error) {
	var out *api.CalendarEvent
	err := v.eachGroup(cid, func(_ *crdt.Community, g *crdt.Group, s *shownList, nm *namer) {
		if i := s.indexOf(id); i >= 0 && out == nil {
			if p := s.at(i); p.Event != nil && standing(&p) {
				out = eventOf(nm, v.self, g.ID, &p)
			}
		}
	})
	if err != nil {
		return api.CalendarEvent{}, err
	}
	if out == nil {
		return api.CalendarEvent{}, fmt.Errorf("event %s: %w", id.Short(), api.ErrUnknownMessage)
	}
	return *out, nil
}

// question reports whether post p of group g is a question: a standing
// top-level message of a Q&A group.
func question(g *crdt.Group, p *crdt.Post) bool {
	return g.QA && p.Kind == crdt.KindMessage && p.ReplyTo.IsZero() && standing(p)
}

// FAQ returns the answered questions of the Q&A groups of community cid,
// group by group in display order; only those whose question or answer
// contains search, ignoring case, when it is not empty.
func (v *Views) FAQ(cid crdt.ID, search string) ([]api.FAQEntry, error) {
	q := strings.ToLower(strings.TrimSpace(search))
	out := []api.FAQEntry{}
	err := v.eachGroup(cid, func(_ *crdt.Community, g *crdt.Group, s *shownList, _ *namer) {
		for i := range s.len() {
			p := s.at(i)
			if !question(g, &p) || p.Answer.IsZero() {
				continue
			}
			j := s.indexOf(p.Answer)
			if j < 0 {
				continue // the answer is not shown to this member
			}
			a := s.at(j)
			if q != "" && !containsLower(p.Text, q) && !containsLower(a.Text, q) {
				continue
			}
			out = append(out, api.FAQEntry{Question: p.Text, Answer: a.Text, Group: g.ID, GroupName: g.Name,
				QuestionID: p.ID, AnswerID: a.ID, Time: time.UnixMilli(p.Time)})
		}
	})
	return out, err
}

// Questions returns the questions of the Q&A groups of community cid,
// oldest first (by their authors' clocks); only those not answered yet
// when unanswered is set.
func (v *Views) Questions(cid crdt.ID, unanswered bool) ([]api.Question, error) {
	out := []api.Question{}
	err := v.eachGroup(cid, func(_ *crdt.Community, g *crdt.Group, s *shownList, nm *namer) {
		for i := range s.len() {
			p := s.at(i)
			if !question(g, &p) || unanswered && !p.Answer.IsZero() {
				continue
			}
			qq := api.Question{ID: p.ID, Group: g.ID, Author: nm.peer(p.Author), AuthorName: nm.name(p.Author), Text: p.Text, Time: time.UnixMilli(p.Time)}
			if !p.Answer.IsZero() {
				a := p.Answer
				qq.Answer = &a
			}
			out = append(out, qq)
		}
	})
	slices.SortStableFunc(out, func(a, b api.Question) int { return a.Time.Compare(b.Time) })
	return out, err
}

// Collections returns the collections of community cid by name, each with
// its messages group by group in display order, each naming its group.
func (v *Views) Collections(cid crdt.ID) ([]api.Collection, error) {
	byName := map[string]*api.Collection{}
	err := v.eachGroup(cid, func(_ *crdt.Community, g *crdt.Group, s *shownList, nm *namer) {
		for i := range s.len() {
			p := s.at(i)
			if len(p.Collections) == 0 {
				continue
			}
			m := s.message(nm, v.self, i)
			m.Group = g.ID
			for _, name := range p.Collections {
				col := byName[name]
				if col == nil {
					col = &api.Collection{Name: name}
					byName[name] = col
				}
				col.Messages = append(col.Messages, m)
			}
		}
	})
	out := []api.Collection{}
	for _, col := range byName {
		out = append(out, *col)
	}
	slices.SortFunc(out, func(a, b api.Collection) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.Name, b.Name))
	})
	return out, err
}

// teamPostTime is the time a win, promotion or event was written, as its
// post shows it.
func teamPostTime(body any) int64 {
	switch b := body.(type) {
	case *crdt.WinBody:
		return b.Time
	case *crdt.PromoBody:
		return b.Time
	case *crdt.EventBody:
		return b.Time
	}
	return 0
}

// cardMatches reports whether the title of promotion or event p, or where
// the event takes place, contains q, which is in lower case.
func cardMatches(p *crdt.Post, q string) bool {
	switch {
	case p.Promo != nil:
		return containsLower(p.Promo.Title, q)
	case p.Event != nil:
		return containsLower(p.Event.Title, q) || containsLower(p.Event.Where, q)
	}
	return false
}
