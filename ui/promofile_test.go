package ui

import (
	"errors"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
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

// postedPromo posts the promotion of promoWithFile and returns its
// message.
func postedPromo(t *testing.T, h *harness) api.Message {
	t.Helper()
	promoWithFile(t, h)
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	_, g, _ := h.f.group(h.a.community, h.a.group)
	return g.msgs[len(g.msgs)-1]
}

// TestPromoFile: a promotion posted with an image shows the image on its
// card alone, as an image message's row does: no message shares it in the
// announcements, and the Files view lists it once, as a promotion's.
// Editing it can drop the file, and the card loses it.
func TestPromoFile(t *testing.T) {
	h, _ := fileHarness(t)
	f := h.f
	promoWithFile(t, h)
	if slices.ContainsFunc(f.posts, func(p string) bool { return strings.HasPrefix(p, "file:") }) {
		t.Fatalf("posted %v: the flyer was shared as a message", f.posts)
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
	if promo.Promo == nil || promo.Promo.File == nil || promo.File == nil {
		t.Fatalf("the promotion's file %+v", promo.Promo)
	}
	for _, m := range msgs {
		if m.File != nil && m.ID != promo.ID {
			t.Fatalf("a message %s shares %s besides the promotion", m.ID.Short(), m.File.Name)
		}
	}
	v := h.a.showFiles(h.a.community, crdt.ID{})
	if len(v.shown) != 1 || v.shown[0].Message != promo.ID || !strings.Contains(v.where(v.shown[0]), "in a promotion · by ") {
		t.Fatalf("the Files view lists %+v", v.shown)
	}
	v.d.hide()

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

// TestPromoFileProgress: posting a promotion with a file closes the form
// and shows the file's progress over the composer while the node stores
// it, with no time limit; the promotion posts once the file is stored.
func TestPromoFileProgress(t *testing.T) {
	h, _ := fileHarness(t)
	f := h.f
	var seen []string
	var formOpen []bool
	f.files.storing = func(size int64, progress func(api.FileProgress)) {
		formOpen = append(formOpen, h.a.lastDialog.open)
		seen = append(seen, strings.Join(h.a.convo.uploadTexts(), "|"))
		if progress != nil {
			progress(api.FileProgress{Have: size * 42 / 100, Size: size})
		}
		seen = append(seen, strings.Join(h.a.convo.uploadTexts(), "|"))
	}
	promoWithFile(t, h)
	size := formatSize(int64(len(testPNG(t, 400, 300, color.RGBA{200, 60, 120, 255}))))
	want := []string{"Sharing Spring flyer.png for “Spring kits” · " + size + " (encrypting)…", "Sharing Spring flyer.png for “Spring kits” · " + size + " · 42 %"}
	if !slices.Equal(seen, want) || !slices.Equal(formOpen, []bool{false}) {
		t.Fatalf("while the file was stored the form was open %v and the upload said %q, want %q", formOpen, seen, want)
	}
	if f.files.deadlines != 0 {
		t.Fatal("the file was stored under a time limit")
	}
	if n := len(h.a.convo.uploadNames()); n != 0 {
		t.Fatalf("%d uploads still shown", n)
	}
	if got := h.last(); !strings.Contains(got, "🏷 Spring kits") || !strings.Contains(got, "📎 Spring flyer.png") {
		t.Fatalf("the promotion shows\n%s", got)
	}
}

// TestPromoFileFails: when the file cannot be stored, or the promotion
// cannot be posted after it, the form opens again as it was and says
// why; posting it again posts it with its file.
func TestPromoFileFails(t *testing.T) {
	h, _ := fileHarness(t)
	f := h.f
	f.failNext("StoreFile", errors.New("the disk is full"))
	promoForm := func() *dlg {
		t.Helper()
		d := h.a.lastDialog
		if !d.open || d.title != "New promotion" {
			t.Fatalf("after a failure the dialog is %q (open %v)", d.title, d.open)
		}
		if form := d.handles.(*promoForm); form.title.Text != "Spring kits" || form.fileName.Text != "📎 Spring flyer.png" {
			t.Fatalf("the form came back with %q and %q", form.title.Text, form.fileName.Text)
		}
		return d
	}
	failedPromo(t, h)
	d := promoForm()
	if want := "The promotion was not posted: The disk is full"; d.errLabel.Text != want {
		t.Fatalf("error %q, want %q", d.errLabel.Text, want)
	}
	if n := len(h.a.convo.uploadNames()); n != 0 {
		t.Fatalf("%d uploads still shown", n)
	}

	f.failNext("CreatePromo", errors.New("the database is locked"))
	test.Tap(d.confirm)
	h.drain()
	d = promoForm()
	if want := "The promotion was not posted: The database is locked"; d.errLabel.Text != want {
		t.Fatalf("error %q, want %q", d.errLabel.Text, want)
	}
	test.Tap(d.confirm)
	h.drain()
	if d.open {
		t.Fatalf("the form is still open: %q", d.errLabel.Text)
	}
	// A promotion without text still shows its card over its file.
	if got := h.last(); !strings.Contains(got, "🏷 Spring kits") || !strings.Contains(got, "📎 Spring flyer.png") {
		t.Fatalf("the promotion shows\n%s", got)
	}
}

// TestPromoFileCancel: Cancel on a promotion's file being stored stops
// it: nothing is posted, the conversation stays as it was, and the form
// opens again as it was, saying so.
func TestPromoFileCancel(t *testing.T) {
	h, _ := fileHarness(t)
	f := h.f
	f.files.storing = func(size int64, progress func(api.FileProgress)) {
		if bs := h.a.convo.uploadCancels; len(bs) == 1 {
			test.Tap(bs[0])
		}
	}
	failedPromo(t, h)
	d := h.a.lastDialog
	if !d.open || d.title != "New promotion" || d.errLabel.Text != "You cancelled sharing Spring flyer.png: nothing was posted." {
		t.Fatalf("after Cancel the dialog is %q (open %v): %q", d.title, d.open, d.errLabel.Text)
	}
	if n := f.calls["CreatePromo"]; n != 0 {
		t.Fatalf("CreatePromo went on %d times after Cancel", n)
	}
	if n := len(h.a.convo.uploadNames()); n != 0 || h.a.convo.win.total != 0 {
		t.Fatalf("after Cancel %d uploads show and %d rows", n, h.a.convo.win.total)
	}
}

// failedPromo posts the promotion of promoWithFile when posting fails.
func failedPromo(t *testing.T, h *harness) {
	t.Helper()
	h.community("Glow Team", "admin", 4, "General")
	h.open("Announcements")
	flyer := filepath.Join(t.TempDir(), "Spring flyer.png")
	if err := os.WriteFile(flyer, testPNG(t, 400, 300, color.RGBA{200, 60, 120, 255}), 0o600); err != nil {
		t.Fatal(err)
	}
	h.a.files.pickFiles = func(use func([]string)) { use([]string{flyer}) }
	test.Tap(h.a.convo.team.promo)
	form := h.a.lastDialog.handles.(*promoForm)
	test.Type(form.title, "Spring kits")
	form.ends.SetText("2026-11-29 18:00")
	test.Tap(form.attach)
	test.Tap(h.a.lastDialog.confirm)
	h.drain()
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
			// The Files view lists the flyer once, as the promotion's.
			h.a.showFiles(h.a.community, crdt.ID{})
			h.drain()
			test.AssertImageMatches(t, "promo_file_files_"+variant.name+".png", h.w.Canvas().Capture())
		})
	}
}

