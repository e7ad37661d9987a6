package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
)

// joinTimeout bounds a join: dialling, admission and the first sync.
const joinTimeout = 2 * time.Minute

// joinStageText says what a join is doing, for the progress line.
func joinStageText(p api.JoinProgress) string {
	name := p.Community
	if name == "" {
		name = "the community"
	}
	switch p.Stage {
	case api.JoinChecking:
		return "Checking the invite link…"
	case api.JoinConnecting:
		return "Connecting to " + name + "…"
	case api.JoinAdmitted:
		return "You're in! Getting the keys to read " + name + "…"
	case api.JoinSyncing:
		if p.Ops > 0 {
			return fmt.Sprintf("Catching up on %s… (%d updates so far)", name, p.Ops)
		}
		return "Catching up on " + name + "…"
	case api.JoinRequested:
		return "Asked to join " + name + "; an admin will let you in."
	}
	return "Joining…"
}

// joinProgressText is joinStageText, saying first when the join goes
// through the relay because the inviter is offline.
func joinProgressText(p api.JoinProgress) string {
	if p.ViaRelay {
		return "Joining through the relay, the inviter is offline. " + joinStageText(p)
	}
	return joinStageText(p)
}

// joinRun is a join dialog's Join and Cancel buttons, progress bar and
// status line, and the join they start.
type joinRun struct {
	a        *App
	d        *dlg
	join     *widget.Button
	cancel   *widget.Button
	progress *widget.ProgressBarInfinite
	status   *widget.Label
	// stop cancels the join running, if any: closing the dialog (Cancel,
	// Esc) stops it rather than letting it switch the screen later.
	stop func()
}

// newJoinRun builds d's join controls. link gives the link to join with,
// or "" when there is none; lock disables (true) or enables the dialog's
// own inputs while a join runs.
func (a *App) newJoinRun(d *dlg, link func() string, lock func(bool)) *joinRun {
	r := &joinRun{a: a, d: d, progress: widget.NewProgressBarInfinite(), status: widget.NewLabel(""), stop: func() {}}
	r.progress.Stop()
	r.progress.Hide()
	r.status.Wrapping = fyne.TextWrapWord
	r.status.Hide()
	d.errLabel = errorLabel()
	d.onClose = func() { r.stop() }
	r.cancel = widget.NewButton("Cancel", d.hide)
	r.join = widget.NewButton("Join", func() {
		text := strings.TrimSpace(link())
		if text == "" {
			d.errLabel.SetText("Paste an invite link first.")
			d.errLabel.Show()
			return
		}
		r.start(text, lock)
	})
	r.join.Importance = widget.HighImportance
	d.confirm, d.cancel = r.join, r.cancel
	d.handles = r.status
	return r
}

// start joins with link, showing each stage and, when it fails, why.
func (r *joinRun) start(link string, lock func(bool)) {
	a, d := r.a, r.d
	d.errLabel.Hide()
	r.join.Disable()
	lock(true)
	r.progress.Show()
	r.progress.Start()
	r.status.SetText(joinStageText(api.JoinProgress{Stage: api.JoinChecking}))
	r.status.Show()
	var c api.Community
	ctx, cancelJoin := context.WithTimeout(context.Background(), joinTimeout)
	r.stop = cancelJoin
	a.background(func() (err error) {
		defer cancelJoin()
		c, err = a.b.JoinWithProgress(ctx, link, func(p api.JoinProgress) {
			fyne.Do(func() { r.status.SetText(joinProgressText(p)) })
		})
		return err
	}, func(err error) {
		r.stop = func() {}
		if !d.open { // cancelled; if it got in anyway, it is listed
			if err == nil {
				a.reloadCommunities()
			}
			return
		}
		r.progress.Stop()
		r.progress.Hide()
		r.join.Enable()
		lock(false)
		if err != nil {
			r.status.Hide()
			d.fail("Could not join", err)
			return
		}
		a.reloadCommunities()
		if c.Role == api.RoleRequested || !a.hasCommunity(c.ID) {
			// Not in yet: the community is listed once an admin
			// lets the member in.
			r.status.SetText("You asked to join " + c.Name + ". An admin will let you in; until then it waits on the left.")
			r.join.Hide()
			r.cancel.SetText("Close")
			return
		}
		a.selectCommunity(c.ID)
		d.hide()
		a.openAnnouncements()
	})
}

