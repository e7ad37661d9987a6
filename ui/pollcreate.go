package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// pollForm is the new-poll dialog's widgets (for tests).
type pollForm struct {
	question *keyEntry
	options  []*keyEntry
	rows     *fyne.Container
	add      *widget.Button
	multi    *widget.Check
	closes   *widget.Select
}

// pollClosings are the choices of closing time.
var pollClosings = []struct {
	label string
	after time.Duration
}{
	{"No closing time", 0},
	{"In 1 hour", time.Hour},
	{"In 1 day", 24 * time.Hour},
	{"In 3 days", 3 * 24 * time.Hour},
	{"In 1 week", 7 * 24 * time.Hour},
}

// showCreatePoll asks for a question, 2 to 12 options, single or multiple
// choice and an optional closing time, and posts the poll.
func (c *conversation) showCreatePoll() {
	a := c.a
	cid, gid := a.community, a.group
	d := a.newDialog("New poll", nil)
	f := &pollForm{rows: container.NewVBox()}
	f.question = newKeyEntry(a)
	f.question.SetPlaceHolder("Ask something, e.g. Which day suits the training call?")
	d.errLabel = errorLabel()
	addOption := func(text string) {
		if len(f.options) >= crdt.MaxOptions {
			return
		}
		e := newKeyEntry(a)
		e.SetPlaceHolder(fmt.Sprintf("Option %d", len(f.options)+1))
		e.SetText(text)
		f.options = append(f.options, e)
		var row *fyne.Container
		// The "−" is for the mouse: it takes no keyboard focus, so Tab
		// goes from option to option (a blank option is dropped anyway).
		remove := newTapBox(container.NewPadded(widget.NewIcon(theme.ContentRemoveIcon())), func() {
			if len(f.options) <= crdt.MinOptions {
				return
			}
			for i, x := range f.options {
				if x == e {
					f.options = append(f.options[:i], f.options[i+1:]...)
				}
			}
			f.rows.Remove(row)
			f.add.Enable()
			d.d.Resize(fyne.NewSize(d.width, d.d.MinSize().Height))
		})
		row = container.NewBorder(nil, nil, nil, remove, e)
		f.rows.Add(row)
		if len(f.options) >= crdt.MaxOptions {
			f.add.Disable()
		}
		d.d.Resize(fyne.NewSize(d.width, d.d.MinSize().Height))
	}
	f.add = widget.NewButtonWithIcon("Add an option", theme.ContentAddIcon(), func() {
		addOption("")
		a.focus(f.options[len(f.options)-1])
	})
	f.add.Importance = widget.LowImportance
	addOption("")
	addOption("")
	f.multi = widget.NewCheck("Allow more than one answer", nil)
	var labels []string
	for _, p := range pollClosings {
		labels = append(labels, p.label)
	}
	f.closes = widget.NewSelect(labels, nil)
	f.closes.SetSelectedIndex(0)
	var create *widget.Button
	create = widget.NewButton("Post poll", func() {
		q := strings.TrimSpace(f.question.Text)
		var opts []string
		for _, e := range f.options {
			if t := strings.TrimSpace(e.Text); t != "" {
				opts = append(opts, t)
			}
		}
		switch {
		case q == "":
			d.errLabel.SetText("Write the question first.")
			d.errLabel.Show()
			return
		case len(opts) < crdt.MinOptions:
			d.errLabel.SetText("A poll needs at least two options.")
			d.errLabel.Show()
			return
		}
		var closes time.Time
		if after := pollClosings[f.closes.SelectedIndex()].after; after > 0 {
			closes = a.now().Add(after)
		}
		multi := f.multi.Checked
		create.Disable()
		a.background(func() error {
			ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
			defer cancel()
			_, err := a.b.CreatePoll(ctx, cid, gid, q, opts, multi, closes)
			return err
		}, func(err error) {
			create.Enable()
			if err != nil {
				d.fail("The poll was not posted", err)
				return
			}
			d.hide()
			if a.community == cid && a.group == gid {
				c.list.scrollToBottom()
				c.reload()
			}
		})
	})
	create.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", d.hide)
	form := container.NewVBox(
		widget.NewLabelWithStyle("Question", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), f.question,
		widget.NewLabelWithStyle("Options", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), f.rows, f.add,
		f.multi, container.NewBorder(nil, nil, widget.NewLabel("Closes"), nil, f.closes), d.errLabel)
	d.setContent(form, cancel, create)
	d.createEntry, d.confirm, d.cancel = f.question, create, cancel
	d.handles = f
	d.show()
	a.focus(f.question)
}
