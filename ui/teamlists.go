package ui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The home's team lists that open what they list: the unanswered
// questions for those who mark answers, the Wall of wins with its counts
// per member (this month or all time), the FAQ's entries and the
// collections, whose entries open the message in its conversation.

// Wall of wins periods, as its toggle offers them.
const (
	winsThisMonth = "This month"
	winsAllTime   = "All time"
)

// winCount is one member's line on the Wall of wins: how many wins and
// the icons of their badges, once each in crdt's order.
type winCount struct {
	peer, name string
	n          int
	icons      string
}

// winCounts counts wins by member, the most first (then by name).
func winCounts(wins []api.Win) []winCount {
	byPeer := map[string]*winCount{}
	has := map[string]map[string]bool{}
	var out []*winCount
	for _, w := range wins {
		c := byPeer[w.Member]
		if c == nil {
			c = &winCount{peer: w.Member, name: w.MemberName}
			byPeer[w.Member] = c
			has[w.Member] = map[string]bool{}
			out = append(out, c)
		}
		c.n++
		has[w.Member][w.Badge] = true
	}
	res := make([]winCount, 0, len(out))
	for _, c := range out {
		for _, b := range crdt.Badges {
			if has[c.peer][b] {
				icon, _, _ := strings.Cut(badgeLabel(b), " ")
				c.icons += icon
			}
		}
		for b := range has[c.peer] {
			if !slices.Contains(crdt.Badges, b) {
				c.icons += "🏅"
				break
			}
		}
		res = append(res, *c)
	}
	slices.SortStableFunc(res, func(a, b winCount) int {
		return cmp.Or(b.n-a.n, strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name)), strings.Compare(a.peer, b.peer))
	})
	return res
}

// winsLine is a member's line: "Ben · 2 wins · ⭐💰".
func (c winCount) line() string {
	s := c.name + " · 1 win"
	if c.n != 1 {
		s = fmt.Sprintf("%s · %d wins", c.name, c.n)
	}
	if c.icons != "" {
		s += " · " + c.icons
	}
	return s
}

// wallOfWins is the home's Wall of wins: a toggle between this month and
// all time, and the members with their counts for the period chosen.
type wallOfWins struct {
	a      *App
	all    []api.Win
	period *widget.RadioGroup
	list   *fyne.Container
	// lines are what the list shows, for tests.
	lines []string
}

// newWallOfWins shows wins (newest first), this month's first.
func newWallOfWins(a *App, wins []api.Win) *wallOfWins {
	w := &wallOfWins{a: a, all: wins, list: container.NewVBox()}
	w.period = widget.NewRadioGroup([]string{winsThisMonth, winsAllTime}, func(string) { w.show() })
	w.period.Horizontal = true
	w.period.Required = true
	w.period.SetSelected(winsThisMonth) // calls show
	return w
}

// objects are the wall's widgets, under its caption.
func (w *wallOfWins) objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{w.period, w.list}
}

// show lists the members' counts for the period chosen.
func (w *wallOfWins) show() {
	wins := w.all
	what := "all time"
	if w.period.Selected != winsAllTime {
		what = "this month"
		y, m, _ := w.a.now().Local().Date()
		wins = slices.DeleteFunc(slices.Clone(wins), func(x api.Win) bool {
			wy, wm, _ := x.Time.Local().Date()
			return wy != y || wm != m
		})
	}
	w.lines = w.lines[:0]
	var objs []fyne.CanvasObject
	counts := winCounts(wins)
	for i, c := range counts[:min(len(counts), homeListMax)] {
		text := c.line()
		if i == 0 {
			text = "🏆 " + text
		}
		w.lines = append(w.lines, text)
		l := widget.NewLabel(text)
		l.Truncation = fyne.TextTruncateEllipsis
		objs = append(objs, l)
	}
	total := fmt.Sprintf("%d wins %s", len(wins), what)
	switch {
	case len(wins) == 0:
		total = "No wins " + what + " yet."
	case len(wins) == 1:
		total = "1 win " + what
	}
	w.lines = append(w.lines, total)
	sum := secondary(total)
	objs = append(objs, sum)
	w.list.Objects = objs
	w.list.Refresh()
}

