package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/node"
)

// joinTimeout bounds a join: dialling, admission and the first sync.
const joinTimeout = 2 * time.Minute

// joinStageText says what a join is doing, for the progress line.
func joinStageText(p node.JoinProgress) string {
	name := p.Community
	if name == "" {
		name = "the community"
	}
	switch p.Stage {
	case node.JoinChecking:
		return "Checking the invite link…"
	case node.JoinConnecting:
		return "Connecting to " + name + "…"
	case node.JoinAdmitted:
		return "You're in! Getting the keys to read " + name + "…"
	case node.JoinSyncing:
		if p.Ops > 0 {
			return fmt.Sprintf("Catching up on %s… (%d updates so far)", name, p.Ops)
		}
		return "Catching up on " + name + "…"
	case node.JoinRequested:
		return "Asked to join " + name + "; an admin will let you in."
	}
	return "Joining…"
}

// showJoin asks for an invite link (prefilled with link, if any) and
// joins with it, showing each stage and, when it fails, why.
func (a *App) showJoin(link string) {
	d := a.newDialog("Join a community", nil)
	entry := newKeyEntry(a)
	entry.MultiLine = true
	entry.Wrapping = fyne.TextWrapBreak
	entry.SetPlaceHolder("Paste the invite link you received (umbrella://join/…)")
	entry.SetMinRowsVisible(4)
	entry.SetText(link)
	d.errLabel = errorLabel()
	progress := widget.NewProgressBarInfinite()
	progress.Stop()
	progress.Hide()
	status := widget.NewLabel("")
	status.Wrapping = fyne.TextWrapWord
	status.Hide()
	// stop cancels the join running, if any: closing the dialog (Cancel,
	// Esc) stops it rather than letting it switch the screen later.
	stop := func() {}
	d.onClose = func() { stop() }
	cancel := widget.NewButton("Cancel", d.hide)
	var join *widget.Button
	join = widget.NewButton("Join", func() {
		text := strings.TrimSpace(entry.Text)
		if text == "" {
			d.errLabel.SetText("Paste an invite link first.")
			d.errLabel.Show()
			return
		}
		d.errLabel.Hide()
		join.Disable()
		entry.Disable()
		progress.Show()
		progress.Start()
		status.SetText(joinStageText(node.JoinProgress{Stage: node.JoinChecking}))
		status.Show()
		var c node.Community
		ctx, cancelJoin := context.WithTimeout(context.Background(), joinTimeout)
		stop = cancelJoin
		a.background(func() (err error) {
			defer cancelJoin()
			c, err = a.b.JoinWithProgress(ctx, text, func(p node.JoinProgress) {
				fyne.Do(func() { status.SetText(joinStageText(p)) })
			})
			return err
		}, func(err error) {
			stop = func() {}
			if !d.open { // cancelled; if it got in anyway, it is listed
				if err == nil {
					a.reloadCommunities()
				}
				return
			}
			progress.Stop()
			progress.Hide()
			join.Enable()
			entry.Enable()
			if err != nil {
				status.Hide()
				d.fail("Could not join", err)
				return
			}
			a.reloadCommunities()
			if c.Role == node.RoleRequested || !a.hasCommunity(c.ID) {
				// Not in yet: the community is listed once an admin
				// lets the member in.
				status.SetText("You asked to join " + c.Name + ". An admin will let you in; it appears on the left when they do.")
				join.Hide()
				cancel.SetText("Close")
				return
			}
			a.selectCommunity(c.ID)
			d.hide()
			a.openAnnouncements()
		})
	})
	join.Importance = widget.HighImportance
	intro := widget.NewLabel("Your team leader sends an invite link. Paste it here — it connects you straight to your team.")
	intro.Wrapping = fyne.TextWrapWord
	d.setContent(container.NewVBox(intro, entry, progress, status, d.errLabel), cancel, join)
	d.createEntry, d.confirm, d.cancel = entry, join, cancel
	d.handles = status
	d.show()
	a.focus(entry)
}
