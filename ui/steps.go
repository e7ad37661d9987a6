package ui

import (
	"context"
	"fmt"
	"image/color"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// First steps in the community home: a newcomer is greeted by name with
// the welcome text, above a "Your first steps" card with its progress, in
// which it ticks the steps as it does them. Admins open the Newcomers view
// from the community's ⋮ menu: who joined when, how far each got, and who
// has gone three days without a step. What the member may see comes from
// the node (api.FirstSteps), never from a rule of the app's own.

// stepsCard is the welcome and first-steps card of the home, kept for
// tests.
type stepsCard struct {
	welcome  *widget.Label
	progress *widget.Label
	bar      *thinBar
	checks   []*widget.Check
	// opens are the steps' Open buttons, by step (nil for a step with
	// no link); texts their texts, wrapped with their line breaks (nil
	// for a step without text).
	opens []*widget.Button
	texts []*widget.RichText
}

// stepsSection returns the welcome and the member's first steps for the
// top of the home, or nothing when the member is no newcomer or the
// community has no steps.
func (h *home) stepsSection() []fyne.CanvasObject {
	h.steps = nil
	cid := h.a.community
	l := &h.lists
	if !l.fresh(api.HomeSteps, func() error {
		fs, err := h.a.b.Steps(cid)
		if err == nil {
			l.steps = fs
		}
		return err
	}) {
		return nil
	}
	fs := l.steps
	objs := h.welcomeSection(cid, fs) // welcome.go
	if !fs.Newcomer || len(fs.Steps) == 0 {
		return objs
	}
	card := &stepsCard{}
	if fs.Welcome != "" {
		card.welcome = widget.NewLabelWithStyle(fs.Welcome, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		card.welcome.Wrapping = fyne.TextWrapWord
		objs = append(objs, card.welcome)
	}
	title := widget.NewLabelWithStyle("YOUR FIRST STEPS", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameCaptionText
	title.Importance = widget.LowImportance
	card.progress = widget.NewLabel(fmt.Sprintf("%d of %d done", fs.Done, len(fs.Steps)))
	card.progress.Importance = widget.LowImportance
	card.bar = newThinBar(fs.Done, len(fs.Steps))
	objs = append(objs, container.NewBorder(nil, nil, title, card.progress), card.bar)
	for _, s := range fs.Steps {
		c := widget.NewCheck(s.Title, nil)
		c.SetChecked(s.Done)
		n := s.N
		c.OnChanged = func(on bool) { h.tickStep(cid, n, on) }
		card.checks = append(card.checks, c)
		open := h.stepOpen(cid, s)
		card.opens = append(card.opens, open)
		if open != nil {
			objs = append(objs, container.NewBorder(nil, nil, nil, open, c))
		} else {
			objs = append(objs, c)
		}
		var text *widget.RichText
		if s.Text != "" {
			text = secondary(clampLines(s.Text, stepTextLinesMax, crdt.MaxStepTextLen))
			text.Truncation = fyne.TextTruncateOff
			text.Wrapping = fyne.TextWrapWord
			objs = append(objs, text)
		}
		card.texts = append(card.texts, text)
	}
	h.steps = card
	return append(objs, widget.NewSeparator())
}

// stepTextLinesMax bounds the lines of a step's text on the card (its
// runs of blank lines made one).
const stepTextLinesMax = 10

// stepOpen is the button that opens what step s links to (its group, or
// the message or file in it), nil when it links nothing.
func (h *home) stepOpen(cid crdt.ID, s api.FirstStep) *widget.Button {
	if s.Group == nil {
		return nil
	}
	gid := *s.Group
	label, open := "Open group", func() { h.a.openGroup(cid, gid) }
	if s.Message != nil {
		msg := *s.Message
		label, open = "Open", func() { h.a.showMessage(cid, gid, msg) }
	}
	b := widget.NewButtonWithIcon(label, theme.NavigateNextIcon(), open)
	b.Importance = widget.LowImportance
	b.IconPlacement = widget.ButtonIconTrailingText
	return b
}

// tickStep ticks (or unticks) step n in the background, and shows the
// card again when done (or says why not).
func (h *home) tickStep(cid crdt.ID, n int, on bool) {
	a := h.a
	a.act("Could not save your step", func(ctx context.Context) error { return a.b.TickStep(ctx, cid, n, on) }, func() {
		if a.community == cid {
			h.lists.stale |= api.HomeSteps // Either way, so the box shows what is so.
			h.reload()
		}
	})
}

// newcomersView is the admins' Newcomers dialog. It lists the newcomers
// again when the community changes (someone joins, a newcomer ticks a
// step, an admin says welcome) while it is open; rows are kept for
// tests.
type newcomersView struct {
	a     *App
	d     *dlg
	cid   crdt.ID
	list  *fyne.Container
	close *widget.Button
	items []api.Newcomer
	rows  []newcomerRow
}

// newcomerRow is one newcomer's row.
type newcomerRow struct {
	name    string
	stuck   bool
	text    *widget.RichText
	welcome *widget.Button // Say welcome; nil when there is no group to say it in
}

// showNewcomers opens the Newcomers view of community cid: every
// newcomer, newest first, with when they joined, how far they got and who
// invited them; those stuck for more than three days are highlighted.
func (a *App) showNewcomers(cid crdt.ID) {
	ns, err := a.newcomers.of(a.b, cid)
	if err != nil {
		a.showError("Could not list the newcomers", err)
		return
	}
	v := &newcomersView{a: a, cid: cid, d: a.newDialog("Newcomers", nil), list: container.NewVBox()}
	v.d.handles = v
	v.show(ns)
	v.close = widget.NewButton("Close", v.d.hide)
	v.d.setContent(a.fitToWindow(v.list), v.close)
	v.d.cancel = v.close
	v.d.show()
}

// show lists newcomers ns.
func (v *newcomersView) show(ns []api.Newcomer) {
	a, cid := v.a, v.cid
	v.items, v.rows = ns, nil
	v.list.Objects = nil
	if len(ns) == 0 {
		l := widget.NewLabel("No newcomers yet. People who join after you set the first steps show here.")
		l.Wrapping = fyne.TextWrapWord
		v.list.Add(l)
	}
	now := a.now()
	template := ""
	if fs, err := a.b.Steps(cid); err == nil {
		template = fs.Template
	}
	general := welcomeGroup(a.groups)
	for _, n := range ns {
		row := newcomerRow{name: n.Name, stuck: n.Stuck(now)}
		parts := []string{"joined " + a.shortTime(n.Joined), fmt.Sprintf("%d of %d steps", n.Done, n.Total)}
		if n.LastStepTime != nil {
			parts = append(parts, "last step "+a.shortTime(*n.LastStepTime))
		}
		if n.InvitedByName != "" {
			parts = append(parts, "invited by "+n.InvitedByName)
		}
		name := widget.NewLabelWithStyle(n.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		detail := strings.Join(parts, " · ")
		if row.stuck {
			detail = "Stuck for more than 3 days · " + detail
			name.Importance = widget.WarningImportance
		}
		row.text = secondary(detail)
		row.text.Truncation = fyne.TextTruncateOff
		row.text.Wrapping = fyne.TextWrapWord
		head := fyne.CanvasObject(name)
		if !general.IsZero() {
			who := n.Name
			row.welcome = widget.NewButton("Say welcome", nil)
			row.welcome.Importance = widget.LowImportance
			btn := row.welcome
			btn.OnTapped = func() {
				text := welcomeText(template, who)
				a.act("Could not post the welcome", func(ctx context.Context) error {
					_, err := a.b.Post(ctx, cid, general, text)
					return err
				}, func() { btn.SetText("Welcomed"); btn.Disable() })
			}
			if n.Welcomed { // by any admin, as the log says
				btn.SetText("Welcomed")
				btn.Disable()
			}
			head = container.NewBorder(nil, nil, nil, row.welcome, name)
		}
		v.rows = append(v.rows, row)
		v.list.Add(container.NewVBox(head, row.text, newThinBar(n.Done, n.Total)))
	}
	v.list.Refresh()
}

// communityID implements adminView.
func (v *newcomersView) communityID() crdt.ID { return v.cid }

// refresh implements adminView: it lists the newcomers again, keeping
// what is shown when they cannot be read (an admin dismissed meanwhile
// keeps the list they saw).
func (v *newcomersView) refresh() {
	ns, err := v.a.newcomers.of(v.a.b, v.cid) // read again only after a change (welcome.go)
	if err != nil {
		v.a.log("newcomers", err)
		return
	}
	if slices.EqualFunc(ns, v.items, sameNewcomer) {
		return
	}
	v.show(ns)
	v.d.setContent(v.a.fitToWindow(v.list), v.close) // it may need a scroll now
}

// sameNewcomer reports whether x and y show the same.
func sameNewcomer(x, y api.Newcomer) bool {
	return x.PeerID == y.PeerID && x.Name == y.Name && x.Joined.Equal(y.Joined) && x.Done == y.Done && x.Total == y.Total &&
		(x.LastStepTime == nil) == (y.LastStepTime == nil) && (x.LastStepTime == nil || x.LastStepTime.Equal(*y.LastStepTime)) &&
		x.InvitedByName == y.InvitedByName && x.Welcomed == y.Welcomed
}

// thinBar is a slim progress bar: a track with the done part filled in
// the theme's primary colour, redrawn with the theme.
type thinBar struct {
	widget.BaseWidget
	done, total int
}

func newThinBar(done, total int) *thinBar {
	b := &thinBar{done: done, total: total}
	b.ExtendBaseWidget(b)
	return b
}

// fraction is the part done, 0 to 1.
func (b *thinBar) fraction() float32 {
	if b.total <= 0 {
		return 0
	}
	return min(float32(b.done)/float32(b.total), 1)
}

// CreateRenderer draws the track and the done part.
func (b *thinBar) CreateRenderer() fyne.WidgetRenderer {
	track, fill := canvas.NewRectangle(color.Transparent), canvas.NewRectangle(color.Transparent)
	track.CornerRadius, fill.CornerRadius = 3, 3
	r := &thinBarRenderer{b: b, track: track, fill: fill}
	r.Refresh()
	return r
}

type thinBarRenderer struct {
	b           *thinBar
	track, fill *canvas.Rectangle
}

func (r *thinBarRenderer) Layout(s fyne.Size) {
	y := (s.Height - 6) / 2
	r.track.Move(fyne.NewPos(0, y))
	r.track.Resize(fyne.NewSize(s.Width, 6))
	r.fill.Move(fyne.NewPos(0, y))
	r.fill.Resize(fyne.NewSize(s.Width*r.b.fraction(), 6))
}

func (r *thinBarRenderer) MinSize() fyne.Size { return fyne.NewSize(40, 10) }

func (r *thinBarRenderer) Refresh() {
	r.track.FillColor = theme.Color(theme.ColorNameInputBackground)
	r.fill.FillColor = theme.Color(theme.ColorNamePrimary)
	r.Layout(r.b.Size())
	r.track.Refresh()
	r.fill.Refresh()
}

func (r *thinBarRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.track, r.fill} }
func (r *thinBarRenderer) Destroy()                     {}

// welcomeGroup is where Say welcome posts: the first group every member
// is in (General), else the announcement group, else none.
func welcomeGroup(gs []api.Group) crdt.ID {
	var ann crdt.ID
	for _, g := range gs {
		switch {
		case g.Kind == api.GroupRegular && g.Policy == "everyone" && g.CanPost && !g.Archived:
			return g.ID
		case g.Kind == api.GroupAnnouncement && g.CanPost:
			ann = g.ID
		}
	}
	return ann
}

// welcomeText is the community's welcome with the newcomer mentioned
// where it says {name} (or after a plain welcome when it is empty).
func welcomeText(template, name string) string {
	if strings.TrimSpace(template) == "" {
		return "Welcome, @" + name + "!"
	}
	if !strings.Contains(template, "{name}") {
		return "@" + name + " " + template
	}
	return strings.ReplaceAll(template, "{name}", "@"+name)
}

// teamTreeView is the Team tree dialog. It draws the tree again when the
// community's members change (someone joins or leaves) while it is open;
// lines, each a member's name indented under who invited them, are kept
// for tests.
type teamTreeView struct {
	a     *App
	d     *dlg
	cid   crdt.ID
	list  *fyne.Container
	close *widget.Button
	lines []string
}

// showTeamTree opens the tree of who invited whom in community cid, each
// member with their role, join date and last activity; members whose
// inviter has gone (or the founders) are at the top, with the inviter's
// name said.
func (a *App) showTeamTree(cid crdt.ID) {
	ms, err := a.b.TeamTree(cid)
	if err != nil {
		a.showError("Could not list the team", err)
		return
	}
	v := &teamTreeView{a: a, cid: cid, d: a.newDialog("Team tree", nil), list: container.NewVBox()}
	v.d.handles = v
	v.show(ms)
	v.close = widget.NewButton("Close", v.d.hide)
	v.d.setContent(a.fitToWindow(v.list), v.close)
	v.d.cancel = v.close
	v.d.show()
}

// show draws the tree of members ms.
func (v *teamTreeView) show(ms []api.TeamMember) {
	a := v.a
	v.lines = nil
	v.list.Objects = nil
	in := map[string]bool{}
	for _, m := range ms {
		in[m.PeerID] = true
	}
	under := map[string][]api.TeamMember{}
	var roots []api.TeamMember
	for _, m := range ms {
		if m.InvitedBy != "" && m.InvitedBy != m.PeerID && in[m.InvitedBy] {
			under[m.InvitedBy] = append(under[m.InvitedBy], m)
		} else {
			roots = append(roots, m)
		}
	}
	seen := map[string]bool{}
	var walk func(m api.TeamMember, depth int)
	walk = func(m api.TeamMember, depth int) {
		if seen[m.PeerID] {
			return
		}
		seen[m.PeerID] = true
		v.lines = append(v.lines, strings.Repeat("  ", depth)+m.Name)
		parts := []string{roleName(m.Role), "joined " + m.Joined.Local().Format("Jan 2, 2006")}
		if m.LastActive != nil {
			parts = append(parts, "active "+a.shortTime(*m.LastActive))
		}
		if depth == 0 && m.InvitedByName != "" {
			parts = append(parts, "invited by "+m.InvitedByName)
		}
		name := widget.NewLabelWithStyle(m.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		row := container.NewVBox(name, secondary(strings.Join(parts, " · ")))
		pad := canvas.NewRectangle(color.Transparent)
		pad.SetMinSize(fyne.NewSize(float32(depth)*24, 1))
		v.list.Add(container.NewBorder(nil, nil, pad, nil, row))
		for _, c := range under[m.PeerID] {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	for _, m := range ms { // inviters in a cycle (someone who came back) still show
		walk(m, 0)
	}
	v.list.Refresh()
}

// communityID implements adminView.
func (v *teamTreeView) communityID() crdt.ID { return v.cid }

// refresh implements adminView: it draws the tree again, keeping what is
// shown when it cannot be read.
func (v *teamTreeView) refresh() {
	ms, err := v.a.b.TeamTree(v.cid)
	if err != nil {
		v.a.log("team tree", err)
		return
	}
	v.show(ms)
	v.d.setContent(v.a.fitToWindow(v.list), v.close) // it may need a scroll now
}
