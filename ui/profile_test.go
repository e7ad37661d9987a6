package ui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// SetName renames the local member, here and in every community's member
// list, as the node does.
func (f *fakeBackend) SetName(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("SetName"); err != nil {
		return err
	}
	f.self.Name = name
	return nil
}

// openRename opens your profile from the rail and taps Change name.
func (h *harness) openRename() (*dlg, *profileHandles) {
	h.t.Helper()
	h.tapOnCanvas(h.a.rail.me)
	d := h.a.lastDialog
	ph, ok := d.handles.(*profileHandles)
	if !ok || !d.open {
		h.t.Fatal("tapping your name did not open your profile")
	}
	test.Tap(ph.change)
	if ph.name == nil {
		h.t.Fatal("Change name shows no name field")
	}
	return d, ph
}

// TestChangeName: your profile changes your display name; an empty or too
// long name is refused on screen with what to do, a good one reaches the
// backend and the rail shows it at once.
func TestChangeName(t *testing.T) {
	h := newHarness(t, newFake())
	h.community("Glow Team", "member", 4, "General")
	d, ph := h.openRename()
	if h.w.Canvas().Focused() != ph.name {
		t.Error("the name field does not have the keyboard")
	}
	for _, tc := range []struct{ name, text, want string }{
		{"empty", "   ", "Type the name"},
		{"too long", strings.Repeat("é", 33), "too long"},
		{"line break", "Liv\tReyes", "one line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ph.name.SetText(tc.text)
			test.Tap(d.confirm)
			if !d.errLabel.Visible() || !strings.Contains(d.errLabel.Text, tc.want) {
				t.Fatalf("after %q the dialog says %q, want %q", tc.text, d.errLabel.Text, tc.want)
			}
			if h.f.calls["SetName"] != 0 {
				t.Fatal("a bad name reached the backend")
			}
		})
	}
	ph.name.SetText("  Liv Reyes ")
	test.Tap(d.confirm)
	h.drain()
	if h.f.Self().Name != "Liv Reyes" {
		t.Fatalf("the backend's name is %q", h.f.Self().Name)
	}
	if d.open {
		t.Fatal("the dialog stayed open after a good name")
	}
	if texts := screenTexts(h.a.rail.root); !slices.Contains(texts, "Liv Reyes") || slices.Contains(texts, "Olivia") {
		t.Fatalf("the rail shows %q", texts)
	}
}

// TestChangeNameFails: a name the node refuses says why and keeps the
// dialog open with the old name in the rail.
func TestChangeNameFails(t *testing.T) {
	h := newHarness(t, newFake())
	h.community("Glow Team", "member", 4, "General")
	d, ph := h.openRename()
	h.f.failNext("SetName", errors.New("disk full"))
	ph.name.SetText("Liv")
	ph.name.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.drain()
	if !d.open || !strings.Contains(d.errLabel.Text, "Could not change your name") {
		t.Fatalf("open %v, says %q", d.open, d.errLabel.Text)
	}
	if !slices.Contains(screenTexts(h.a.rail.root), "Olivia") {
		t.Fatalf("the rail shows %q", screenTexts(h.a.rail.root))
	}
}

// TestGoldenRename renders the change-name form, light and dark.
func TestGoldenRename(t *testing.T) {
	for _, v := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(v.name, func(t *testing.T) {
			h := newHarness(t, newFake())
			h.community("Glow Team", "member", 4, "General")
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(v.v))
			_, ph := h.openRename()
			ph.name.SetText(strings.Repeat("Olivia ", 10))
			test.AssertImageMatches(t, "rename_"+v.name+".png", h.w.Canvas().Capture())
		})
	}
}
