package ui

import (
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// promoWithFile has an admin post, in the announcements, a promotion
// with an image attached through the form, and returns the flyer's path.
func promoWithFile(t *testing.T, h *harness) string {
	t.Helper()
	h.community("Glow Team", "admin", 4, "General")
	h.open("Announcements")
	flyer := filepath.Join(t.TempDir(), "Spring flyer.png")
	if err := os.WriteFile(flyer, testPNG(t, 400, 300, color.RGBA{200, 60, 120, 255}), 0o600); err != nil {
		t.Fatal(err)
	}
	h.a.files.pickFiles = func(use func([]string)) { use([]string{flyer}) }
	test.Tap(h.a.convo.team.promo)
	d := h.a.lastDialog
	form := d.handles.(*promoForm)
	if form.fileName.Text != "None" || form.removeFile.Visible() {
		t.Fatalf("a new promotion's file: %q", form.fileName.Text)
	}
	test.Type(form.title, "Spring kits")
	test.Type(form.text, "20% off every starter kit.")
	form.ends.SetText("2026-11-29 18:00")
	test.Tap(form.attach)
	if form.fileName.Text != "📎 Spring flyer.png" || !form.removeFile.Visible() {
		t.Fatalf("the picked file shows %q", form.fileName.Text)
	}
	test.Tap(d.confirm)
	h.drain()
	if d.open {
		t.Fatalf("promotion dialog still open: %q", h.dialogText())
	}
	return flyer
}

// TestPromoFile: a promotion posted with an image shares the image in the
// announcements first and shows it on its card, as an image message's
// row does; editing it can drop the file, and the card loses it.
func TestPromoFile(t *testing.T) {
	h, _ := fileHarness(t)
	f := h.f
	promoWithFile(t, h)
	if n := len(f.posts); n == 0 || f.posts[n-1] != "file:Spring flyer.png" {
		t.Fatalf("posted %v, want the flyer shared first", f.posts)
	}
	got := h.last()
	if !strings.Contains(got, "🏷 Spring kits") || !strings.Contains(got, "📎 Spring flyer.png") || !strings.Contains(got, "[image]") {
		t.Fatalf("the promotion shows\n%s", got)
	}
	f.mu.Lock()
	_, g, _ := f.group(h.a.community, h.a.group)
	msgs := slices.Clone(g.msgs)
	f.mu.Unlock()
	promo := msgs[len(msgs)-1]
	if promo.Promo == nil || promo.Promo.File == nil || promo.File == nil || promo.File.Root != msgs[len(msgs)-2].File.Root {
		t.Fatalf("the promotion's file %+v, want the shared message's", promo.Promo)
	}

	h.act(h.rowOf(promo.ID), "Edit promotion…")
	d := h.a.lastDialog
	form := d.handles.(*promoForm)
	if form.fileName.Text != "📎 Spring flyer.png" {
		t.Fatalf("the edit form's file: %q", form.fileName.Text)
	}
	test.Tap(form.removeFile)
	if form.fileName.Text != "None" {
		t.Fatalf("after Remove the file shows %q", form.fileName.Text)
	}
	test.Tap(d.confirm)
	h.drain()
	if got := h.last(); strings.Contains(got, "📎") || !strings.Contains(got, "🏷 Spring kits") {
		t.Fatalf("the promotion without its file shows\n%s", got)
	}
}

// TestGoldenPromoFile renders a promotion card showing its image, light
// and dark.
func TestGoldenPromoFile(t *testing.T) {
	for _, variant := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(variant.name, func(t *testing.T) {
			h, _ := fileHarness(t)
			promoWithFile(t, h)
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
			name := "promo_file_" + variant.name + ".png"
			img := h.w.Canvas().Capture()
			test.AssertImageMatches(t, name, img)
			writeScreenshot(t, name, img)
		})
	}
}