// qaEntry is the home's Q&A entry for those who mark answers: the
// unanswered questions with their count, which open them oldest first.
func (h *home) qaEntry(cid crdt.ID) []fyne.CanvasObject {
	a := h.a
	marks := slices.ContainsFunc(a.groups, func(g api.Group) bool { return g.QA && g.CanMarkAnswers })
	if !marks {
		return nil
	}
	l := &h.lists
	if !readList(a, l, api.HomeQA, "questions", &l.questions, func() ([]api.Question, error) { return a.b.Questions(cid, true) }) {
		return nil
	}
	qs := l.questions
	t := h.team
	t.unanswered = len(qs)
	detail := "All questions are answered."
	if len(qs) > 0 {
		detail = "Oldest asked " + a.shortTime(qs[0].Time)
	}
	b := newBadge()
	b.set(len(qs), 0, false)
	name := widget.NewLabel("Unanswered questions")
	texts := tight(name, secondary(detail))
	row := newTapBox(container.NewBorder(nil, nil, container.NewCenter(widget.NewIcon(theme.QuestionIcon())), container.NewCenter(b), texts),
		func() { a.showQuestions(cid) })
	t.qaRow = row
	return []fyne.CanvasObject{row}
}

// questionsView is the Unanswered questions dialog. It lists the
// questions again when messages arrive (a new question, an answer
// marked elsewhere) while it is open; items and rows are kept for tests.
type questionsView struct {
	a     *App
	d     *dlg
	cid   crdt.ID
	list  *fyne.Container
	close *widget.Button
	items []api.Question
	rows  []*tapBox
}

// showQuestions lists community cid's unanswered questions, oldest
// first; tapping one opens it in its conversation.
func (a *App) showQuestions(cid crdt.ID) *questionsView {
	qs, err := a.b.Questions(cid, true)
	if err != nil {
		a.showError("Could not list the questions", err)
		return nil
	}
	v := &questionsView{a: a, cid: cid, d: a.newDialog("Unanswered questions", nil), list: container.NewVBox()}
	v.d.handles = v
	v.show(qs)
	v.close = widget.NewButton("Close", v.d.hide)
	v.d.setContent(a.fitToWindow(v.list), v.close)
	v.d.cancel = v.close
	v.d.show()
	return v
}

