package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The team sections of a community's home: the Active promotions strip
// at the top with the time left (a promotion leaves it by itself when it
// ends, by its own times), and under the groups the Upcoming events, the
// Wall of wins (this month, all time), the unanswered questions for those
// who mark answers, the FAQ (searchable) and the collections, whose
// entries open in their conversations (teamlists.go).

// teamHome is what the home's team sections show, for tests and to know
// when the strip must change.
type teamHome struct {
	promos   []api.Promo
	strip    []string // the promotions strip's lines
	lines    []string // the sections under the groups, as text
	faq      *widget.Entry
	faqList  *fyne.Container
	faqItems []api.FAQEntry
	faqRows  []*tapBox // the FAQ entries shown, which open their question
	// wins is the Wall of wins, nil when there are none; qaRow the
	// unanswered questions' entry with unanswered their count, nil for
	// those who mark no answers; collections the collections' rows
	// (teamlists.go).
	wins        *wallOfWins
	qaRow       *tapBox
	unanswered  int
	collections []*tapBox
	// until is when the strip or the events next change (a promotion
	// starts or ends, an event ends).
	until time.Time
}

// homeLists keeps what the home's lists show of one community. The home
// is built again on every message (its groups' unread counts), and these
// lists cost a pass over the community's groups each, so each is read
// again only when it may have changed: an event says so (api.Event.Home),
// the community or its groups changed, or a listed event ended.
type homeLists struct {
	cid       crdt.ID
	stale     api.HomeParts // the lists to read again
	steps     api.FirstSteps
	promos    []api.Promo
	events    []api.CalendarEvent
	wins      []api.Win
	questions []api.Question // unanswered
	faq       []api.FAQEntry
	cols      []api.Collection
}

// homeFAQ is the FAQ's own mark in homeLists.stale: api.HomeQA covers
// both the unanswered questions and the FAQ, each read on its own.
const homeFAQ api.HomeParts = 1 << 7

// allLists marks every list stale.
const allLists = api.HomeAll | homeFAQ

// use readies the lists for community cid: all stale for another one.
func (l *homeLists) use(cid crdt.ID) {
	if l.cid != cid {
		*l = homeLists{cid: cid, stale: allLists}
	}
}

// event marks stale the lists ev may change.
func (l *homeLists) event(ev api.Event) {
	switch {
	case ev.Kind == api.EventCommunities && ev.Community.IsZero():
		l.stale = allLists
	case ev.Community != l.cid, ev.Unread:
	case ev.Kind == api.EventCommunities, ev.Kind == api.EventGroups:
		l.stale = allLists
	case ev.Kind == api.EventMessages:
		l.stale |= ev.Home
		if ev.Home&api.HomeQA != 0 {
			l.stale |= homeFAQ
		}
	}
}

// fresh reads list part again with read when it is stale, and reports
// whether it holds what read gave; when read fails, the list stays stale
// and is read again next time.
func (l *homeLists) fresh(part api.HomeParts, read func() error) bool {
	if l.stale&part == 0 {
		return true
	}
	if err := read(); err != nil {
		return false
	}
	l.stale &^= part
	return true
}

// readList runs fetch for list part of l when it is stale, keeping its
// result in *dst, and reports whether *dst holds the list; a failure is
// logged as what.
func readList[T any](a *App, l *homeLists, part api.HomeParts, what string, dst *T, fetch func() (T, error)) bool {
	return l.fresh(part, func() error {
		v, err := fetch()
		if err != nil {
			a.log(what, err)
			return err
		}
		*dst = v
		return nil
	})
}

// homeListMax is how many items a home section lists.
const homeListMax = 5

