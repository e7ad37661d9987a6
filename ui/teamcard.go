package ui

import (
	"context"
	"fmt"
	"image/color"
	"net/url"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/view"
)

// The team cards in the conversation: a win, a promotion and an event
// show as cards (a bold headline over their text) that take reactions
// like any message; an event adds its Going / Maybe / Can't go buttons
// with live counts and who answered; a question of a Q&A group shows its
// marked answer, and a reply's menu offers Mark as answer to the asker
// and to those crdt lets mark others' answers.

// teamBackend is what the team cards need from a node (api.TeamAPI).
type teamBackend interface {
	cardEditor
	RSVP(ctx context.Context, community, event crdt.ID, answer string) error
	MarkAnswer(ctx context.Context, community, group, question, answer crdt.ID) error
	CreateEvent(ctx context.Context, community, group crdt.ID, d api.EventDraft) (crdt.ID, error)
	Celebrate(ctx context.Context, community, group crdt.ID, member, badge, text string) (crdt.ID, error)
	CreatePromo(ctx context.Context, community crdt.ID, d api.PromoDraft) (crdt.ID, error)
	// Events lists a community's events that have not ended (all with
	// all), the soonest first.
	Events(community crdt.ID, all bool) ([]api.CalendarEvent, error)
	// Collect saves a message into the named collection, or takes it
	// out (admins).
	Collect(ctx context.Context, community, message crdt.ID, collection string, on bool) error
	// Promos, Wins, FAQ and Collections are the home's team lists.
	Promos(community crdt.ID, all bool) ([]api.Promo, error)
	Wins(community crdt.ID, member string) ([]api.Win, error)
	FAQ(community crdt.ID, search string) ([]api.FAQEntry, error)
	Collections(community crdt.ID) ([]api.Collection, error)
	// SetQA marks a group as a Q&A group or unmarks it (Group.CanSetQA);
	// SetAdminsCelebrate sets whether only admins celebrate wins
	// (Community.CanSetTeamSettings); Questions lists the questions of
	// the Q&A groups, oldest first (teamqa.go).
	SetQA(ctx context.Context, community, group crdt.ID, on bool) error
	SetAdminsCelebrate(ctx context.Context, community crdt.ID, only bool) error
	Questions(community crdt.ID, unanswered bool) ([]api.Question, error)
}

// badgeLabels name crdt's badges with their icons.
var badgeLabels = map[string]string{
	crdt.BadgeRank:      "⭐ Rank advancement",
	crdt.BadgeFirstSale: "💰 First sale",
	crdt.BadgeNewMember: "🤝 New team member",
	crdt.BadgeGoal:      "🎯 Goal reached",
	crdt.BadgeStreak:    "🔥 Streak",
}

// badgeLabel is badge with its icon ("🏅" and the raw name for one this
// app does not know).
func badgeLabel(badge string) string {
	if l, ok := badgeLabels[badge]; ok {
		return l
	}
	return "🏅 " + badge
}

// rsvpLabels are the answers' buttons, in order, by the API's names.
var rsvpLabels = []struct{ answer, label string }{{"going", "Going"}, {"maybe", "Maybe"}, {"no", "Can't go"}}

// cardTime is how a card shows a time.
func cardTime(t time.Time) string { return t.Local().Format("Mon Jan 2, 15:04") }

