package crdt

import (
	"slices"
	"strings"
)

// teamFold is the part of a Fold that folds the team kinds (team.go).
type teamFold struct {
	promoEdits map[ID]lww
	eventEdits map[ID]lww
	rsvps      map[ID]map[PublicKey]rsvpState // by event, then member
	marks      map[ID]markState               // answer marks, by question
	collects   map[ID]map[string]collectState // by post, then collection
}

type rsvpState struct {
	at     lww
	answer uint8
}

type markState struct {
	at     lww
	answer ID // zero: the mark was taken back
}

type collectState struct {
	at lww
	on bool
}

func (f *Fold) teamState() *teamFold {
	if f.team == nil {
		f.team = &teamFold{promoEdits: map[ID]lww{}, eventEdits: map[ID]lww{}, rsvps: map[ID]map[PublicKey]rsvpState{},
			marks: map[ID]markState{}, collects: map[ID]map[string]collectState{}}
	}
	return f.team
}

// addTeam folds entry e of a team content op, which stands, at place
// at; touch records the posts whose answers must be counted again.
func (f *Fold) addTeam(e *Entry, at lww, touch func(ID)) {
	tf := f.teamState()
	o := e.Op
	switch b := e.Body.(type) {
	case *WinBody:
		f.addPost(e, &Post{ID: o.ID(), Author: o.Author, Kind: o.Kind, Text: b.Text, Time: b.Time,
			TeamCard: TeamCard{Win: &WinView{Member: keyOf(b.Member), Badge: b.Badge}}})
	case *PromoBody:
		f.addPost(e, &Post{ID: o.ID(), Author: o.Author, Kind: o.Kind, Text: b.Text, Time: b.Time,
			TeamCard: TeamCard{Promo: &PromoView{Title: b.Title, Starts: b.Starts, Ends: b.Ends, Code: b.Code, File: b.File}}})
	case *PromoEditBody:
		p := f.post(idOf(b.Target))
		// An edit written when the promotion had ended does not revive it.
		if p == nil || p.Promo == nil || p.Hidden != nil || b.Time >= p.Promo.Ends || !at.after(tf.promoEdits[p.ID]) {
			return
		}
		tf.promoEdits[p.ID] = at
		p.Text, p.Edited, p.EditedAt = b.Text, true, b.Time
		pv := p.Promo
		pv.Title, pv.Starts, pv.Ends, pv.Code, pv.Edited = b.Title, b.Starts, b.Ends, b.Code, true
		switch {
		case b.File != nil:
			pv.File = b.File
		case b.DropFile:
			pv.File = nil
		}
	case *EventBody:
		f.addPost(e, &Post{ID: o.ID(), Author: o.Author, Kind: o.Kind, Text: b.Text, Time: b.Time,
			TeamCard: TeamCard{Event: &EventView{Title: b.Title, Starts: b.Starts, Duration: b.Duration, Where: b.Where, Call: b.Call}}})
	case *EventEditBody:
		p := f.post(idOf(b.Target))
		if p == nil || p.Event == nil || p.Hidden != nil || !at.after(tf.eventEdits[p.ID]) {
			return
		}
		tf.eventEdits[p.ID] = at
		p.Text, p.Edited, p.EditedAt = b.Text, true, b.Time
		ev := p.Event
		ev.Title, ev.Starts, ev.Duration, ev.Where, ev.Call, ev.Edited = b.Title, b.Starts, b.Duration, b.Where, b.Call, true
	case *RSVPBody:
		ev := idOf(b.Event)
		m := tf.rsvps[ev]
		if m == nil {
			m = map[PublicKey]rsvpState{}
			tf.rsvps[ev] = m
		}
		if cur, ok := m[o.Author]; !ok || at.after(cur.at) {
			m[o.Author] = rsvpState{at, b.Answer}
			touch(ev)
		}
	case *AnswerBody:
		q := idOf(b.Question)
		var ans ID
		if len(b.Answer) > 0 {
			ans = idOf(b.Answer)
			a := f.post(ans)
			if a == nil || a.Kind != KindMessage || a.ReplyTo != q || a.Deleted || a.Hidden != nil {
				return // not a standing reply to the question
			}
		}
		if cur, ok := tf.marks[q]; ok && !at.after(cur.at) {
			return
		}
		tf.marks[q] = markState{at, ans}
	case *CollectBody:
		target := idOf(b.Target)
		m := tf.collects[target]
		if m == nil {
			m = map[string]collectState{}
			tf.collects[target] = m
		}
		cur, ok := m[b.Collection]
		if ok && !at.after(cur.at) {
			return
		}
		if b.On && !cur.on && countOn(m) >= MaxCollections {
			return // in as many collections as a post may be
		}
		m[b.Collection] = collectState{at, b.On}
	}
}

func countOn(m map[string]collectState) int {
	n := 0
	for _, s := range m {
		if s.on {
			n++
		}
	}
	return n
}

// finishTeam computes the answers of the touched events (all when
// touched is nil), and every question's answer and post's collections.
func (f *Fold) finishTeam(touched map[ID]bool) {
	tf := f.team
	if tf == nil {
		return
	}
	for ev, m := range tf.rsvps {
		if touched != nil && !touched[ev] {
			continue
		}
		p := f.post(ev)
		if p == nil || p.Event == nil {
			continue
		}
		var answers []RSVP
		for k, r := range m {
			if r.answer != RSVPNone {
				answers = append(answers, RSVP{Member: k, Answer: r.answer})
			}
		}
		slices.SortFunc(answers, func(a, b RSVP) int { return comparePK(a.Member, b.Member) })
		p.Event.Answers = answers
	}
	for q, m := range tf.marks {
		p := f.post(q)
		if p == nil {
			continue
		}
		p.Answer = ZeroID
		if a := f.post(m.answer); a != nil && !a.Deleted && a.Hidden == nil && !p.Deleted && p.Hidden == nil {
			p.Answer = m.answer
		}
	}
	for target, m := range tf.collects {
		p := f.post(target)
		if p == nil {
			continue
		}
		p.Collections = nil
		if p.Deleted || p.Hidden != nil {
			continue
		}
		for name, s := range m {
			if s.on {
				p.Collections = append(p.Collections, name)
			}
		}
		slices.SortFunc(p.Collections, strings.Compare)
	}
}
