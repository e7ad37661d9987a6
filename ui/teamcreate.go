package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The composer's team actions, in a row over it (the composer keeps its
// width): Event (anyone crdt lets create
// events in the group), Celebrate (a win for a member) and, in the
// announcements, Promotion (admins). Each button shows only when the
// group's or community's capability flag says the action is allowed.

// teamButtons are the composer's team actions.
type teamButtons struct {
	event, celebrate, promo *widget.Button
	box                     *fyne.Container
	// row holds box over the composer; it scrolls rather than widen the
	// conversation's least width.
	row *container.Scroll
}

func newTeamButtons(c *conversation) *teamButtons {
	t := &teamButtons{
		event:     widget.NewButton("Event", c.showCreateEvent),
		celebrate: widget.NewButton("Celebrate", c.showCelebrate),
		promo:     widget.NewButton("Promotion", c.showCreatePromo),
	}
	for _, b := range []*widget.Button{t.event, t.celebrate, t.promo} {
		b.Importance = widget.LowImportance
	}
	t.event.Icon, t.celebrate.Icon = theme.CalendarIcon(), theme.ConfirmIcon()
	t.promo.Icon = theme.InfoIcon()
	t.box = container.NewHBox(t.event, t.celebrate, t.promo)
	t.row = container.NewHScroll(t.box)
	return t
}

// update shows the actions the local member may take in group g of
// community comm.
func (t *teamButtons) update(comm api.Community, g api.Group) {
	showIf(t.event, g.CanCreateEvent)
	showIf(t.celebrate, g.CanCelebrate && g.Kind != api.GroupPrivate)
	showIf(t.promo, comm.CanPromote && g.Kind == api.GroupAnnouncement)
	showIf(t.row, t.event.Visible() || t.celebrate.Visible() || t.promo.Visible())
}

func showIf(o fyne.CanvasObject, on bool) {
	if on {
		o.Show()
	} else {
		o.Hide()
	}
}

// eventForm is the new-event dialog's widgets (for tests).
type eventForm struct {
	title, starts, where, text *keyEntry
	duration                   *widget.Select
	// durations are duration's choices when they are not eventDurations
	// (an edited event's own length added).
	durations []struct {
		label string
		d     time.Duration
	}
}

// eventDurations are the choices of an event's length.
var eventDurations = []struct {
	label string
	d     time.Duration
}{{"30 minutes", 30 * time.Minute}, {"1 hour", time.Hour}, {"1½ hours", 90 * time.Minute}, {"2 hours", 2 * time.Hour}, {"3 hours", 3 * time.Hour}, {"All day", 24 * time.Hour}}

// timeLayout is how the dialogs read and write a time (local).
const timeLayout = "2006-01-02 15:04"

// parseLocal reads a time written as timeLayout in local time.
func parseLocal(s string) (time.Time, error) {
	t, err := time.ParseInLocation(timeLayout, strings.TrimSpace(s), time.Local)
	if err != nil {
		return time.Time{}, fmt.Errorf("write the time as %s, e.g. %s", "YYYY-MM-DD HH:MM", time.Date(2026, 11, 27, 19, 30, 0, 0, time.Local).Format(timeLayout))
	}
	return t, nil
}

// nextHour is tomorrow at the next full hour after now.
func nextHour(now time.Time) time.Time {
	return now.Local().Truncate(time.Hour).Add(25 * time.Hour)
}

// formError shows msg in d's error line.
func formError(d *dlg, msg string) {
	d.errLabel.SetText(msg)
	d.errLabel.Show()
}

// boldLabel is a form's field name.
func boldLabel(s string) *widget.Label {
	return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// post runs create in the background and, once it succeeded, closes d
// and shows the new card at the bottom of the conversation.
func (c *conversation) post(d *dlg, btn *widget.Button, what string, create func(ctx context.Context) error) {
	a := c.a
	cid, gid := a.community, a.group
	btn.Disable()
	a.background(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		defer cancel()
		return create(ctx)
	}, func(err error) {
		btn.Enable()
		if err != nil {
			d.fail(what, err)
			return
		}
		d.hide()
		if a.community == cid && a.group == gid {
			c.list.scrollToBottom()
			c.reload()
		}
	})
}

// showCreateEvent asks for an event's title, start, length, place and
// description, and posts it in the open group.
func (c *conversation) showCreateEvent() {
	a := c.a
	cid, gid := a.community, a.group
	f := newEventForm(a, nil)
	var draft api.EventDraft
	c.showCardForm("New event", "Post event", "The event was not posted", f.title, f, f.layout,
		func() (bad string) { draft, bad = f.draft(); return bad },
		func(ctx context.Context) error {
			_, err := a.b.CreateEvent(ctx, cid, gid, draft)
			return err
		})
}

