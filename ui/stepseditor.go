package ui

import (
	"context"
	"fmt"
	"math"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The admins' First steps editor: the welcome text and the ordered steps,
// each a title, a short text and optionally a link to a group, a pinned
// message or a shared file, added, removed and moved up and down. Whether
// the member may save is crdt's to say (api.FirstSteps.CanEdit puts the
// editor in the menu; the node judges the save).

// stepsEditor is the First steps dialog, kept for tests.
type stepsEditor struct {
	a       *App
	d       *dlg
	welcome *widget.Entry
	rows    []*stepRow
	list    *fyne.Container
	scroll  *container.Scroll // the steps, under the welcome
	add     *widget.Button
	save    *widget.Button
	// links are what a step may link to, links[0] being no link.
	links []stepLink
}

// stepRow is one step being edited. Its text may run over several
// lines; the entry grows with it (see fitText).
type stepRow struct {
	title, text      *widget.Entry
	link             *widget.Select
	up, down, remove *widget.Button
	textRows         int // the rows text shows now
}

// stepTextRowsMax is how many rows a step's text entry grows to; longer
// text scrolls inside it.
const stepTextRowsMax = 6

// stepLink is a place a step may link to: a group, or a message (a file
// is one) in a group.
type stepLink struct {
	label   string
	group   *crdt.ID
	message *crdt.ID
}

// stepLinkMax bounds the messages and files the link choice lists.
const stepLinkMax = 40

// showStepsEditor opens the dialog in which an admin writes the welcome
// text and the first steps of community cid.
func (a *App) showStepsEditor(cid crdt.ID) *stepsEditor {
	fs, err := a.b.Steps(cid)
	if err != nil {
		a.showError("Could not read the first steps", err)
		return nil
	}
	v := &stepsEditor{a: a, d: a.newDialog("First steps", nil)}
	v.d.handles = v
	v.d.errLabel = errorLabel()
	v.links = a.stepLinks(cid)
	v.welcome = widget.NewMultiLineEntry()
	v.welcome.SetPlaceHolder("Welcome to the team, {name}!")
	v.welcome.SetText(fs.Template)
	v.welcome.Wrapping = fyne.TextWrapWord
	v.welcome.SetMinRowsVisible(2)
	v.list = container.NewVBox()
	for _, s := range fs.Steps {
		v.addRow(api.StepDraft{Title: s.Title, Text: s.Text, Group: s.Group, Message: s.Message})
	}
	if len(fs.Steps) == 0 {
		v.addRow(api.StepDraft{})
	}
	v.add = widget.NewButtonWithIcon("Add a step", theme.ContentAddIcon(), func() {
		v.addRow(api.StepDraft{})
		v.a.focus(v.rows[len(v.rows)-1].title)
	})
	v.add.Importance = widget.LowImportance
	intro := widget.NewLabel("Newcomers see the welcome ({name} becomes their name) and tick the steps. A step that keeps its title keeps their ticks.")
	intro.Wrapping = fyne.TextWrapWord
	v.save = widget.NewButton("Save", v.saveSteps(cid))
	v.save.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", v.d.hide)
	top := container.NewVBox(intro, boldLabel("Welcome"), v.welcome, boldLabel("Steps"))
	v.scroll = container.NewVScroll(container.NewVBox(v.list, container.NewHBox(v.add)))
	// The steps scroll in what the window leaves them.
	room := a.win.Canvas().Size().Height - dialogChrome - top.MinSize().Height - 2*theme.Padding()
	v.scroll.SetMinSize(fyne.NewSize(520, min(max(room, 160), 420)))
	v.d.setContent(container.NewBorder(top, v.d.errLabel, nil, nil, v.scroll), cancel, v.save)
	v.d.confirm, v.d.cancel = v.save, cancel
	v.d.show()
	for _, r := range v.rows { // now that they have their width
		v.fitText(r)
	}
	return v
}

// stepLinks lists what a step of community cid may link to: its groups
// (no private conversation), their pinned messages and the files shared
// in them.
func (a *App) stepLinks(cid crdt.ID) []stepLink {
	links := []stepLink{{label: "No link"}}
	var msgs []stepLink
	names := map[crdt.ID]string{}
	for _, g := range a.groups {
		if g.Kind == api.GroupPrivate {
			continue
		}
		gid := g.ID
		names[gid] = g.Name
		links = append(links, stepLink{label: "Group: " + g.Name, group: &gid})
		pins, err := a.b.Pinned(cid, gid)
		if err != nil {
			a.log("pinned messages", err)
		}
		for _, m := range pins {
			if m.Deleted || m.Hidden != "" || m.Text == "" {
				continue
			}
			id := m.ID
			msgs = append(msgs, stepLink{label: "Message in " + g.Name + ": " + ellipsize(m.Text, 40), group: &gid, message: &id})
		}
	}
	files, err := a.b.Files(cid, crdt.ZeroID)
	if err != nil {
		a.log("files", err)
	}
	for _, f := range files {
		if _, ok := names[f.Group]; !ok {
			continue
		}
		gid, id := f.Group, f.Message
		msgs = append(msgs, stepLink{label: "File: " + ellipsize(f.Name, 40), group: &gid, message: &id})
	}
	return append(links, msgs[:min(len(msgs), stepLinkMax)]...)
}

// linkIndex is the index of the link to group gid (and message msg) in
// v.links, adding it when the choice lacks it (a message not pinned any
// more still links).
func (v *stepsEditor) linkIndex(gid, msg *crdt.ID) int {
	if gid == nil {
		return 0
	}
	for i, l := range v.links {
		if l.group != nil && *l.group == *gid && (msg == nil) == (l.message == nil) && (msg == nil || *msg == *l.message) {
			return i
		}
	}
	label := "Linked group"
	if msg != nil {
		label = "Linked message"
	}
	v.links = append(v.links, stepLink{label: label, group: gid, message: msg})
	for _, r := range v.rows {
		r.link.Options = v.labels()
	}
	return len(v.links) - 1
}

// labels are the links' names, in order.
func (v *stepsEditor) labels() []string {
	out := make([]string, len(v.links))
	for i, l := range v.links {
		out[i] = l.label
	}
	return out
}

// addRow adds a step filled with s at the end.
func (v *stepsEditor) addRow(s api.StepDraft) {
	r := &stepRow{title: widget.NewEntry(), text: widget.NewMultiLineEntry()}
	r.title.SetPlaceHolder("e.g. Watch the welcome video")
	r.title.SetText(s.Title)
	r.text.Wrapping = fyne.TextWrapWord
	r.text.SetPlaceHolder("What to do and why (optional)")
	r.text.SetText(s.Text)
	r.text.OnChanged = func(string) { v.fitText(r) }
	v.fitText(r)
	r.link = widget.NewSelect(v.labels(), nil)
	v.rows = append(v.rows, r)
	r.link.SetSelectedIndex(v.linkIndex(s.Group, s.Message))
	r.up = widget.NewButtonWithIcon("", theme.MoveUpIcon(), func() { v.move(r, -1) })
	r.down = widget.NewButtonWithIcon("", theme.MoveDownIcon(), func() { v.move(r, 1) })
	r.remove = widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { v.removeRow(r) })
	for _, b := range []*widget.Button{r.up, r.down, r.remove} {
		b.Importance = widget.LowImportance
	}
	v.relist()
}

