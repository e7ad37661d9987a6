package ui

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// startHereLibrary shares two files in the announcements, the first
// pinned, and one in General; it returns their ids in that order.
func startHereLibrary(t *testing.T, h *harness, role string) (welcome, sheet, photo crdt.ID) {
	f := h.f
	c := h.community("Glow Team", role, 4, "General")
	ann := h.a.groups[0].ID
	welcome = f.deliverFile(c.ID, ann, "Olivia", "Welcome pack.pdf", "application/pdf", []byte("%PDF welcome"), "")
	sheet = f.deliverFile(c.ID, ann, "Olivia", "Product sheet.pdf", "application/pdf", []byte("%PDF sheet"), "")
	photo = f.deliverFile(c.ID, h.a.group, "Chloe", "Team day.png", "image/png", []byte("not a png"), "")
	f.mu.Lock()
	_, g, _ := f.group(c.ID, ann)
	g.pins = append(g.pins, welcome) // as an admin pinned it
	f.mu.Unlock()
	h.drain()
	return welcome, sheet, photo
}

// names of the files the view lists in Start here and below it.
func (v *filesView) names() (top, rest []string) {
	for _, e := range v.top {
		top = append(top, e.Name)
	}
	for _, e := range v.shown {
		rest = append(rest, e.Name)
	}
	return top, rest
}

// TestFilesStartHere: the community's Files view lists the files pinned
// in the announcements first, as Start here; an admin pins and unpins
// the announcements' files from their rows, a member only sees them.
func TestFilesStartHere(t *testing.T) {
	h, _ := fileHarness(t)
	welcome, sheet, photo := startHereLibrary(t, h, "owner")
	v := h.a.showFiles(h.a.community, crdt.ID{})
	top, rest := v.names()
	if !slices.Equal(top, []string{"Welcome pack.pdf"}) || !slices.Equal(rest, []string{"Team day.png", "Product sheet.pdf"}) {
		t.Fatalf("start here %q, then %q", top, rest)
	}
	if _, ok := v.pinButtons[photo]; ok {
		t.Fatal("a file of General offers to pin it to Start here")
	}
	if b := v.pinButtons[sheet]; b == nil || b.Text != "Pin" || v.pinButtons[welcome].Text != "Unpin" {
		t.Fatalf("pin buttons %v", v.pinButtons)
	}
	test.Tap(v.pinButtons[sheet])
	h.drain()
	if top, _ := v.names(); !slices.Equal(top, []string{"Welcome pack.pdf", "Product sheet.pdf"}) {
		t.Fatalf("after pinning, start here %q", top)
	}
	test.Tap(v.pinButtons[welcome])
	h.drain()
	if top, rest := v.names(); !slices.Equal(top, []string{"Product sheet.pdf"}) || !slices.Contains(rest, "Welcome pack.pdf") {
		t.Fatalf("after unpinning, start here %q, then %q", top, rest)
	}
	// The search narrows Start here too.
	test.Type(v.search, "team")
	if top, rest := v.names(); len(top) != 0 || !slices.Equal(rest, []string{"Team day.png"}) {
		t.Fatalf("search for team: %q, %q", top, rest)
	}
	// A group's own Files view has no Start here.
	g := h.a.showFiles(h.a.community, h.a.group)
	if len(g.top) != 0 {
		t.Fatalf("General's files start with %+v", g.top)
	}

	m, _ := fileHarness(t)
	startHereLibrary(t, m, "member")
	mv := m.a.showFiles(m.a.community, crdt.ID{})
	if top, _ := mv.names(); !slices.Equal(top, []string{"Welcome pack.pdf"}) || len(mv.pinButtons) != 0 {
		t.Fatalf("a member sees start here %q and pin buttons %v", top, mv.pinButtons)
	}
}

// TestGoldenFilesStartHere renders an admin's community Files view with
// its Start here section, light and dark.
func TestGoldenFilesStartHere(t *testing.T) {
	for _, variant := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(variant.name, func(t *testing.T) {
			h, _ := fileHarness(t)
			startHereLibrary(t, h, "owner")
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
			h.a.showFiles(h.a.community, crdt.ID{})
			img := h.w.Canvas().Capture()
			test.AssertImageMatches(t, "files_starthere_"+variant.name+".png", img)
			writeScreenshot(t, "files_starthere_"+variant.name+".png", img)
		})
	}
}