// celebrateForm is the celebrate dialog's widgets (for tests).
type celebrateForm struct {
	member *widget.Select
	badge  *widget.RadioGroup
	text   *keyEntry
	peers  []string // peer ids in member's order
}

// showCelebrate asks whom to celebrate, with which badge and a line of
// text, and posts the win in the open group.
func (c *conversation) showCelebrate() {
	a := c.a
	cid, gid := a.community, a.group
	d := a.newDialog("Celebrate a win", nil)
	d.errLabel = errorLabel()
	f := &celebrateForm{text: newKeyEntry(a)}
	members := a.memberIndex()
	var ms []api.Member
	for _, m := range members {
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(x, y api.Member) int { return strings.Compare(x.Name, y.Name) })
	var names []string
	for _, m := range ms {
		names = append(names, m.Name)
		f.peers = append(f.peers, m.PeerID)
	}
	f.member = widget.NewSelect(names, nil)
	f.member.PlaceHolder = "Choose a member"
	var badges []string
	for _, b := range crdt.Badges {
		badges = append(badges, badgeLabel(b))
	}
	f.badge = widget.NewRadioGroup(badges, nil)
	f.badge.SetSelected(badges[0])
	f.text.SetPlaceHolder("e.g. Ben reached Silver this month!")
	var create *widget.Button
	create = widget.NewButton("Celebrate", func() {
		i := f.member.SelectedIndex()
		if i < 0 {
			formError(d, "Choose whom to celebrate.")
			return
		}
		badge := crdt.Badges[slices.Index(badges, f.badge.Selected)]
		peer, text := f.peers[i], strings.TrimSpace(f.text.Text)
		c.post(d, create, "The win was not posted", func(ctx context.Context) error {
			_, err := a.b.Celebrate(ctx, cid, gid, peer, badge, text)
			return err
		})
	})
	create.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", d.hide)
	form := container.NewVBox(boldLabel("Member"), f.member, boldLabel("Badge"), f.badge, boldLabel("Text"), f.text, d.errLabel)
	d.setContent(form, cancel, create)
	d.createEntry, d.confirm, d.cancel = f.text, create, cancel
	d.handles = f
	d.show()
}

// promoForm is the new-promotion dialog's widgets (for tests).
type promoForm struct {
	title, text, starts, ends, code *keyEntry
	// fileName says which image or file the promotion shows; attach
	// picks one, removeFile drops it. path is the file picked on this
	// device (stored by the node when the form is posted and shown on
	// the card alone), dropFile whether the promotion's own file is to go.
	fileName           *widget.Label
	attach, removeFile *widget.Button
	path               string
	had                *api.File
	dropFile           bool
}

// pickFile is what attach does: the picked file replaces any other.
func (f *promoForm) pickFile(a *App) {
	a.files.pickFiles(func(paths []string) {
		if len(paths) == 0 {
			return
		}
		f.path, f.dropFile = paths[0], false
		f.showFile()
	})
}

// showFile shows the form's file, or that there is none.
func (f *promoForm) showFile() {
	switch {
	case f.path != "":
		f.fileName.SetText("📎 " + filepath.Base(f.path))
	case f.had != nil && !f.dropFile:
		f.fileName.SetText("📎 " + f.had.Name)
	default:
		f.fileName.SetText("None")
		f.removeFile.Hide()
		return
	}
	f.removeFile.Show()
}

// withFile returns draft showing the picked file, or dropping the
// promotion's own file when the form removed it.
func (f *promoForm) withFile(draft api.PromoDraft) api.PromoDraft {
	draft.File = f.path
	draft.DropFile = f.dropFile && f.path == ""
	return draft
}

// showCreatePromo asks for a promotion's title, text, start, end and code,
// and posts it in the announcements (admins).
func (c *conversation) showCreatePromo() {
	a := c.a
	cid := a.community
	f := newPromoForm(a, nil, "")
	c.showPromoForm("New promotion", "Post promotion", "The promotion was not posted", f,
		func(ctx context.Context, draft api.PromoDraft) error {
			_, err := a.b.CreatePromo(ctx, cid, draft)
			return err
		})
}