// index is r's position.
func (v *stepsEditor) index(r *stepRow) int {
	for i, x := range v.rows {
		if x == r {
			return i
		}
	}
	return -1
}

// move moves step r by delta places.
func (v *stepsEditor) move(r *stepRow, delta int) {
	i := v.index(r)
	j := i + delta
	if i < 0 || j < 0 || j >= len(v.rows) {
		return
	}
	v.rows[i], v.rows[j] = v.rows[j], v.rows[i]
	v.relist()
}

// removeRow takes step r out.
func (v *stepsEditor) removeRow(r *stepRow) {
	if i := v.index(r); i >= 0 {
		v.rows = append(v.rows[:i], v.rows[i+1:]...)
		v.relist()
	}
}

// relist shows the rows in their order, each numbered, with the moves
// that make sense enabled.
func (v *stepsEditor) relist() {
	var objs []fyne.CanvasObject
	for i, r := range v.rows {
		if i == 0 {
			r.up.Disable()
		} else {
			r.up.Enable()
		}
		if i == len(v.rows)-1 {
			r.down.Disable()
		} else {
			r.down.Enable()
		}
		n := widget.NewLabelWithStyle(fmt.Sprintf("%d.", i+1), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		head := container.NewBorder(nil, nil, n, container.NewHBox(r.up, r.down, r.remove), r.title)
		// The link keeps its height beside a text of several lines.
		objs = append(objs, container.NewVBox(head, container.NewGridWithColumns(2, r.text, container.NewVBox(r.link))))
	}
	v.list.Objects = objs
	v.list.Refresh()
}

// fitText makes step r's text entry as tall as its text needs at the
// entry's width (each line break, and each line the width wraps), from
// one row up to stepTextRowsMax.
func (v *stepsEditor) fitText(r *stepRow) {
	// The text's room: the entry less its inner padding on both sides
	// and a scroll bar's width.
	width := r.text.Size().Width - 2*theme.InnerPadding() - theme.ScrollBarSize()
	n := min(textRows(r.text.Text, width, theme.TextSize()), stepTextRowsMax)
	if n == r.textRows {
		return
	}
	r.textRows = n
	r.text.SetMinRowsVisible(n)
	v.list.Refresh()
	if v.scroll != nil {
		v.scroll.Refresh()
	}
}

// textRows is how many rows text takes wrapped at width (unknown when 0
// or less: a row per line) in regular text of size, at least one.
func textRows(text string, width, size float32) int {
	n := 0
	for line := range strings.SplitSeq(text, "\n") {
		rows := 1
		if width > 0 {
			w := fyne.MeasureText(line, size, fyne.TextStyle{}).Width
			rows = max(1, int(math.Ceil(float64(w/width))))
		}
		n += rows
	}
	return max(n, 1)
}

// drafts reads the steps, leaving out rows left empty, or says what is
// wrong.
func (v *stepsEditor) drafts() ([]api.StepDraft, string) {
	var out []api.StepDraft
	for i, r := range v.rows {
		title, text := strings.TrimSpace(r.title.Text), strings.TrimSpace(r.text.Text)
		li := max(r.link.SelectedIndex(), 0)
		if title == "" {
			if text != "" || li > 0 {
				return nil, fmt.Sprintf("Give step %d a title.", i+1)
			}
			continue
		}
		l := v.links[li]
		out = append(out, api.StepDraft{Title: title, Text: text, Group: l.group, Message: l.message})
	}
	return out, ""
}

// saveSteps saves the welcome and the steps of community cid.
func (v *stepsEditor) saveSteps(cid crdt.ID) func() {
	a := v.a
	return func() {
		drafts, bad := v.drafts()
		if bad != "" {
			formError(v.d, bad)
			return
		}
		welcome := v.welcome.Text
		v.save.Disable()
		a.background(func() error {
			ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
			defer cancel()
			return a.b.SetSteps(ctx, cid, drafts, welcome)
		}, func(err error) {
			v.save.Enable()
			if err != nil {
				v.d.fail("Could not save the first steps", err)
				return
			}
			v.d.hide()
			if a.community == cid {
				a.home.lists.stale |= api.HomeSteps
				a.home.reload()
			}
		})
	}
}