// rowTexts lists the labels and buttons of the Files view's rows.
func rowTexts(o fyne.CanvasObject) []string {
	switch w := o.(type) {
	case *widget.Label:
		return []string{w.Text}
	case *widget.Button:
		return []string{"[" + w.Text + "]"}
	case *fyne.Container:
		var out []string
		for _, c := range w.Objects {
			out = append(out, rowTexts(c)...)
		}
		return out
	}
	return nil
}

// TestPromoFileEnded: once a promotion has ended, members no longer serve
// its file to each other, so the Files view offers no Download for it but
// says why; a copy already here still opens.
func TestPromoFileEnded(t *testing.T) {
	h, _ := fileHarness(t)
	f := h.f
	promo := postedPromo(t, h)
	ends := promo.Promo.Ends
	texts := func(at time.Time, have int64) []string {
		h.a.now = func() time.Time { return at }
		f.mu.Lock()
		f.files.byMsg[promo.ID].have = have
		f.mu.Unlock()
		v := h.a.showFiles(h.a.community, crdt.ID{})
		defer v.d.hide()
		return rowTexts(v.rows)
	}
	if got := texts(ends.Add(-time.Minute), 0); !slices.Contains(got, "[Download]") || slices.Contains(got, "Promotion ended") {
		t.Fatalf("a running promotion's file: %v", got)
	}
	if got := texts(ends, 0); slices.Contains(got, "[Download]") || !slices.Contains(got, "Promotion ended") {
		t.Fatalf("an ended promotion's file: %v", got)
	}
	if got := texts(ends, 10); slices.Contains(got, "[Resume]") || !slices.Contains(got, "Promotion ended") {
		t.Fatalf("an ended promotion's file partly here: %v", got)
	}
	if got := texts(ends.Add(time.Hour), promo.File.Size); !slices.Contains(got, "[Open]") || slices.Contains(got, "Promotion ended") {
		t.Fatalf("an ended promotion's file held here: %v", got)
	}
}

