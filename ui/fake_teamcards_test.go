package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The fake's team cards: events and their answers, Q&A answers, judged
// by crdt as the node's are (fake_rules_test.go).

func (f *fakeBackend) CreateEvent(_ context.Context, cid, gid crdt.ID, d api.EventDraft) (crdt.ID, error) {
	f.mu.Lock()
	err := f.enter("CreateEvent")
	var g *fakeGroup
	if err == nil {
		var c *fakeCommunity
		if c, g, err = f.group(cid, gid); err == nil {
			err = f.judge(c, crdt.Action{Kind: crdt.KindEvent, Group: gid})
		}
	}
	if err == nil && (strings.TrimSpace(d.Title) == "" || d.Starts.IsZero() || d.Duration < 0) {
		err = fmt.Errorf("%w: an event needs a title, a start and a duration of 0 or more", crdt.ErrInvalid)
	}
	if err != nil {
		f.mu.Unlock()
		return crdt.ID{}, err
	}
	id := f.id()
	f.clock = f.clock.Add(time.Minute)
	e := &api.CalendarEvent{ID: id, Title: strings.TrimSpace(d.Title), Starts: d.Starts, Duration: api.Duration(d.Duration),
		Where: strings.TrimSpace(d.Where), Text: strings.TrimSpace(d.Text), Call: d.Call, By: f.self.PeerID, ByName: f.self.Name, Answers: []api.RSVP{}}
	g.msgs = append(g.msgs, api.Message{ID: id, Kind: "event", Author: f.self.PeerID, AuthorName: f.self.Name, Text: e.Text, Time: f.clock, Mine: true, Event: e})
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: gid, Home: api.HomeEvents})
	return id, nil
}

// cardHome is the list of the home team card m changes (view.TouchesHome).
func cardHome(m api.Message) api.HomeParts {
	switch {
	case m.Win != nil:
		return api.HomeWins
	case m.Promo != nil:
		return api.HomePromos
	case m.Event != nil:
		return api.HomeEvents
	}
	return 0
}

// eventIn finds event id in community cid. Callers hold f.mu.
func (f *fakeBackend) eventIn(cid, id crdt.ID) (*fakeCommunity, *fakeGroup, *api.Message, error) {
	c := f.comm(cid)
	if c == nil {
		return nil, nil, nil, fmt.Errorf("community %s: unknown", cid.Short())
	}
	for _, g := range c.groups {
		for i := range g.msgs {
			if m := &g.msgs[i]; m.ID == id && m.Event != nil {
				return c, g, m, nil
			}
		}
	}
	return nil, nil, nil, fmt.Errorf("event %s: %w", id.Short(), api.ErrUnknownMessage)
}

func (f *fakeBackend) RSVP(_ context.Context, cid, id crdt.ID, answer string) error {
	f.mu.Lock()
	err := f.enter("RSVP")
	var gid crdt.ID
	if err == nil {
		var c *fakeCommunity
		var g *fakeGroup
		var m *api.Message
		if c, g, m, err = f.eventIn(cid, id); err == nil {
			gid = g.info.ID
			if err = f.judge(c, crdt.Action{Kind: crdt.KindRSVP, Group: gid, Others: !m.Mine}); err == nil {
				err = f.answerEvent(m.Event, f.self.PeerID, f.self.Name, answer, true)
			}
		}
	}
	f.mu.Unlock()
	if err == nil {
		f.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: gid, Home: api.HomeEvents})
	}
	return err
}

// answerEvent sets who's answer to e ("" takes it back). Callers hold
// f.mu.
func (f *fakeBackend) answerEvent(e *api.CalendarEvent, peer, name, answer string, mine bool) error {
	if answer != "" && answer != "going" && answer != "maybe" && answer != "no" {
		return fmt.Errorf("%w: answer %q: want going, maybe or no", crdt.ErrInvalid, answer)
	}
	e.Answers = slices.DeleteFunc(slices.Clone(e.Answers), func(r api.RSVP) bool { return r.PeerID == peer })
	if answer != "" {
		e.Answers = append(e.Answers, api.RSVP{PeerID: peer, Name: name, Answer: answer})
		slices.SortStableFunc(e.Answers, func(a, b api.RSVP) int { return strings.Compare(a.Name, b.Name) })
	}
	if mine {
		e.Mine = answer
	}
	e.Going, e.Maybe, e.No = 0, 0, 0
	for _, r := range e.Answers {
		switch r.Answer {
		case "going":
			e.Going++
		case "maybe":
			e.Maybe++
		case "no":
			e.No++
		}
	}
	return nil
}

