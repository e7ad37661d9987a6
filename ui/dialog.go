package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// dlg is a modal dialog whose content and buttons can change while it is
// open (a form turns into a result). It keeps handles on its main widgets
// so tests can drive it.
type dlg struct {
	d      *dialog.CustomDialog
	holder *fyne.Container
	open   bool

	createEntry *widget.Entry   // the dialog's main input, if any
	confirm     *widget.Button  // its main action
	linkField   *widget.Entry   // the invite link, once shown
	members     *fyne.Container // the member rows, once listed
}

func (a *App) newDialog(title string, content fyne.CanvasObject) *dlg {
	d := &dlg{holder: container.NewStack()}
	if content != nil {
		d.holder.Objects = []fyne.CanvasObject{content}
	}
	d.d = dialog.NewCustomWithoutButtons(title, d.holder, a.win)
	d.d.SetOnClosed(func() { d.open = false })
	a.lastDialog = d
	return d
}

// setContent replaces the body and the buttons (leading buttons first, the
// main action last).
func (d *dlg) setContent(body fyne.CanvasObject, buttons ...fyne.CanvasObject) {
	d.holder.Objects = []fyne.CanvasObject{body}
	d.holder.Refresh()
	d.d.SetButtons(buttons)
	d.d.Resize(fyne.NewSize(460, d.d.MinSize().Height))
}

func (d *dlg) show() {
	d.open = true
	d.d.Show()
	d.d.Resize(fyne.NewSize(460, d.d.MinSize().Height))
}

func (d *dlg) hide() {
	d.open = false
	d.d.Hide()
}