// showJoin asks for an invite link (prefilled with link, if any) and
// joins with it, showing each stage and, when it fails, why.
func (a *App) showJoin(link string) {
	d := a.newDialog("Join a community", nil)
	entry := newKeyEntry(a)
	entry.MultiLine = true
	entry.Wrapping = fyne.TextWrapBreak
	entry.SetPlaceHolder("Paste the invite link you received (umbrella://j/…)")
	entry.SetMinRowsVisible(4)
	entry.SetText(link)
	r := a.newJoinRun(d, func() string { return entry.Text }, func(lock bool) {
		if lock {
			entry.Disable()
		} else {
			entry.Enable()
		}
	})
	intro := widget.NewLabel("Your team leader sends an invite link. Paste it here — it connects you straight to your team.")
	intro.Wrapping = fyne.TextWrapWord
	d.setContent(container.NewVBox(intro, entry, r.progress, r.status, d.errLabel), r.cancel, r.join)
	d.createEntry = entry
	d.show()
	a.focus(entry)
}

// openInvite reads link off the UI goroutine (a short link is read by
// asking the peers it names, which takes a moment or, when they are
// offline, a while), saying so, then asks whether to join; a link that
// does not read shows the join dialog with the link and what is wrong.
func (a *App) openInvite(link string) {
	d := a.newDialog("Opening the invite…", nil)
	bar := widget.NewProgressBarInfinite()
	cancel := widget.NewButton("Cancel", d.hide)
	d.cancel = cancel
	d.setContent(container.NewVBox(wrapped("Fetching the invite from the people its link names…"), bar), cancel)
	d.show()
	var inv *api.Invite
	a.background(func() (err error) {
		inv, err = a.b.ParseInvite(link)
		return err
	}, func(err error) {
		bar.Stop()
		if !d.open {
			return // cancelled
		}
		d.hide()
		if err != nil {
			a.showJoin(link)
			a.lastDialog.fail("Could not join", err)
			return
		}
		a.showJoinInvite(link, inv)
	})
}

// showJoinInvite asks whether to join the community inv (read from link)
// names, and joins on Join.
func (a *App) showJoinInvite(link string, inv *api.Invite) {
	name := inv.Name
	if name == "" {
		name = "this community"
	}
	d := a.newDialog("Join "+name+"?", nil)
	r := a.newJoinRun(d, func() string { return link }, func(bool) {})
	question := widget.NewRichText(joinQuestion(name, inv.Inviter)...)
	question.Wrapping = fyne.TextWrapWord
	parts := []fyne.CanvasObject{question}
	if desc := strings.TrimSpace(inv.Description); desc != "" {
		about := widget.NewLabel(desc)
		about.Wrapping = fyne.TextWrapWord
		parts = append(parts, about)
	}
	// An older link carries its maker's key, not their name: a key
	// fragment would mean nothing to a newcomer, so it is not shown.
	text := "You were invited with a link one of its admins made. Joining shares your name with the community."
	if inv.Inviter != "" {
		text = "Joining shares your name with the community."
	}
	note := widget.NewLabel(text)
	note.Wrapping = fyne.TextWrapWord
	parts = append(parts, note, r.progress, r.status, d.errLabel)
	d.setContent(container.NewVBox(parts...), r.cancel, r.join)
	d.show()
	a.focus(r.join)
}

// joinQuestion is "Join <name>?", or "Join <name>, invited by <inviter>?"
// when the link names who made it, with the community's name in bold.
func joinQuestion(name, inviter string) []widget.RichTextSegment {
	segs := []widget.RichTextSegment{
		&widget.TextSegment{Text: "Join ", Style: widget.RichTextStyleInline},
		&widget.TextSegment{Text: name, Style: widget.RichTextStyleStrong},
	}
	if inviter != "" {
		segs = append(segs, &widget.TextSegment{Text: ", invited by " + inviter, Style: widget.RichTextStyleInline})
	}
	return append(segs, &widget.TextSegment{Text: "?", Style: widget.RichTextStyleInline})
}