// shortDuration writes d as "1h", "1h30m" or "45m".
func shortDuration(d time.Duration) string {
	s := strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// isCard reports whether m is a team card (a win, a promotion or an
// event), which keeps its author's header.
func isCard(m api.Message) bool { return m.Win != nil || m.Promo != nil || m.Event != nil }

// cardSegments are the title and the body of a team card m at now, nil
// when m is no card. The title is the bold headline; the body the details
// line and the text, except for a promotion, whose text comes before its
// dates (a promotion's card shows its image between its title and body).
func cardSegments(m api.Message, d rowData, now time.Time) (title, body []widget.RichTextSegment) {
	head := widget.RichTextStyle{Inline: true, ColorName: theme.ColorNamePrimary, TextStyle: fyne.TextStyle{Bold: true}}
	dim := widget.RichTextStyle{Inline: true, ColorName: theme.ColorNamePlaceHolder}
	var segs []widget.RichTextSegment
	newline := func() {
		if len(segs) > 0 {
			segs = append(segs, &widget.TextSegment{Text: "\n", Style: widget.RichTextStyleInline})
		}
	}
	line := func(text string, st widget.RichTextStyle) {
		newline()
		segs = append(segs, &widget.TextSegment{Text: text, Style: st})
	}
	text := func() {
		if m.Text != "" {
			newline()
			segs = append(segs, bodySegments(m.Text, d.mentions, d.query)...)
		}
	}
	headline := func(text string) []widget.RichTextSegment {
		return []widget.RichTextSegment{&widget.TextSegment{Text: text, Style: head}}
	}
	switch {
	case m.Win != nil:
		title = headline(badgeLabel(m.Win.Badge) + " · " + m.Win.MemberName)
		text()
	case m.Promo != nil:
		p := m.Promo
		title = headline("🏷 " + p.Title)
		text()
		var info []string
		switch {
		case now.Before(p.Starts):
			info = append(info, "starts "+cardTime(p.Starts))
		case !now.Before(p.Ends):
			info = append(info, "ended "+cardTime(p.Ends))
		}
		if now.Before(p.Ends) {
			info = append(info, "until "+cardTime(p.Ends))
		}
		if p.Code != "" {
			info = append(info, "code "+p.Code)
		}
		line(strings.Join(info, " · "), dim)
	case m.Event != nil:
		e := m.Event
		title = headline("📅 " + e.Title)
		info := []string{cardTime(e.Starts)}
		if e.Duration > 0 {
			info = append(info, shortDuration(time.Duration(e.Duration)))
		}
		switch e.Call {
		case "voice":
			info = append(info, "📞 voice call")
		case "video":
			info = append(info, "🎥 video call")
		}
		link := whereLink(e.Where)
		if e.Where != "" && link == nil {
			info = append(info, e.Where)
		}
		line(strings.Join(info, " · "), dim)
		if link != nil { // a meeting link opens with the system's handler
			segs = append(segs, &widget.TextSegment{Text: " · ", Style: dim}, &widget.HyperlinkSegment{Text: strings.TrimSpace(e.Where), URL: link})
		}
		text()
	default:
		return nil, nil
	}
	return splitEmoji(title), splitEmoji(segs)
}

// whereLink is an event's place as a link to open, when it is one web
// address (https://…, a meeting link); nil when it is text, such as an
// address, or a link of another scheme (file:, javascript:, an app's
// own), which shows as text and never opens.
func whereLink(where string) *url.URL {
	where = strings.TrimSpace(where)
	if strings.ContainsAny(where, " \t\n") {
		return nil
	}
	u, err := url.Parse(where)
	if err != nil || u.Host == "" || u.User != nil {
		return nil
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u
	}
	return nil
}

// promoPhase is where promotion p stands at now: 0 before it starts, 1
// while it runs, 2 once it has ended. Its card shows it (its dates, and
// whether its file can be downloaded), so a row in view is bound again
// when it changes (conversation.tick).
func promoPhase(p *api.Promo, now time.Time) int {
	switch {
	case now.Before(p.Starts):
		return 0
	case now.Before(p.Ends):
		return 1
	}
	return 2
}

// tick binds again the rows in view whose promotion started or ended
// since they were bound; the app calls it every few seconds.
func (c *conversation) tick() {
	if c.win == nil || c.list.inUpdate {
		return
	}
	now := c.a.now()
	changed := false
	for i, o := range c.list.shown {
		r := o.(*msgRow)
		if p := r.d.m.Promo; p != nil && promoPhase(p, now) != r.promoAt {
			r.bind(c.rowData(i))
			changed = true
		}
	}
	if changed {
		c.list.update(false)
	}
}

// answerSegments is the line under a question whose answer was marked.
func answerSegments(d rowData) []widget.RichTextSegment {
	text := "✅ Answered"
	if d.answer != "" {
		text += ": " + ellipsize(d.answer, 160)
	}
	return splitEmoji([]widget.RichTextSegment{
		&widget.TextSegment{Text: "\n", Style: widget.RichTextStyleInline},
		&widget.TextSegment{Text: text, Style: widget.RichTextStyle{Inline: true, ColorName: theme.ColorNameSuccess, TextStyle: fyne.TextStyle{Bold: true}}},
	})
}

// rsvpView is an event's answers under its card: a button per answer
// with its count (yours highlighted; tap it again to take it back), and
// who answered what.
type rsvpView struct {
	widget.BaseWidget
	row     *msgRow
	e       *api.CalendarEvent
	buttons []*widget.Button
	// calendar saves the event as an .ics file for the member's calendar;
	// while the event's call is open it joins the call (joinsCall).
	calendar  *widget.Button
	joinsCall bool
	who       *canvas.Text
	whoFull   string
}

func newRSVPView(row *msgRow) *rsvpView {
	v := &rsvpView{row: row}
	for _, l := range rsvpLabels {
		answer := l.answer
		b := widget.NewButton(l.label, func() { v.row.act.rsvp(v.row.d.index, answer) })
		v.buttons = append(v.buttons, b)
	}
	v.calendar = widget.NewButtonWithIcon("Add to calendar", theme.CalendarIcon(), func() {
		if v.joinsCall {
			v.row.act.joinEventCall(v.row.d.index)
		} else {
			v.row.act.exportEvent(v.row.d.index)
		}
	})
	v.calendar.Importance = widget.LowImportance
	v.who = canvas.NewText("", color.Transparent)
	v.who.TextSize = theme.CaptionTextSize()
	v.ExtendBaseWidget(v)
	return v
}

// bind shows event e at now; canAnswer says whether the local member may
// answer, canCall whether it may take part in the group's calls.
func (v *rsvpView) bind(e *api.CalendarEvent, canAnswer, canCall bool, now time.Time) {
	v.e = e
	v.joinsCall = canCall && eventCallOpen(e, now)
	if v.joinsCall {
		v.calendar.SetText(joinCallLabel(e))
		v.calendar.SetIcon(theme.MediaPlayIcon())
		v.calendar.Importance = widget.SuccessImportance
	} else {
		v.calendar.SetText("Add to calendar")
		v.calendar.SetIcon(theme.CalendarIcon())
		v.calendar.Importance = widget.LowImportance
	}
	counts := map[string]int{"going": e.Going, "maybe": e.Maybe, "no": e.No}
	for i, l := range rsvpLabels {
		b := v.buttons[i]
		b.SetText(fmt.Sprintf("%s %d", l.label, counts[l.answer]))
		b.Importance = widget.MediumImportance
		if e.Mine == l.answer {
			b.Importance = widget.HighImportance
		}
		if canAnswer {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	v.whoFull = rsvpWho(e, v.row.act.selfName())
	v.who.Text = v.whoFull
}

// rsvpWho says who answered what: "Going: You, Ben · Maybe: Chloe".
func rsvpWho(e *api.CalendarEvent, self string) string {
	var parts []string
	for _, l := range rsvpLabels {
		var names []string
		if e.Mine == l.answer {
			names = append(names, "You")
		}
		mineSkipped := false
		for _, a := range e.Answers {
			if a.Answer != l.answer {
				continue
			}
			if e.Mine == l.answer && a.Name == self && !mineSkipped {
				mineSkipped = true
				continue
			}
			names = append(names, a.Name)
		}
		if len(names) > 0 {
			parts = append(parts, l.label+": "+strings.Join(names, ", "))
		}
	}
	if len(parts) == 0 {
		return "No answers yet"
	}
	return strings.Join(parts, " · ")
}

// summary is the answers as text, for tests: each button (yours marked
// ✓, a disabled one in brackets) and who answered.
func (v *rsvpView) summary() string {
	var parts []string
	for i, b := range v.buttons {
		s := b.Text
		if v.e != nil && v.e.Mine == rsvpLabels[i].answer {
			s = "✓" + s
		}
		if b.Disabled() {
			s = "[" + s + "]"
		}
		parts = append(parts, s)
	}
	if v.joinsCall {
		parts = append(parts, v.calendar.Text)
	}
	return strings.Join(append(parts, v.whoFull), " / ")
}

// heightAt is the view's height at width w.
func (v *rsvpView) heightAt(float32) float32 {
	return v.buttons[0].MinSize().Height + theme.Padding() + v.who.MinSize().Height
}

func (v *rsvpView) layout(w float32) {
	x := float32(0)
	bh := v.buttons[0].MinSize().Height
	for _, b := range v.buttons {
		s := b.MinSize()
		b.Move(fyne.NewPos(x, 0))
		b.Resize(fyne.NewSize(s.Width, bh))
		x += s.Width + theme.Padding()
	}
	v.calendar.Move(fyne.NewPos(x, 0))
	v.calendar.Resize(fyne.NewSize(v.calendar.MinSize().Width, bh))
	fitText(v.who, v.whoFull, w)
	v.who.Move(fyne.NewPos(0, bh+theme.Padding()))
	v.who.Resize(fyne.NewSize(w, v.who.MinSize().Height))
}

// CreateRenderer implements fyne.Widget.
func (v *rsvpView) CreateRenderer() fyne.WidgetRenderer { return &rsvpRenderer{v: v} }

type rsvpRenderer struct{ v *rsvpView }

func (r *rsvpRenderer) Layout(s fyne.Size) { r.v.layout(s.Width) }

func (r *rsvpRenderer) MinSize() fyne.Size { return fyne.NewSize(100, r.v.heightAt(0)) }

func (r *rsvpRenderer) Refresh() {
	r.v.who.Color = themeColor(theme.ColorNamePlaceHolder)
	for _, b := range r.v.buttons {
		b.Refresh()
	}
	r.v.calendar.Refresh()
	r.Layout(r.v.Size())
	r.v.who.Refresh()
}

func (r *rsvpRenderer) Objects() []fyne.CanvasObject {
	objs := make([]fyne.CanvasObject, 0, len(r.v.buttons)+2)
	for _, b := range r.v.buttons {
		objs = append(objs, b)
	}
	return append(objs, r.v.calendar, r.v.who)
}

func (r *rsvpRenderer) Destroy() {}

// rsvp implements rowActions: a tap on an answer gives it, a tap on your
// answer takes it back.
func (c *conversation) rsvp(i int, answer string) {
	m, ok := c.message(i)
	if !ok || m.Event == nil {
		return
	}
	if m.Event.Mine == answer {
		answer = ""
	}
	cid := c.a.community
	c.a.act("Your answer was not sent", func(ctx context.Context) error {
		return c.a.b.RSVP(ctx, cid, m.ID, answer)
	}, c.reload)
}

// answerOf returns the text of the reply marked as question i's answer
// when it is among the messages loaded after it.
func (c *conversation) answerOf(i int, id crdt.ID) string {
	for j := i + 1; j < c.win.total && j <= i+api.MaxPage; j++ {
		if m, ok := c.win.get(j); ok && m.ID == id {
			return m.Text
		}
	}
	return ""
}

// answerItem is Mark as answer (or Unmark) in reply m's menu: in a Q&A
// group, to a question the local member asked or, with CanMarkAnswers,
// anyone's.
func (c *conversation) answerItem(m api.Message) *fyne.MenuItem {
	g := c.openGroup
	if !g.QA || m.Quote == nil || m.Quote.Missing || m.Quote.Deleted || m.Quote.Hidden || m.Deleted || m.Hidden != "" || m.Poll != nil {
		return nil
	}
	q, ok := c.message(m.Quote.Index)
	if !ok || q.ID != m.Quote.ID || q.Quote != nil || !(q.Mine || g.CanMarkAnswers) {
		return nil
	}
	cid, gid := c.a.community, c.a.group
	if q.Answer != nil && *q.Answer == m.ID {
		return fyne.NewMenuItem("Unmark as answer", func() {
			c.a.act("The answer was not unmarked", func(ctx context.Context) error {
				return c.a.b.MarkAnswer(ctx, cid, gid, q.ID, crdt.ID{})
			}, c.reload)
		})
	}
	return fyne.NewMenuItem("Mark as answer", func() {
		c.a.act("The answer was not marked", func(ctx context.Context) error {
			return c.a.b.MarkAnswer(ctx, cid, gid, q.ID, m.ID)
		}, c.reload)
	})
}

// eventFile is event m as an iCalendar file for the member's calendar
// (view.ICS, with reminders as the app gives them), and a name for it.
func (c *conversation) eventFile(m api.Message) (name string, data []byte) {
	e := *m.Event
	e.ID = m.ID
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < ' ' {
			return '_'
		}
		return r
	}, ellipsize(e.Title, 60))
	return name + ".ics", view.ICS(e, c.a.communityName(c.a.community), c.a.now())
}

// exportEvent implements rowActions: asks where to save event i as an
// .ics file, and saves it.
func (c *conversation) exportEvent(i int) {
	m, ok := c.message(i)
	if !ok || m.Event == nil {
		return
	}
	name, data := c.eventFile(m)
	save := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err == nil && w == nil { // cancelled
			return
		}
		if err == nil {
			_, err = w.Write(data)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			c.a.showError("Could not save the event", err)
		}
	}, c.a.win)
	save.SetFileName(name)
	save.Show()
}