// show lists questions qs.
func (v *questionsView) show(qs []api.Question) {
	a, cid := v.a, v.cid
	v.items, v.rows = qs, nil
	v.list.Objects = nil
	if len(qs) == 0 {
		v.list.Add(wrapped("Every question has its answer. New questions show here until someone marks a reply as the answer."))
	}
	for _, q := range qs {
		text := widget.NewLabelWithStyle(ellipsize(q.Text, 200), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		text.Wrapping = fyne.TextWrapWord
		info := secondary(strings.Join([]string{q.AuthorName, a.groupName(q.Group), a.shortTime(q.Time)}, " · "))
		row := newTapBox(container.NewVBox(text, info), func() {
			v.d.hide()
			a.showMessage(cid, q.Group, q.ID)
		})
		v.rows = append(v.rows, row)
		v.list.Add(row)
	}
	v.list.Refresh()
}

// communityID implements adminView.
func (v *questionsView) communityID() crdt.ID { return v.cid }

// refresh implements adminView: it lists the unanswered questions again
// (a group marked or unmarked as Q&A changes them too), keeping what is
// shown when they cannot be read.
func (v *questionsView) refresh() {
	qs, err := v.a.b.Questions(v.cid, true)
	if err != nil {
		v.a.log("questions", err)
		return
	}
	if slices.EqualFunc(qs, v.items, sameQuestion) {
		return
	}
	v.show(qs)
	v.d.setContent(v.a.fitToWindow(v.list), v.close) // it may need a scroll now
}

// sameQuestion reports whether x and y show the same.
func sameQuestion(x, y api.Question) bool {
	return x.ID == y.ID && x.Text == y.Text && x.AuthorName == y.AuthorName && x.Group == y.Group && x.Time.Equal(y.Time)
}

// faqRow is an answered question of the FAQ, which opens the question in
// its conversation.
func (a *App) faqRow(cid crdt.ID, e api.FAQEntry) *tapBox {
	ql := widget.NewLabelWithStyle(e.Question, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	ql.Wrapping = fyne.TextWrapWord
	al := widget.NewLabel(e.Answer)
	al.Wrapping = fyne.TextWrapWord
	return newTapBox(container.NewVBox(ql, al), func() { a.showMessage(cid, e.Group, e.QuestionID) })
}

// collectionRow is a collection in the home, which opens it.
func (a *App) collectionRow(cid crdt.ID, col api.Collection) *tapBox {
	name := widget.NewLabel(fmt.Sprintf("%s · %d", col.Name, len(col.Messages)))
	name.Truncation = fyne.TextTruncateEllipsis
	n := col.Name
	return newTapBox(container.NewBorder(nil, nil, widget.NewIcon(theme.FolderIcon()), nil, name), func() { a.showCollection(cid, n) })
}

// collectionView is a collection's dialog. It lists the collection
// again when messages arrive (an entry saved or taken out elsewhere, an
// entry edited) while it is open; items and rows are kept for tests.
type collectionView struct {
	a     *App
	d     *dlg
	cid   crdt.ID
	name  string
	list  *fyne.Container
	close *widget.Button
	items []api.Message
	rows  []*tapBox
}

// entryText is what a collection shows of message m: its text, or what
// its card says.
func entryText(m api.Message) string {
	switch {
	case m.Win != nil:
		return strings.TrimSpace(badgeLabel(m.Win.Badge) + " · " + m.Win.MemberName + " " + m.Text)
	case m.Promo != nil:
		return "🏷 " + m.Promo.Title
	case m.Event != nil:
		return "📅 " + m.Event.Title
	case m.Poll != nil:
		return "📊 " + m.Poll.Question
	case m.File != nil && m.Text == "":
		return "📎 " + m.File.Name
	}
	return m.Text
}

// showCollection opens the collection named name of community cid: its
// messages, each opening in its conversation when tapped.
func (a *App) showCollection(cid crdt.ID, name string) *collectionView {
	items, err := a.collection(cid, name)
	if err != nil {
		a.showError("Could not open "+name, err)
		return nil
	}
	v := &collectionView{a: a, cid: cid, name: name, d: a.newDialog(name, nil), list: container.NewVBox()}
	v.d.handles = v
	v.show(items)
	v.close = widget.NewButton("Close", v.d.hide)
	v.d.setContent(a.fitToWindow(v.list), v.close)
	v.d.cancel = v.close
	v.d.show()
	return v
}

// collection returns the messages of community cid's collection name
// (none when it is gone).
func (a *App) collection(cid crdt.ID, name string) ([]api.Message, error) {
	cols, err := a.b.Collections(cid)
	if err != nil {
		return nil, err
	}
	for _, c := range cols {
		if c.Name == name {
			return c.Messages, nil
		}
	}
	return nil, nil
}

// show lists the collection's messages items.
func (v *collectionView) show(items []api.Message) {
	a, cid := v.a, v.cid
	v.items, v.rows = items, nil
	v.list.Objects = nil
	if len(items) == 0 {
		v.list.Add(wrapped("Nothing is saved in " + v.name + " any more."))
	}
	for _, m := range items {
		text := widget.NewLabel(ellipsize(entryText(m), 300))
		text.Wrapping = fyne.TextWrapWord
		info := secondary(strings.Join([]string{m.AuthorName, a.groupName(m.Group), a.shortTime(m.Time)}, " · "))
		row := newTapBox(container.NewVBox(text, info), func() {
			v.d.hide()
			a.showMessage(cid, m.Group, m.ID)
		})
		v.rows = append(v.rows, row)
		v.list.Add(row)
	}
	v.list.Refresh()
}

// communityID implements adminView.
func (v *collectionView) communityID() crdt.ID { return v.cid }

// refresh implements adminView: it lists the collection again, keeping
// what is shown when it cannot be read.
func (v *collectionView) refresh() {
	items, err := v.a.collection(v.cid, v.name)
	if err != nil {
		v.a.log("collection", err)
		return
	}
	if slices.EqualFunc(items, v.items, func(x, y api.Message) bool {
		return x.ID == y.ID && entryText(x) == entryText(y) && x.AuthorName == y.AuthorName && x.Group == y.Group
	}) {
		return
	}
	v.show(items)
	v.d.setContent(v.a.fitToWindow(v.list), v.close) // it may need a scroll now
}
