package ui

import (
	"context"
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
)

// These tests drive the keyboard as the desktop driver does: keys go to
// the focused widget, and the driver knows an object's canvas only once it
// has drawn a frame with the object in it. The test driver, by contrast,
// answers every CanvasForObject with the last window's canvas, which hid
// that the focus helper gave up on a bar or dialog just shown.

// frameDriver is the test driver with the desktop driver's CanvasForObject:
// nil for anything not on screen when the last frame was drawn.
type frameDriver struct {
	fyne.Driver
	w     fyne.Window
	drawn map[fyne.CanvasObject]bool
}

func (d *frameDriver) CanvasForObject(o fyne.CanvasObject) fyne.Canvas {
	if d.drawn[o] {
		return d.w.Canvas()
	}
	return nil
}

// frame draws the window: what is visible now gets its canvas.
func (d *frameDriver) frame() {
	c := d.w.Canvas()
	trees := append([]fyne.CanvasObject{c.Content()}, c.Overlays().List()...)
	for _, t := range trees {
		d.draw(t)
	}
}

func (d *frameDriver) draw(o fyne.CanvasObject) {
	if o == nil || !o.Visible() {
		return
	}
	d.drawn[o] = true
	var children []fyne.CanvasObject
	switch x := o.(type) {
	case *fyne.Container:
		children = x.Objects
	case fyne.Widget:
		children = test.WidgetRenderer(x).Objects()
	}
	for _, c := range children {
		d.draw(c)
	}
}

type frameApp struct {
	fyne.App
	d *frameDriver
}

func (a frameApp) Driver() fyne.Driver { return a.d }

// keyboard types on window w as a user does, a frame drawn before each
// key.
type keyboard struct {
	t testing.TB
	w fyne.Window
	d *frameDriver
}

// newKeyboard makes the current app's driver draw frames; test.NewTempApp
// restores the app at the end of the test.
func newKeyboard(t testing.TB, w fyne.Window) *keyboard {
	d := &frameDriver{Driver: fyne.CurrentApp().Driver(), w: w, drawn: map[fyne.CanvasObject]bool{}}
	fyne.SetCurrentApp(frameApp{App: fyne.CurrentApp(), d: d})
	return &keyboard{t: t, w: w, d: d}
}

// shortcut presses Ctrl+key: the focused widget gets it first, as on the
// desktop.
func (k *keyboard) shortcut(key fyne.KeyName) {
	k.d.frame()
	s := &desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault}
	if f, ok := k.w.Canvas().Focused().(fyne.Shortcutable); ok {
		f.TypedShortcut(s)
		return
	}
	k.w.Canvas().(fyne.Shortcutable).TypedShortcut(s)
}

// typeText types text into whatever has the focus.
func (k *keyboard) typeText(text string) {
	k.d.frame()
	c := k.w.Canvas()
	for _, r := range text {
		if f := c.Focused(); f != nil {
			f.TypedRune(r)
		} else if fn := c.OnTypedRune(); fn != nil {
			fn(r)
		}
	}
}

// press presses a key; Tab moves the focus unless the focused widget takes
// tabs.
func (k *keyboard) press(name fyne.KeyName) {
	k.d.frame()
	c := k.w.Canvas()
	f := c.Focused()
	if tb, ok := f.(fyne.Tabbable); name == fyne.KeyTab && (!ok || !tb.AcceptsTab()) {
		test.FocusNext(c)
		return
	}
	if f != nil {
		f.TypedKey(&fyne.KeyEvent{Name: name})
	} else if fn := c.OnTypedKey(); fn != nil {
		fn(&fyne.KeyEvent{Name: name})
	}
}

// TestFocusSearchFirstCtrlF: the first Ctrl+F of a session puts the
// keyboard in the search bar; typing and Enter search and post nothing.
func TestFocusSearchFirstCtrlF(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	f.deliver(c.ID, h.a.group, "Ben", "Where is the spring brochure?", false)
	h.drain()
	kb := newKeyboard(t, h.w)
	kb.d.frame()
	cv := h.a.convo
	h.w.Canvas().Focus(cv.composer) // the member was writing
	before := h.last()
	kb.shortcut(fyne.KeyF)
	if got := h.w.Canvas().Focused(); got != cv.searchEntry {
		t.Errorf("after Ctrl+F the focus is on %T, want the search entry", got)
	}
	kb.typeText("brochure")
	kb.press(fyne.KeyReturn)
	if got := h.last(); got != before {
		t.Fatalf("Enter in the search posted to the group: %q", got)
	}
	if cv.searchEntry.Text != "brochure" || cv.searchStatus.Text != "1 of 1" {
		t.Fatalf("search entry %q, status %q; want brochure, 1 of 1", cv.searchEntry.Text, cv.searchStatus.Text)
	}
}

