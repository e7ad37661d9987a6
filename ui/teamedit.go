package ui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Editing the team cards from their menu: Edit event… (its creator, with
// CanEditEvents, or anyone with CanEditOthersEvents), and Edit
// promotion… and End promotion now (CanEditPromos) while the promotion
// has not ended. Each opens the form the card was made with, filled with
// its current values. The flags are crdt's verdicts; the app only shows
// them.

// cardEditor is what editing the cards needs from a node (api.TeamAPI).
type cardEditor interface {
	EditEvent(ctx context.Context, community, event crdt.ID, d api.EventDraft) error
	EditPromo(ctx context.Context, community, promo crdt.ID, d api.PromoDraft) error
	EndPromo(ctx context.Context, community, promo crdt.ID) error
}

// cardEditItems are the edit actions of card m in its menu.
func (c *conversation) cardEditItems(m api.Message) []*fyne.MenuItem {
	g := c.openGroup
	if m.Deleted || m.Hidden != "" {
		return nil
	}
	var items []*fyne.MenuItem
	switch {
	case m.Event != nil && (m.Mine && g.CanEditEvents || g.CanEditOthersEvents):
		items = append(items, fyne.NewMenuItem("Edit event…", func() { c.showEditEvent(m) }))
	case m.Promo != nil && g.CanEditPromos && c.a.now().Before(m.Promo.Ends):
		items = append(items, fyne.NewMenuItem("Edit promotion…", func() { c.showEditPromo(m) }))
		if m.Promo.ActiveAt(c.a.now()) {
			cid := c.a.community
			items = append(items, fyne.NewMenuItem("End promotion now", func() {
				c.a.act("The promotion was not ended", func(ctx context.Context) error {
					return c.a.b.EndPromo(ctx, cid, m.ID)
				}, c.reload)
			}))
		}
	}
	return items
}

// newEventForm is the event form's widgets, filled with e when it is not
// nil (else empty, starting tomorrow at the next hour, an hour long).
func newEventForm(a *App, e *api.CalendarEvent) *eventForm {
	f := &eventForm{title: newKeyEntry(a), starts: newKeyEntry(a), where: newKeyEntry(a), text: newKeyEntry(a)}
	f.title.SetPlaceHolder("e.g. Thursday training call")
	f.where.SetPlaceHolder("An address or a link (optional)")
	f.text.MultiLine = true
	f.text.Wrapping = fyne.TextWrapWord
	f.text.SetPlaceHolder("What it is about (optional)")
	var labels []string
	for _, x := range eventDurations {
		labels = append(labels, x.label)
	}
	f.duration = widget.NewSelect(labels, nil)
	f.call = newEventCallSelect(e)
	if e == nil {
		f.starts.SetText(nextHour(a.now()).Format(timeLayout))
		f.duration.SetSelectedIndex(1)
		return f
	}
	f.title.SetText(e.Title)
	f.starts.SetText(e.Starts.Local().Format(timeLayout))
	f.where.SetText(e.Where)
	f.text.SetText(e.Text)
	f.durations = eventDurations
	d := time.Duration(e.Duration)
	i := 0
	for ; i < len(eventDurations) && eventDurations[i].d != d; i++ {
	}
	if i == len(eventDurations) { // a length the choices lack keeps its own
		f.durations = append(append(f.durations[:0:0], f.durations...), struct {
			label string
			d     time.Duration
		}{shortDuration(d), d})
		f.duration.Options = append(f.duration.Options, shortDuration(d))
	}
	f.duration.SetSelectedIndex(i)
	return f
}

// draft reads the event the form describes, or says what is wrong.
func (f *eventForm) draft() (api.EventDraft, string) {
	title := strings.TrimSpace(f.title.Text)
	if title == "" {
		return api.EventDraft{}, "Give the event a title."
	}
	starts, err := parseLocal(f.starts.Text)
	if err != nil {
		return api.EventDraft{}, "Start: " + err.Error() + "."
	}
	ds := f.durations
	if ds == nil {
		ds = eventDurations
	}
	return api.EventDraft{Title: title, Starts: starts, Duration: ds[f.duration.SelectedIndex()].d,
		Where: strings.TrimSpace(f.where.Text), Text: strings.TrimSpace(f.text.Text), Call: eventCallOf(f.call)}, ""
}

// layout is the form's fields under their names, over d's error line.
func (f *eventForm) layout(d *dlg) fyne.CanvasObject {
	return container.NewVBox(boldLabel("Title"), f.title,
		boldLabel("Starts"), f.starts, container.NewBorder(nil, nil, widget.NewLabel("Lasts"), nil, f.duration),
		container.NewBorder(nil, nil, widget.NewLabel("Call"), nil, f.call),
		boldLabel("Where"), f.where, boldLabel("Description"), f.text, d.errLabel)
}

// showEditEvent opens the event form filled with event m's values and
// saves the edit.
func (c *conversation) showEditEvent(m api.Message) {
	a := c.a
	cid := a.community
	e := *m.Event
	e.Text = m.Text
	f := newEventForm(a, &e)
	var draft api.EventDraft
	c.showCardForm("Edit event", "Save", "The event was not changed", f.title, f, f.layout,
		func() (bad string) { draft, bad = f.draft(); return bad },
		func(ctx context.Context) error { return a.b.EditEvent(ctx, cid, m.ID, draft) })
}

// newPromoForm is the promotion form's widgets, filled with p (and its
// text) when p is not nil, else empty, running a week from now.
func newPromoForm(a *App, p *api.Promo, text string) *promoForm {
	f := &promoForm{title: newKeyEntry(a), text: newKeyEntry(a), starts: newKeyEntry(a), ends: newKeyEntry(a), code: newKeyEntry(a)}
	f.title.SetPlaceHolder("e.g. Spring starter kits")
	f.text.MultiLine = true
	f.text.Wrapping = fyne.TextWrapWord
	f.text.SetPlaceHolder("What the offer is")
	f.code.SetPlaceHolder("A code to quote (optional)")
	f.fileName = widget.NewLabel("")
	f.fileName.Truncation = fyne.TextTruncateEllipsis
	f.attach = widget.NewButtonWithIcon("Attach…", theme.FileIcon(), func() { f.pickFile(a) })
	f.removeFile = widget.NewButtonWithIcon("", theme.DeleteIcon(), func() {
		f.path, f.dropFile = "", true
		f.showFile()
	})
	f.removeFile.Importance = widget.LowImportance
	if p != nil {
		f.had = p.File
	}
	f.showFile()
	if p == nil {
		now := a.now().Local().Truncate(time.Minute)
		f.starts.SetText(now.Format(timeLayout))
		f.ends.SetText(now.Add(7 * 24 * time.Hour).Format(timeLayout))
		return f
	}
	f.title.SetText(p.Title)
	f.text.SetText(text)
	f.starts.SetText(p.Starts.Local().Format(timeLayout))
	f.ends.SetText(p.Ends.Local().Format(timeLayout))
	f.code.SetText(p.Code)
	return f
}

// layout is the form's fields under their names, over d's error line.
func (f *promoForm) layout(d *dlg) fyne.CanvasObject {
	return container.NewVBox(boldLabel("Title"), f.title, boldLabel("Text"), f.text,
		boldLabel("Starts"), f.starts, boldLabel("Ends"), f.ends, boldLabel("Code"), f.code,
		boldLabel("Image or file"), container.NewBorder(nil, nil, nil, container.NewHBox(f.removeFile, f.attach), f.fileName), d.errLabel)
}

// showEditPromo opens the promotion form filled with promotion m's values
// and saves the edit (admins).
func (c *conversation) showEditPromo(m api.Message) {
	a := c.a
	cid := a.community
	f := newPromoForm(a, m.Promo, m.Text)
	c.showPromoForm("Edit promotion", "Save", "The promotion was not changed", f,
		func(ctx context.Context, draft api.PromoDraft) error { return a.b.EditPromo(ctx, cid, m.ID, draft) })
}