// TestPromoCardEnded: the promotion's card offers no Download of its file
// once the promotion has ended, as the Files view does, and says why; it
// changes on the next tick while the card is in view, with no reload. A
// copy partly here can only be thrown away; a copy here still opens.
func TestPromoCardEnded(t *testing.T) {
	h, _ := fileHarness(t)
	f := h.f
	promo := postedPromo(t, h)
	f.mu.Lock()
	f.clock = promo.Promo.Ends.Add(-time.Minute)
	f.mu.Unlock()
	// shows the card as a member sees it with have bytes of the file here.
	shows := func(have int64) string {
		f.mu.Lock()
		f.files.byMsg[promo.ID].have = have
		f.mu.Unlock()
		delete(h.a.files.byMsg, promo.ID)
		h.a.convo.reload()
		h.drain()
		return h.fileRow(promo.ID).summary()
	}
	if got := shows(0); !strings.Contains(got, "[Download]") || strings.Contains(got, "Promotion ended") {
		t.Fatalf("a running promotion's card: %s", got)
	}
	f.mu.Lock()
	f.clock = promo.Promo.Ends
	f.mu.Unlock()
	h.a.refreshStatus() // the app's tick
	got := h.fileRow(promo.ID).summary()
	if strings.Contains(got, "[Download]") || !strings.Contains(got, "Promotion ended") || !strings.Contains(got, "ended ") {
		t.Fatalf("on the tick after it ended the card shows: %s", got)
	}
	fetched := f.calls["GetFile"]
	h.a.convo.fileAction(h.rowOf(promo.ID), "Download") // a tap on a row bound before
	if n := f.calls["GetFile"] - fetched; n != 0 || h.a.files.byMsg[promo.ID].state != fileRemote {
		t.Fatalf("an ended promotion's file was fetched %d times", n)
	}
	if got := shows(10); !strings.Contains(got, "Promotion ended") || !strings.Contains(got, "[Cancel]") || strings.Contains(got, "[Resume]") {
		t.Fatalf("an ended promotion's file partly here: %s", got)
	}
	if got := shows(promo.File.Size); !strings.Contains(got, "[Open] [Save as…]") || strings.Contains(got, "Promotion ended") {
		t.Fatalf("an ended promotion's file held here: %s", got)
	}
}

// TestPromoCardOrder: a promotion's card reads as messengers show one:
// its title, then its image (at most fileMaxW by fileMaxImgH, its aspect
// kept), then its text and dates, then the file's name and buttons.
func TestPromoCardOrder(t *testing.T) {
	h, _ := fileHarness(t)
	promoWithFile(t, h)
	r := h.row(h.a.convo.win.total - 1)
	if !r.splitsFile() {
		t.Fatalf("the card does not show its title over its image: %s", r.summary())
	}
	want := "🏷 Spring kits | [image] | 20% off every starter kit.\nuntil Sun Nov 29, 18:00 | 📎 Spring flyer.png"
	if got := r.summary(); !strings.Contains(got, want) {
		t.Fatalf("the card reads\n%q\nwant it to contain\n%q", got, want)
	}
	img := r.fileImg.img
	title, pic, body, file := r.title.Position().Y, r.fileImg.Position().Y, r.body.Position().Y, r.file.Position().Y
	if !(title+r.title.MinSize().Height/2 < pic && pic+img.Size().Height <= body+theme.InnerPadding() && body < file) {
		t.Fatalf("top to bottom: title at %v, image at %v (%v high), text at %v, file at %v", title, pic, img.Size().Height, body, file)
	}
	s := img.Size()
	if s.Width > fileMaxW || s.Height > fileMaxImgH || s.Width/s.Height < 400.0/300*0.98 || s.Width/s.Height > 400.0/300*1.02 {
		t.Fatalf("the 400x300 image shows at %v", s)
	}
	if r.file.hasImage() || !strings.Contains(r.file.summary(), "[Open]") {
		t.Fatalf("the file under the text: image %v, %s", r.file.hasImage(), r.file.summary())
	}
}