// showPromoForm opens a promotion's form, new or edited, whose action
// posts it with send. Without a file to store it posts as the other
// cards do. With one the form closes and the node stores the file in the
// background, its progress and Cancel over the composer like any file's
// and with no time limit (a training video may take minutes); the
// promotion posts once the file is stored, and its card is the one place
// the file shows. If either fails, the form opens again as it was,
// saying why; so it does when the member cancels.
func (c *conversation) showPromoForm(title, action, failed string, f *promoForm, send func(context.Context, api.PromoDraft) error) {
	cid, gid := c.a.community, c.a.group
	c.openCardForm(title, action, f.title, f, f.layout, func(d *dlg, ok *widget.Button) {
		draft, bad := f.draft()
		if bad != "" {
			formError(d, bad)
			return
		}
		if f.path == "" {
			c.post(d, ok, failed, func(ctx context.Context) error { return send(ctx, f.withFile(draft)) })
			return
		}
		c.sharePromoFile(d, f, cid, gid, f.withFile(draft), failed, send)
	})
}

// sharePromoFile closes promotion form d and posts draft, whose file the
// node stores first, with send in group gid of community cid, showing
// the file's progress and Cancel; on failure or cancel it opens d again
// with the reason.
func (c *conversation) sharePromoFile(d *dlg, f *promoForm, cid, gid crdt.ID, draft api.PromoDraft, failed string, send func(context.Context, api.PromoDraft) error) {
	path := draft.File
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		formError(d, filepath.Base(path)+" cannot be read. Attach another file.")
		return
	}
	name := filepath.Base(path)
	u := newUpload(name+" for “"+draft.Title+"”", fi.Size())
	d.hide()
	c.uploading[gid] = append(c.uploading[gid], u)
	c.showUploads()
	g := c.uploadProgress(gid, u)
	draft.Progress = g.report
	// Storing a large file takes as long as it takes: no action timeout.
	c.a.background(func() error { return send(u.ctx, draft) }, func(err error) {
		g.stop()
		c.dropUpload(gid, u)
		switch {
		case u.wasCancelled(err):
			d.show()
			formError(d, "You cancelled sharing "+name+": nothing was posted.")
		case err != nil:
			d.show()
			d.fail(failed, err)
		case c.a.community == cid && c.a.group == gid:
			c.list.scrollToBottom()
			c.reload()
		}
	})
}

// showCardForm opens the dialog of an event's form, new or edited: its
// layout, focused on entry, with Cancel and a button named action that
// posts the form's draft with send once check finds nothing wrong (check
// says what is wrong, or ""). failed heads the error when send fails;
// handles are the form's widgets, for tests.
func (c *conversation) showCardForm(title, action, failed string, entry *keyEntry, handles any,
	layout func(*dlg) fyne.CanvasObject, check func() string, send func(context.Context) error) {
	c.openCardForm(title, action, entry, handles, layout, func(d *dlg, ok *widget.Button) {
		if bad := check(); bad != "" {
			formError(d, bad)
			return
		}
		c.post(d, ok, failed, send)
	})
}

// openCardForm opens the dialog of a card's form: its layout, focused on
// entry, with Cancel and a button named action that calls submit.
func (c *conversation) openCardForm(title, action string, entry *keyEntry, handles any,
	layout func(*dlg) fyne.CanvasObject, submit func(d *dlg, ok *widget.Button)) {
	a := c.a
	d := a.newDialog(title, nil)
	d.errLabel = errorLabel()
	var ok *widget.Button
	ok = widget.NewButton(action, func() { submit(d, ok) })
	ok.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", d.hide)
	d.setContent(layout(d), cancel, ok)
	d.createEntry, d.confirm, d.cancel = entry, ok, cancel
	d.handles = handles
	d.show()
	a.focus(entry)
}

// draft reads the promotion the form describes, or says what is wrong
// with it.
func (f *promoForm) draft() (api.PromoDraft, string) {
	p := api.PromoDraft{Title: strings.TrimSpace(f.title.Text), Text: strings.TrimSpace(f.text.Text), Code: strings.TrimSpace(f.code.Text)}
	if p.Title == "" {
		return p, "Give the promotion a title."
	}
	var err error
	if p.Starts, err = parseLocal(f.starts.Text); err != nil {
		return p, "Starts: " + err.Error() + "."
	}
	if p.Ends, err = parseLocal(f.ends.Text); err != nil {
		return p, "Ends: " + err.Error() + "."
	}
	if !p.Ends.After(p.Starts) {
		return p, "The promotion must end after it starts."
	}
	return p, ""
}