// rsvpAs answers event id as another member, as if it came from the
// network.
func (f *fakeBackend) rsvpAs(cid, id crdt.ID, who, answer string) {
	f.mu.Lock()
	_, g, m, err := f.eventIn(cid, id)
	if err == nil {
		err = f.answerEvent(m.Event, "peer-"+who, who, answer, false)
	}
	f.mu.Unlock()
	if err != nil {
		panic(err)
	}
	f.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: g.info.ID, Home: api.HomeEvents})
}

// deliverCard adds a card message by another member, as if it came from
// the network.
func (f *fakeBackend) deliverCard(cid, gid crdt.ID, author string, m api.Message) crdt.ID {
	f.mu.Lock()
	m.ID = f.id()
	f.clock = f.clock.Add(time.Minute)
	_, g, _ := f.group(cid, gid)
	m.Author, m.AuthorName, m.Time = "peer-"+author, author, f.clock
	switch {
	case m.Win != nil:
		m.Kind = "win"
	case m.Promo != nil:
		m.Kind = "promo"
	case m.Event != nil:
		m.Kind = "event"
		m.Event.ID = m.ID
	}
	g.msgs = append(g.msgs, m)
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: gid, Home: cardHome(m)})
	return m.ID
}

func (f *fakeBackend) MarkAnswer(_ context.Context, cid, gid, question, answer crdt.ID) error {
	return f.change("MarkAnswer", cid, gid, question, func(c *fakeCommunity, g *fakeGroup, q *api.Message) error {
		if !g.info.QA {
			return fmt.Errorf("%w: %s is not a Q&A group", crdt.ErrInvalid, g.info.Name)
		}
		if q.ReplyTo != nil {
			return fmt.Errorf("%w: message %s is not a question", crdt.ErrInvalid, question.Short())
		}
		if err := f.judge(c, crdt.Action{Kind: crdt.KindAnswer, Group: gid, Others: !q.Mine}); err != nil {
			return err
		}
		if answer.IsZero() {
			q.Answer = nil
			return nil
		}
		i := slices.IndexFunc(g.msgs, func(m api.Message) bool { return m.ID == answer })
		if i < 0 || g.msgs[i].ReplyTo == nil || *g.msgs[i].ReplyTo != question {
			return fmt.Errorf("%w: message %s is not a reply to question %s", crdt.ErrInvalid, answer.Short(), question.Short())
		}
		q.Answer = &answer
		return nil
	})
}

// setQA marks the community's group named name as a Q&A group, as an
// admin's group.qa op would.
func (f *fakeBackend) setQA(cid crdt.ID, name string) crdt.ID {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, g := range f.comm(cid).groups {
		if g.info.Name == name {
			g.info.QA = true
			return g.info.ID
		}
	}
	panic("no group " + name)
}

func (f *fakeBackend) Celebrate(_ context.Context, cid, gid crdt.ID, member, badge, text string) (crdt.ID, error) {
	f.mu.Lock()
	err := f.enter("Celebrate")
	var g *fakeGroup
	var who *api.Member
	if err == nil {
		var c *fakeCommunity
		if c, g, err = f.group(cid, gid); err == nil {
			err = f.judge(c, crdt.Action{Kind: crdt.KindWin, Group: gid})
			if who = f.member(c, member); err == nil && who == nil {
				err = fmt.Errorf("%s: %w", member, api.ErrUnknownMember)
			}
		}
	}
	if err == nil {
		if cerr := crdt.CheckBadge(badge); cerr != nil {
			err = fmt.Errorf("%w: %v", crdt.ErrInvalid, cerr)
		}
	}
	if err != nil {
		f.mu.Unlock()
		return crdt.ID{}, err
	}
	id := f.id()
	f.clock = f.clock.Add(time.Minute)
	w := &api.Win{ID: id, Member: member, MemberName: who.Name, By: f.self.PeerID, ByName: f.self.Name, Badge: badge, Text: text, Time: f.clock}
	g.msgs = append(g.msgs, api.Message{ID: id, Kind: "win", Author: f.self.PeerID, AuthorName: f.self.Name, Text: text, Time: f.clock, Mine: true, Win: w})
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: gid, Home: api.HomeWins})
	return id, nil
}