// withTeam returns the home's objects objs with the team sections of
// community c: the promotions strip first, the other sections last.
func (h *home) withTeam(c api.Community, gone bool, objs []fyne.CanvasObject) []fyne.CanvasObject {
	if h.team == nil {
		h.team = &teamHome{}
	}
	t := h.team
	t.strip, t.lines, t.until = nil, nil, time.Time{}
	t.wins, t.qaRow, t.unanswered = nil, nil, 0
	if gone || c.ID.IsZero() {
		return objs
	}
	a := h.a
	now := a.now()
	var top, bottom []fyne.CanvasObject
	caption := func(title string) {
		l := widget.NewLabelWithStyle(strings.ToUpper(title), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		l.SizeName = theme.SizeNameCaptionText
		l.Importance = widget.LowImportance
		bottom = append(bottom, l)
		t.lines = append(t.lines, "# "+title)
	}
	line := func(text string) {
		l := widget.NewLabel(text)
		l.Truncation = fyne.TextTruncateEllipsis
		bottom = append(bottom, l)
		t.lines = append(t.lines, text)
	}

	l := &h.lists
	if readList(a, l, api.HomePromos, "promotions", &l.promos, func() ([]api.Promo, error) { return a.b.Promos(c.ID, true) }) {
		t.promos = l.promos
		for _, p := range l.promos {
			switch {
			case p.ActiveAt(now):
				text := "🏷 " + p.Title + " · " + timeLeft(p.Ends.Sub(now)) + " left"
				if p.Code != "" {
					text += " · code " + p.Code
				}
				t.strip = append(t.strip, text)
				l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
				l.Importance = widget.HighImportance
				l.Truncation = fyne.TextTruncateEllipsis
				top = append(top, l)
				t.next(p.Ends)
			case now.Before(p.Starts):
				t.next(p.Starts)
			}
		}
		if len(top) > 0 {
			top = append([]fyne.CanvasObject{widget.NewLabelWithStyle("ACTIVE PROMOTIONS", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})}, top...)
			top = append(top, widget.NewSeparator())
		}
	}

	if readList(a, l, api.HomeEvents, "events", &l.events, func() ([]api.CalendarEvent, error) { return a.b.Events(c.ID, false) }) && len(l.events) > 0 {
		events := l.events
		for _, e := range events {
			if end := e.Starts.Add(time.Duration(e.Duration)); end.After(now) {
				t.next(end) // it leaves the list
			}
		}
		caption("Upcoming events")
		for _, e := range events[:min(len(events), homeListMax)] {
			text := "📅 " + e.Title + " · " + cardTime(e.Starts)
			if e.Going > 0 {
				text += fmt.Sprintf(" · %d going", e.Going)
			}
			line(text)
		}
	}

	if readList(a, l, api.HomeWins, "wins", &l.wins, func() ([]api.Win, error) { return a.b.Wins(c.ID, "") }) && len(l.wins) > 0 {
		caption("Wall of wins")
		t.wins = newWallOfWins(a, l.wins) // teamlists.go
		t.lines = append(t.lines, t.wins.lines...)
		bottom = append(bottom, t.wins.objects()...)
	}

	if qa := h.qaEntry(c.ID); len(qa) > 0 { // teamlists.go
		caption("Q&A")
		bottom = append(bottom, qa...)
	}

	if readList(a, l, homeFAQ, "FAQ", &l.faq, func() ([]api.FAQEntry, error) { return a.b.FAQ(c.ID, "") }) && len(l.faq) > 0 {
		caption("FAQ")
		t.faq = widget.NewEntry()
		t.faq.SetPlaceHolder("Search the answered questions")
		t.faqList = container.NewVBox()
		cid := c.ID
		t.faq.OnChanged = func(q string) { t.showFAQ(a, cid, q) }
		bottom = append(bottom, t.faq, t.faqList)
		t.showFAQ(a, cid, "")
	}

	if readList(a, l, api.HomeCollections, "collections", &l.cols, func() ([]api.Collection, error) { return a.b.Collections(c.ID) }) && len(l.cols) > 0 {
		caption("Collections")
		t.collections = t.collections[:0]
		for _, col := range l.cols {
			t.lines = append(t.lines, fmt.Sprintf("%s · %d", col.Name, len(col.Messages)))
			r := a.collectionRow(c.ID, col) // teamlists.go
			t.collections = append(t.collections, r)
			bottom = append(bottom, r)
		}
	}

	out := append(top, objs...)
	return append(out, bottom...)
}

// next notes that the strip changes at t.
func (t *teamHome) next(at time.Time) {
	if t.until.IsZero() || at.Before(t.until) {
		t.until = at
	}
}

// showFAQ lists the answered questions matching q (all of them, as the
// home keeps them, when q is empty).
func (t *teamHome) showFAQ(a *App, cid crdt.ID, q string) {
	faq := a.home.lists.faq
	if q = strings.TrimSpace(q); q != "" || a.home.lists.cid != cid {
		var err error
		if faq, err = a.b.FAQ(cid, q); err != nil {
			a.log("FAQ", err)
			return
		}
	}
	t.faqItems = faq
	t.faqRows = t.faqRows[:0]
	var objs []fyne.CanvasObject
	for _, e := range faq[:min(len(faq), homeListMax)] {
		r := a.faqRow(cid, e) // teamlists.go
		t.faqRows = append(t.faqRows, r)
		objs = append(objs, r)
	}
	if len(faq) == 0 {
		objs = append(objs, widget.NewLabel("No answered question matches."))
	}
	t.faqList.Objects = objs
	t.faqList.Refresh()
}

// tickTeam rebuilds the home when a promotion starts or ends, or an
// event ends (it leaves Upcoming events, read again).
func (h *home) tickTeam() {
	if h.team != nil && !h.team.until.IsZero() && !h.a.now().Before(h.team.until) {
		h.lists.stale |= api.HomeEvents
		h.reload()
	}
}

// timeLeft says how long is left: "2d 3h", "3h 20m", "12m".
func timeLeft(d time.Duration) string {
	d = d.Round(time.Minute)
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd %dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%dh %dm", d/time.Hour, d%time.Hour/time.Minute)
	}
	return fmt.Sprintf("%dm", max(1, d/time.Minute))
}

// winBadges are the icons of the badges each member of community cid won,
// once each in crdt's order (" ⭐💰"), by peer id.
func winBadges(a *App, cid crdt.ID) map[string]string {
	wins, err := a.b.Wins(cid, "")
	if err != nil {
		a.log("wins", err)
		return nil
	}
	has := map[string]map[string]bool{}
	for _, w := range wins {
		if has[w.Member] == nil {
			has[w.Member] = map[string]bool{}
		}
		has[w.Member][w.Badge] = true
	}
	out := map[string]string{}
	for peer, bs := range has {
		icons := ""
		for _, b := range crdt.Badges {
			if bs[b] {
				icon, _, _ := strings.Cut(badgeLabel(b), " ")
				icons += icon
			}
		}
		if icons != "" {
			out[peer] = " " + icons
		}
	}
	return out
}