// collectItems are Save to collection… and Remove from each collection
// message m is in, for those crdt lets save posts (CanCollect).
func (c *conversation) collectItems(m api.Message) []*fyne.MenuItem {
	if !c.openGroup.CanCollect || m.Deleted || m.Hidden != "" {
		return nil
	}
	cid := c.a.community
	items := []*fyne.MenuItem{fyne.NewMenuItem("Save to collection…", func() { c.showCollect(m) })}
	for _, name := range m.Collections {
		items = append(items, fyne.NewMenuItem("Remove from "+name, func() {
			c.a.act("It was not removed from "+name, func(ctx context.Context) error {
				return c.a.b.Collect(ctx, cid, m.ID, name, false)
			}, c.reload)
		}))
	}
	return items
}

// showCollect asks for the name of the collection to save m in (Tips,
// Testimonials, Scripts, …) and saves it there.
func (c *conversation) showCollect(m api.Message) {
	a := c.a
	cid := a.community
	d := a.newDialog("Save to collection", nil)
	d.errLabel = errorLabel()
	name := newKeyEntry(a)
	name.SetPlaceHolder("e.g. Tips, Testimonials, Scripts")
	var save *widget.Button
	save = widget.NewButton("Save", func() {
		n := strings.TrimSpace(name.Text)
		if n == "" {
			formError(d, "Name the collection.")
			return
		}
		c.post(d, save, "The message was not saved", func(ctx context.Context) error {
			return a.b.Collect(ctx, cid, m.ID, n, true)
		})
	})
	save.Importance = widget.HighImportance
	name.OnSubmitted = func(string) { save.OnTapped() }
	cancel := widget.NewButton("Cancel", d.hide)
	d.setContent(container.NewVBox(boldLabel("Collection"), name, d.errLabel), cancel, save)
	d.createEntry, d.confirm, d.cancel = name, save, cancel
	d.show()
	a.focus(name)
}
