package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// keyEntry is an entry that hands the app's keyboard shortcuts (Ctrl+K,
// Ctrl+F) to the window instead of swallowing them, and calls onEscape on
// Esc (by default: close the top dialog).
type keyEntry struct {
	widget.Entry
	a        *App
	onEscape func()
}

func newKeyEntry(a *App) *keyEntry {
	e := &keyEntry{a: a}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey handles Esc.
func (e *keyEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape {
		switch {
		case e.onEscape != nil:
			e.onEscape()
		case e.a != nil:
			e.a.closeTopDialog()
		}
		return
	}
	e.Entry.TypedKey(k)
}

// TypedShortcut passes the app's shortcuts on.
func (e *keyEntry) TypedShortcut(s fyne.Shortcut) {
	if e.a != nil && e.a.shortcut(s) {
		return
	}
	e.Entry.TypedShortcut(s)
}

// composer is the message entry: Enter sends, Shift+Enter starts a new
// line, Esc stops replying or editing, Up in an empty composer edits your
// last message — as in every desktop messenger.
type composer struct {
	keyEntry
	shift  bool // a Shift key is held
	onSend func(text string)
	// onUp is called on Up when the composer is empty; it reports whether
	// it did something.
	onUp func() bool
	// picker suggests members as an @name is typed.
	picker *mentionPicker
	// onPasteFiles shares the files a paste names (convfiles.go);
	// onPasteImage the picture the clipboard holds as pixels when a paste
	// carries no text (clipimage.go).
	onPasteFiles func(paths []string)
	onPasteImage func()
}

func newComposer(a *App, onSend func(string)) *composer {
	c := &composer{onSend: onSend}
	c.a = a
	c.MultiLine = true
	c.Wrapping = fyne.TextWrapWord
	c.SetPlaceHolder("Write a message… (Enter to send, Shift+Enter for a new line)")
	c.SetMinRowsVisible(2)
	c.picker = newMentionPicker(c)
	c.OnChanged = func(string) { c.updateMentions() }
	c.OnCursorChanged = c.updateMentions
	c.ExtendBaseWidget(c)
	return c
}

// KeyDown tracks Shift.
func (c *composer) KeyDown(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		c.shift = true
	}
	c.Entry.KeyDown(k)
}

// KeyUp tracks Shift.
func (c *composer) KeyUp(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		c.shift = false
	}
	c.Entry.KeyUp(k)
}

// TypedKey sends on Enter and lets Shift+Enter insert a newline; while
// members are suggested for an @name, Up, Down, Enter, Tab and Esc work
// the suggestions.
func (c *composer) TypedKey(k *fyne.KeyEvent) {
	if c.picker.open() {
		switch k.Name {
		case fyne.KeyUp:
			c.picker.move(-1)
			return
		case fyne.KeyDown:
			c.picker.move(1)
			return
		case fyne.KeyReturn, fyne.KeyEnter, fyne.KeyTab:
			c.picker.pick(c.picker.sel)
			return
		case fyne.KeyEscape:
			c.picker.close()
			return
		}
	}
	switch {
	case (k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter) && !c.shift:
		c.send()
		return
	case k.Name == fyne.KeyUp && c.Text == "" && c.onUp != nil && c.onUp():
		return
	}
	c.keyEntry.TypedKey(k)
}

func (c *composer) send() {
	if strings.TrimSpace(c.Text) == "" || c.onSend == nil || c.Disabled() {
		return
	}
	c.picker.close()
	c.onSend(c.Text)
}