// TestFocusSwitcher: Ctrl+K then typing filters the switcher.
func TestFocusSwitcher(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	h.community("Glow Team", "member", 4, "General")
	f.addCommunity("Spring Launch 2027", "member", 48)
	h.drain()
	kb := newKeyboard(t, h.w)
	h.w.Canvas().Focus(h.a.convo.composer)
	kb.shortcut(fyne.KeyK)
	s := h.a.switcher
	if s == nil {
		t.Fatal("Ctrl+K did not open the switcher")
	}
	kb.typeText("product")
	if s.entry.Text != "product" || len(s.matches) != 2 {
		t.Fatalf("typed into the switcher: %q, %d matches; want product, 2", s.entry.Text, len(s.matches))
	}
}

// TestFocusNewCommunity: New community's name field takes the typing, and
// Enter creates the community.
func TestFocusNewCommunity(t *testing.T) {
	h := newHarness(t, newFake())
	kb := newKeyboard(t, h.w)
	kb.d.frame()
	h.a.showCreateCommunity()
	kb.typeText("Glow Team")
	kb.press(fyne.KeyReturn)
	h.drain()
	if len(h.a.communities) != 1 || h.a.communities[0].Name != "Glow Team" {
		t.Fatalf("typing a name and Enter made %+v", h.a.communities)
	}
}

// TestFocusFirstRun: the first-run screen takes the name as typed; Enter
// continues.
func TestFocusFirstRun(t *testing.T) {
	test.NewTempApp(t)
	var got string
	s := NewFirstRun(fyne.CurrentApp(), func(_ context.Context, name string) (Backend, error) {
		got = name
		return newFake(), nil
	}, func(Backend) {}, func(fn func()) { fn() })
	w := test.NewWindow(s.Content())
	defer w.Close()
	kb := newKeyboard(t, w)
	s.Focus(w)
	kb.typeText("Maria Lopez")
	kb.press(fyne.KeyReturn)
	if got != "Maria Lopez" {
		t.Fatalf("typing a name and Enter set up %q", got)
	}
}

// TestFocusUnlock: the passphrase is typed straight into the unlock screen.
func TestFocusUnlock(t *testing.T) {
	test.NewTempApp(t)
	var got string
	s := NewUnlockScreen(func(_ context.Context, pass []byte) (Backend, error) {
		got = string(pass)
		return newFake(), nil
	}, func(Backend) {}, func(fn func()) { fn() })
	w := test.NewWindow(s.Content())
	defer w.Close()
	kb := newKeyboard(t, w)
	s.Focus(w)
	kb.typeText("glow-team-2027")
	kb.press(fyne.KeyReturn)
	if got != "glow-team-2027" {
		t.Fatalf("typing the passphrase and Enter tried %q", got)
	}
}

// TestFocusPollOptions: the new-poll dialog starts in the question; Tab
// goes from option to option; an added option takes the typing.
func TestFocusPollOptions(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	h.community("Glow Team", "owner", 4, "General")
	kb := newKeyboard(t, h.w)
	kb.d.frame()
	test.Tap(h.a.convo.pollBtn)
	form := h.a.lastDialog.handles.(*pollForm)
	kb.typeText("Which day suits the training call?")
	for _, o := range []string{"Monday", "Wednesday"} {
		kb.press(fyne.KeyTab)
		kb.typeText(o)
	}
	kb.d.frame()
	test.Tap(form.add)
	kb.typeText("Friday")
	var opts []string
	for _, e := range form.options {
		opts = append(opts, e.Text)
	}
	if form.question.Text != "Which day suits the training call?" || !slices.Equal(opts, []string{"Monday", "Wednesday", "Friday"}) {
		t.Fatalf("question %q, options %q; want the question and Monday, Wednesday, Friday", form.question.Text, opts)
	}
	// The "−" takes no focus but still removes its option when clicked.
	remove := form.rows.Objects[1].(*fyne.Container).Objects[1].(fyne.Tappable)
	test.Tap(remove)
	if len(form.options) != 2 || form.options[1].Text != "Friday" {
		t.Fatalf("after removing Wednesday: %d options", len(form.options))
	}
}
