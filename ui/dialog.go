package ui

import (
	"context"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// dlg is a modal dialog whose content and buttons can change while it is
// open (a form turns into a result). It keeps handles on its main widgets
// so tests can drive it.
type dlg struct {
	a      *App
	d      *dialog.CustomDialog
	holder *fyne.Container
	title  string
	open   bool
	width  float32

	createEntry *keyEntry       // the dialog's main input, if any
	confirm     *widget.Button  // its main action
	cancel      *widget.Button  // its dismiss button, if any
	errLabel    *widget.Label   // where it says what went wrong, if it can
	linkField   *widget.Entry   // the invite link, once shown
	members     *fyne.Container // the member rows, once listed
	// handles holds a screen's own widgets (an admin screen's rows and
	// buttons) for tests to drive.
	handles any
	// onClose runs when the dialog closes, however it closes.
	onClose func()
}

// dialogWidth is the width of ordinary dialogs.
const dialogWidth = 460

func (a *App) newDialog(title string, content fyne.CanvasObject) *dlg {
	return a.newDialogOn(a.win, title, content)
}

// newDialogOn is newDialog over window win (the call window's own
// questions open on it, not behind it on the main window).
func (a *App) newDialogOn(win fyne.Window, title string, content fyne.CanvasObject) *dlg {
	d := &dlg{a: a, holder: container.NewStack(), title: title, width: dialogWidth}
	if content != nil {
		d.holder.Objects = []fyne.CanvasObject{content}
	}
	d.d = dialog.NewCustomWithoutButtons(title, d.holder, win)
	d.d.SetOnClosed(func() {
		d.open = false
		a.dialogs = slices.DeleteFunc(a.dialogs, func(x *dlg) bool { return x == d })
		if d.onClose != nil {
			d.onClose()
		}
	})
	a.lastDialog = d
	return d
}

// setContent replaces the body and the buttons (leading buttons first, the
// main action last).
func (d *dlg) setContent(body fyne.CanvasObject, buttons ...fyne.CanvasObject) {
	d.holder.Objects = []fyne.CanvasObject{body}
	d.holder.Refresh()
	d.d.SetButtons(buttons)
	d.d.Resize(fyne.NewSize(d.width, d.d.MinSize().Height))
}

// dialogChrome is the height a dialog's title, buttons and margins take
// beside its body.
const dialogChrome = 150

// fitToWindow puts a long dialog body in a vertical scroll no taller than
// the window leaves room for, so its buttons never cover its last rows.
func (a *App) fitToWindow(body fyne.CanvasObject) fyne.CanvasObject {
	room := a.win.Canvas().Size().Height - dialogChrome
	if room <= 0 || body.MinSize().Height <= room {
		return body
	}
	s := container.NewVScroll(body)
	s.SetMinSize(fyne.NewSize(body.MinSize().Width, room))
	return s
}

func (d *dlg) show() {
	d.open = true
	d.a.dialogs = append(d.a.dialogs, d)
	d.d.Show()
	d.d.Resize(fyne.NewSize(d.width, d.d.MinSize().Height))
}

func (d *dlg) hide() {
	if !d.open {
		return
	}
	d.d.Hide()
}

// fail shows err in the dialog's error label (or, lacking one, in a
// dialog of its own).
func (d *dlg) fail(what string, err error) {
	if d.errLabel == nil {
		d.a.showError(what, err)
		return
	}
	d.errLabel.SetText(what + ": " + explain(err))
	d.errLabel.Show()
	d.d.Resize(fyne.NewSize(d.width, d.d.MinSize().Height))
}

// closeTopDialog closes the dialog opened last (Esc). It reports whether
// there was one.
func (a *App) closeTopDialog() bool {
	if len(a.dialogs) == 0 {
		return false
	}
	a.dialogs[len(a.dialogs)-1].hide()
	return true
}

// confirmAction asks before an action that cannot be undone: title, what
// will happen, and the wording of the button that does it.
func (a *App) confirmAction(title, text, action string, do func()) *dlg {
	return a.confirmActionOn(a.win, title, text, action, do)
}

// confirmActionOn is confirmAction over window win.
func (a *App) confirmActionOn(win fyne.Window, title, text, action string, do func()) *dlg {
	d := a.newDialogOn(win, title, nil)
	msg := widget.NewLabel(text)
	msg.Wrapping = fyne.TextWrapWord
	yes := widget.NewButton(action, func() {
		d.hide()
		do()
	})
	yes.Importance = widget.DangerImportance
	no := widget.NewButton("Cancel", d.hide)
	d.setContent(msg, no, yes)
	d.confirm, d.cancel = yes, no
	d.show()
	return d
}

// actionTimeout bounds a single write (an op is signed, stored and
// published locally; a rotation may take a second for 5,000 members).
const actionTimeout = 30 * time.Second

// act runs one backend write off the UI goroutine; on failure it shows why
// (what failed, and the backend's reason); on success it calls done, if
// set, on the UI goroutine.
func (a *App) act(what string, work func(ctx context.Context) error, done func()) {
	a.background(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		defer cancel()
		return work(ctx)
	}, func(err error) {
		if err != nil {
			a.showError(what, err)
			return
		}
		if done != nil {
			done()
		}
	})
}