func (f *fakeBackend) CreatePromo(ctx context.Context, cid crdt.ID, d api.PromoDraft) (crdt.ID, error) {
	var data []byte
	if d.File != "" {
		var err error
		if data, err = f.storeFile(ctx, d.File, d.Progress); err != nil {
			return crdt.ID{}, err
		}
	}
	f.mu.Lock()
	err := f.storedFile(d)
	if err == nil {
		err = f.enter("CreatePromo")
	}
	var g *fakeGroup
	if err == nil {
		c := f.comm(cid)
		if c == nil {
			err = fmt.Errorf("community %s: unknown", cid.Short())
		} else if err = f.judge(c, crdt.Action{Kind: crdt.KindPromo, Group: cid}); err == nil {
			for _, x := range c.groups {
				if x.info.Kind == api.GroupAnnouncement {
					g = x
				}
			}
		}
	}
	if err == nil && (strings.TrimSpace(d.Title) == "" || !d.Ends.After(d.Starts)) {
		err = fmt.Errorf("%w: a promotion needs a title and an end after its start", crdt.ErrInvalid)
	}
	if err != nil {
		f.mu.Unlock()
		return crdt.ID{}, err
	}
	id := f.id()
	f.clock = f.clock.Add(time.Minute)
	p := &api.Promo{ID: id, Title: d.Title, Text: d.Text, Starts: d.Starts, Ends: d.Ends, Code: d.Code, By: f.self.PeerID, ByName: f.self.Name}
	p.File = f.promoFile(cid, g, id, d.File, data)
	g.msgs = append(g.msgs, api.Message{ID: id, Kind: "promo", Author: f.self.PeerID, AuthorName: f.self.Name, Text: d.Text, Time: f.clock, Mine: true, Promo: p, File: p.File})
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: g.info.ID, Home: api.HomePromos})
	return id, nil
}

func (f *fakeBackend) Events(cid crdt.ID, all bool) ([]api.CalendarEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Events"); err != nil {
		return nil, err
	}
	c := f.comm(cid)
	if c == nil {
		return nil, fmt.Errorf("community %s: unknown", cid.Short())
	}
	var out []api.CalendarEvent
	for _, g := range c.groups {
		for _, m := range g.msgs {
			if m.Event == nil || m.Deleted || m.Hidden != "" {
				continue
			}
			if e := *m.Event; all || f.clock.Before(e.Ends()) {
				e.Group = g.info.ID
				out = append(out, e)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b api.CalendarEvent) int { return a.Starts.Compare(b.Starts) })
	return out, nil
}

func (f *fakeBackend) Collect(_ context.Context, cid, id crdt.ID, collection string, on bool) error {
	var gid crdt.ID
	f.mu.Lock()
	c := f.comm(cid)
	if c == nil {
		f.mu.Unlock()
		return fmt.Errorf("community %s: unknown", cid.Short())
	}
	for _, g := range c.groups {
		if slices.ContainsFunc(g.msgs, func(m api.Message) bool { return m.ID == id }) {
			gid = g.info.ID
		}
	}
	f.mu.Unlock()
	return f.change("Collect", cid, gid, id, func(c *fakeCommunity, _ *fakeGroup, m *api.Message) error {
		if err := f.judge(c, crdt.Action{Kind: crdt.KindCollect, Group: gid, Others: !m.Mine}); err != nil {
			return err
		}
		name := strings.TrimSpace(collection)
		m.Collections = slices.DeleteFunc(slices.Clone(m.Collections), func(s string) bool { return s == name })
		if on {
			m.Collections = append(m.Collections, name)
			slices.Sort(m.Collections)
		}
		return nil
	})
}

// cards calls fn with every message of community cid's groups. Callers
// hold f.mu.
func (f *fakeBackend) cards(cid crdt.ID, fn func(g *fakeGroup, m api.Message)) error {
	c := f.comm(cid)
	if c == nil {
		return fmt.Errorf("community %s: unknown", cid.Short())
	}
	for _, g := range c.groups {
		for _, m := range g.msgs {
			if !m.Deleted && m.Hidden == "" {
				fn(g, m)
			}
		}
	}
	return nil
}

func (f *fakeBackend) Promos(cid crdt.ID, all bool) ([]api.Promo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["Promos"]++
	var out []api.Promo
	err := f.cards(cid, func(_ *fakeGroup, m api.Message) {
		if m.Promo != nil && (all || m.Promo.ActiveAt(f.clock)) {
			out = append(out, *m.Promo)
		}
	})
	slices.SortStableFunc(out, func(a, b api.Promo) int { return a.Ends.Compare(b.Ends) })
	return out, err
}

