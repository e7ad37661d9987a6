package ui

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
)

// selfRow is your avatar (your photo when you have one) and name in the
// rail; it follows a change of name or photo.
type selfRow struct {
	widget.BaseWidget
	av   *avatar
	name *widget.Label
}

func newSelfRow(a *App) *selfRow {
	r := &selfRow{av: newAvatar(a.self.Name, a.self.PeerID, 30),
		name: widget.NewLabelWithStyle(a.self.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})}
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.av.setPicture(a.self.Photo)
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer implements fyne.Widget.
func (r *selfRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, r.av, nil, r.name))
}

// show shows s's name and photo.
func (r *selfRow) show(s api.Self) {
	r.name.SetText(s.Name)
	r.av.set(s.Name, s.PeerID, false)
	r.av.setPicture(s.Photo)
}

// selfChanged reads the local member again after a change of name or
// photo, and shows it in the rail.
func (a *App) selfChanged() {
	a.self = a.b.Self()
	a.rail.me.content.(*selfRow).show(a.self)
}

// displayNameProblem says what is wrong with display name n as a member would
// type it, or "" when the node will take it (the rule is the identity
// package's ValidateName: 1 to maxNameLen bytes of UTF-8 with no control
// characters, spaces around it trimmed).
func displayNameProblem(n string) string {
	n = strings.TrimSpace(n)
	switch {
	case n == "":
		return "Type the name other members will see."
	case !utf8.ValidString(n):
		return "That name has characters Umbrella cannot read."
	case len(n) > maxNameLen:
		return tooLongName
	case strings.IndexFunc(n, unicode.IsControl) >= 0:
		return "A name is one line of text; take out the line breaks and tabs."
	}
	return ""
}

// profileHandles are the profile dialog's widgets that tests drive.
type profileHandles struct {
	change *widget.Button // opens the name field
	name   *keyEntry      // the new name, once changing
	photo  *avatar        // your avatar, with your photo
	remove *widget.Button // removes your photo
}

// changeName turns profile dialog d into a form for a new display name.
// Saving sends it to every community the member is in.
func (a *App) changeName(d *dlg) {
	name := newKeyEntry(a)
	name.SetText(a.self.Name)
	d.errLabel = errorLabel()
	intro := widget.NewLabel("Your new name is shown to the members of every community you are in.")
	intro.Wrapping = fyne.TextWrapWord
	var save *widget.Button
	save = widget.NewButton("Save", func() {
		n := strings.TrimSpace(name.Text)
		if p := displayNameProblem(n); p != "" {
			d.errLabel.SetText(p)
			d.errLabel.Show()
			fit(d)
			return
		}
		if n == a.self.Name {
			d.hide()
			return
		}
		save.Disable()
		a.background(func() error {
			return a.b.SetName(context.Background(), n)
		}, func(err error) {
			save.Enable()
			a.selfChanged()
			if err != nil {
				d.fail("Could not change your name", err)
				return
			}
			d.hide()
		})
	})
	save.Importance = widget.HighImportance
	name.OnChanged = func(t string) {
		if p := displayNameProblem(t); p != "" && strings.TrimSpace(t) != "" {
			d.errLabel.SetText(p)
			d.errLabel.Show()
		} else {
			d.errLabel.Hide()
		}
		fit(d)
	}
	name.OnSubmitted = func(string) { save.OnTapped() }
	cancel := widget.NewButton("Cancel", d.hide)
	d.setContent(container.NewVBox(intro, name, d.errLabel), cancel, save)
	d.createEntry, d.confirm, d.cancel = name, save, cancel
	if h, ok := d.handles.(*profileHandles); ok {
		h.name = name
	}
	a.focus(name)
}

// fit sizes d to its content. A wrapped label knows its height only once
// it has its width, so d is sized twice.
func fit(d *dlg) {
	for range 2 {
		d.d.Resize(fyne.NewSize(d.width, d.d.MinSize().Height))
	}
}