func (f *fakeBackend) Wins(cid crdt.ID, member string) ([]api.Win, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["Wins"]++
	var out []api.Win
	err := f.cards(cid, func(_ *fakeGroup, m api.Message) {
		if m.Win != nil && (member == "" || m.Win.Member == member) {
			w := *m.Win
			w.Time = m.Time
			out = append(out, w)
		}
	})
	slices.Reverse(out)
	return out, err
}

func (f *fakeBackend) FAQ(cid crdt.ID, search string) ([]api.FAQEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["FAQ"]++
	var out []api.FAQEntry
	q := strings.ToLower(search)
	err := f.cards(cid, func(g *fakeGroup, m api.Message) {
		if m.Answer == nil || !g.info.QA {
			return
		}
		for _, a := range g.msgs {
			if a.ID == *m.Answer && (strings.Contains(strings.ToLower(m.Text), q) || strings.Contains(strings.ToLower(a.Text), q)) {
				out = append(out, api.FAQEntry{Question: m.Text, Answer: a.Text, Group: g.info.ID, GroupName: g.info.Name, QuestionID: m.ID, AnswerID: a.ID, Time: m.Time})
			}
		}
	})
	return out, err
}

func (f *fakeBackend) Collections(cid crdt.ID) ([]api.Collection, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["Collections"]++
	var out []api.Collection
	err := f.cards(cid, func(g *fakeGroup, m api.Message) {
		m.Group = g.info.ID
		for _, name := range m.Collections {
			i := slices.IndexFunc(out, func(c api.Collection) bool { return c.Name == name })
			if i < 0 {
				out = append(out, api.Collection{Name: name})
				i = len(out) - 1
			}
			out[i].Messages = append(out[i].Messages, m)
		}
	})
	slices.SortFunc(out, func(a, b api.Collection) int { return strings.Compare(a.Name, b.Name) })
	return out, err
}

func (f *fakeBackend) SetQA(_ context.Context, cid, gid crdt.ID, on bool) error {
	return f.changeGroup("SetQA", cid, gid, func(c *fakeCommunity, g *fakeGroup) error {
		if err := f.judge(c, crdt.Action{Kind: crdt.KindGroupQA, Group: gid}); err != nil {
			return err
		}
		g.info.QA = on
		return nil
	}, api.EventGroups)
}

func (f *fakeBackend) SetAdminsCelebrate(_ context.Context, cid crdt.ID, only bool) error {
	f.mu.Lock()
	err := f.enter("SetAdminsCelebrate")
	if err == nil {
		c := f.comm(cid)
		if c == nil {
			err = fmt.Errorf("community %s: unknown", cid.Short())
		} else if err = f.judge(c, crdt.Action{Kind: crdt.KindTeamSettings}); err == nil {
			c.adminsCelebrate = only
		}
	}
	f.mu.Unlock()
	if err == nil {
		f.emit(api.Event{Kind: api.EventCommunities, Community: cid})
	}
	return err
}

func (f *fakeBackend) Questions(cid crdt.ID, unanswered bool) ([]api.Question, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Questions"); err != nil {
		return nil, err
	}
	out := []api.Question{}
	err := f.cards(cid, func(g *fakeGroup, m api.Message) {
		if !g.info.QA || m.ReplyTo != nil || m.Kind != "message" || unanswered && m.Answer != nil {
			return
		}
		out = append(out, api.Question{ID: m.ID, Group: g.info.ID, Author: m.Author, AuthorName: m.AuthorName, Text: m.Text, Time: m.Time, Answer: m.Answer})
	})
	slices.SortStableFunc(out, func(a, b api.Question) int { return a.Time.Compare(b.Time) })
	return out, err
}

// storedFile is the error of storing d's file, if the test made the next
// StoreFile fail (only when d has a file). f.mu is held.
func (f *fakeBackend) storedFile(d api.PromoDraft) error {
	if d.File == "" {
		return nil
	}
	return f.enter("StoreFile")
}

// promoFile is the file at path, stored as data, that promotion promo of
// group g in community cid shows and serves (its card alone: no message
// shares it), or nil when path is "". f.mu is held.
func (f *fakeBackend) promoFile(cid crdt.ID, g *fakeGroup, promo crdt.ID, path string, data []byte) *api.File {
	if path == "" {
		return nil
	}
	f.addFile(cid, g.info.ID, promo, data, int64(len(data)))
	return sharedFile(promo, filepath.Base(path), data)
}
