package ui

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// fileHarness is a harness whose downloads go to a temporary folder and
// whose Open records the path instead of starting an app.
func fileHarness(t *testing.T) (*harness, *[]string) {
	t.Helper()
	f := newFake()
	h := newHarness(t, f)
	h.a.files.dir = t.TempDir()
	var opened []string
	h.a.files.openPath = func(p string) error { opened = append(opened, p); return nil }
	h.a.files.pickFiles = func(func([]string)) { t.Fatal("a real file dialog was opened") }
	h.a.files.pickSave = func(string, func(string)) { t.Fatal("a real save dialog was opened") }
	return h, &opened
}

// rowOf is the index of message id in the open group.
func (h *harness) rowOf(id crdt.ID) int {
	h.t.Helper()
	for i := h.a.convo.win.total - 1; i >= 0; i-- {
		if m, ok := h.a.convo.message(i); ok && m.ID == id {
			return i
		}
	}
	h.t.Fatalf("message %s not in the open group", id.Short())
	return -1
}

// fileRow is the row of file message id, in view.
func (h *harness) fileRow(id crdt.ID) *msgRow {
	h.t.Helper()
	r := h.row(h.rowOf(id))
	if r.file == nil || r.d.file == nil {
		h.t.Fatalf("row of %s shows no file: %s", id.Short(), r.summary())
	}
	return r
}

// tapFile taps the file button labelled label of message id.
func (h *harness) tapFile(id crdt.ID, label string) {
	h.t.Helper()
	r := h.fileRow(id)
	b := r.file.buttons[label]
	if !slices.Contains(r.file.shown, b) {
		h.t.Fatalf("no %q button on %s", label, r.summary())
	}
	test.Tap(b)
	h.drain()
}

func testPNG(t testing.TB, w, hgt int, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, hgt))
	for y := range hgt {
		for x := range w {
			cc := c
			if (x/20+y/20)%2 == 0 {
				cc = color.RGBA{250, 250, 250, 255}
			}
			img.Set(x, y, cc)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestProgressGate: a download reporting every chunk reaches the screen
// at most once per progressEvery, its end always, and nothing after it
// stopped.
func TestProgressGate(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var shown []api.FileProgress
	g := &progressGate{now: func() time.Time { return now }, every: progressEvery, show: func(p api.FileProgress) { shown = append(shown, p) }}
	const size = 1000 * 64 << 10
	for i := int64(1); i <= 1000; i++ { // 10 s of chunks every 10 ms
		now = now.Add(10 * time.Millisecond)
		g.report(api.FileProgress{Have: i * 64 << 10, Size: size})
	}
	if n := len(shown); n > 41 || n < 30 {
		t.Fatalf("%d updates shown for 10 s of 1,000 chunks, want one per %v", n, progressEvery)
	}
	if last := shown[len(shown)-1]; last.Have != size {
		t.Fatalf("the last update shown is %d of %d bytes", last.Have, size)
	}
	g.stop()
	g.report(api.FileProgress{Have: 1, Size: size})
	if n := len(shown); shown[n-1].Have != size {
		t.Fatal("an update was shown after the download stopped")
	}
}

// TestDownloadFile: a file message shows its name, size and type with
// Download; tapping it downloads with a bar, speed and time left, shown a
// few times a second rather than per chunk; then Open opens the copy
// with the system's app and Save as… writes it where the member chose.
func TestDownloadFile(t *testing.T) {
	h, opened := fileHarness(t)
	f := h.f
	c := h.community("Glow Team", "member", 4, "General")
	data := bytes.Repeat([]byte("price list "), 400_000) // 4.2 MiB, 68 chunks
	id := f.deliverFile(c.ID, h.a.group, "Ben", "Price list 2027.pdf", "application/pdf", data, "The new prices")
	h.drain()
	if got, want := h.fileRow(id).summary(), "📎 Price list 2027.pdf 4.2 MiB · PDF document [Download] | The new prices"; !strings.Contains(got, want) {
		t.Fatalf("file row:\n%s\nwant it to show\n%s", got, want)
	}
	var mid string
	f.files.onChunk = func(_ crdt.ID, have int64) {
		if have == 32*64<<10 {
			mid = h.fileRow(id).summary()
		}
	}
	h.tapFile(id, "Download")
	// 32 chunks of 64 KiB in 320 ms: 6.2 MiB/s, 2.2 MiB left.
	if want := "2 MiB of 4.2 MiB · 6.2 MiB/s · 0 s left"; !strings.Contains(mid, "of 4.2 MiB ·") || !strings.Contains(mid, "MiB/s") || !strings.Contains(mid, "[Pause] [Cancel]") {
		t.Fatalf("halfway the row shows\n%s\nwant something like %q with Pause and Cancel", mid, want)
	}
	if n := h.a.files.updates; n < 2 || n > 5 {
		t.Fatalf("%d progress updates shown for 68 chunks in 680 ms, want about one per %v", n, progressEvery)
	}
	if got := h.fileRow(id).summary(); !strings.Contains(got, "4.2 MiB · PDF document [Open] [Save as…]") {
		t.Fatalf("downloaded, the row shows %s", got)
	}
	h.tapFile(id, "Open")
	if len(*opened) != 1 {
		t.Fatalf("Open opened %v", *opened)
	}
	if b, err := os.ReadFile((*opened)[0]); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("the opened file holds %d bytes (%v), want the %d downloaded", len(b), err, len(data))
	}
	// With no program to open files (no xdg-open), Open says what to
	// install and that Save as… still works, not exec's own words.
	opener := h.a.files.openPath
	h.a.files.openPath = func(string) error { return &exec.Error{Name: "xdg-open", Err: exec.ErrNotFound} }
	h.tapFile(id, "Open")
	if got := h.dialogText(); !strings.Contains(got, "xdg-utils") || !strings.Contains(got, "Save as") || strings.Contains(got, "$PATH") {
		t.Fatalf("Open with no opener says %q", got)
	}
	h.a.lastDialog.hide()
	h.a.files.openPath = opener
	out := filepath.Join(t.TempDir(), "prices.pdf")
	h.a.files.pickSave = func(name string, use func(string)) {
		if name != "Price list 2027.pdf" {
			t.Errorf("Save as… proposes %q", name)
		}
		use(out)
	}
	h.tapFile(id, "Save as…")
	if b, err := os.ReadFile(out); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("saved %d bytes (%v)", len(b), err)
	}
}

// TestPauseResumeCancel: Pause keeps what came and Resume goes on from
// there; Cancel frees it; a download with no source says so with Retry.
func TestPauseResumeCancel(t *testing.T) {
	h, _ := fileHarness(t)
	f := h.f
	c := h.community("Glow Team", "member", 4, "General")
	data := bytes.Repeat([]byte{7}, 20*64<<10)
	id := f.deliverFile(c.ID, h.a.group, "Ben", "Training.mp4", "video/mp4", data, "")
	h.drain()
	pauseAt := int64(5 * 64 << 10)
	f.files.onChunk = func(_ crdt.ID, have int64) {
		if have == pauseAt {
			test.Tap(h.fileRow(id).file.buttons["Pause"])
		}
	}
	h.tapFile(id, "Download")
	if got := h.fileRow(id).summary(); !strings.Contains(got, "Paused · 320 KiB of 1.2 MiB [25%] [Resume] [Cancel]") {
		t.Fatalf("paused, the row shows %s", got)
	}
	pauseAt = -1
	h.tapFile(id, "Resume")
	if got := h.fileRow(id).summary(); !strings.Contains(got, "[Open]") {
		t.Fatalf("resumed, the row shows %s", got)
	}
	f.mu.Lock()
	have := f.files.byMsg[id].have
	f.mu.Unlock()
	if have != int64(len(data)) {
		t.Fatalf("%d bytes here after resuming", have)
	}

	// Cancel while downloading frees what came.
	id2 := f.deliverFile(c.ID, h.a.group, "Ben", "Kit.zip", "application/zip", data, "")
	h.drain()
	f.files.onChunk = func(msg crdt.ID, have int64) {
		if msg == id2 && have == 3*64<<10 {
			test.Tap(h.fileRow(id2).file.buttons["Cancel"])
		}
	}
	h.tapFile(id2, "Download")
	h.drain()
	if got := h.fileRow(id2).summary(); !strings.Contains(got, "[Download]") || strings.Contains(got, "Paused") {
		t.Fatalf("cancelled, the row shows %s", got)
	}
	f.mu.Lock()
	have, deleted := f.files.byMsg[id2].have, f.calls["DeleteLocalFile"]
	f.mu.Unlock()
	if have != 0 || deleted != 1 {
		t.Fatalf("cancelled: %d bytes kept, DeleteLocalFile called %d times", have, deleted)
	}

	// Nobody online who has it: said, with Retry.
	f.files.onChunk = nil
	f.files.noSource = true
	h.tapFile(id2, "Download")
	if got := h.fileRow(id2).summary(); !strings.Contains(got, "Not downloaded: No one who has this file is online") || !strings.Contains(got, "[Retry]") {
		t.Fatalf("without a source, the row shows %s", got)
	}
	f.files.noSource = false
	h.tapFile(id2, "Retry")
	if got := h.fileRow(id2).summary(); !strings.Contains(got, "[Open]") {
		t.Fatalf("after Retry, the row shows %s", got)
	}
}

// TestAutoDownloadImages: others' images up to the chosen size download
// by themselves and show inline; a larger image, a document and your own
// image wait for a tap; "Never" downloads none.
func TestAutoDownloadImages(t *testing.T) {
	h, _ := fileHarness(t)
	f := h.f
	c := h.community("Glow Team", "member", 4, "General")
	h.a.files.setAutoDownload(1 << 20)
	small := testPNG(t, 300, 200, color.RGBA{200, 40, 40, 255})
	big := append(testPNG(t, 300, 200, color.RGBA{40, 40, 200, 255}), make([]byte, 2<<20)...)
	photo := f.deliverFile(c.ID, h.a.group, "Ben", "team.png", "image/png", small, "")
	large := f.deliverFile(c.ID, h.a.group, "Chloe", "poster.png", "image/png", big, "")
	doc := f.deliverFile(c.ID, h.a.group, "Dev", "notes.pdf", "application/pdf", []byte("%PDF-1.7"), "")
	h.drain()
	if got := h.fileRow(photo).summary(); !strings.Contains(got, "[image]") || !strings.Contains(got, "[Open]") {
		t.Fatalf("a small image did not download by itself: %s", got)
	}
	if h.fileRow(photo).file.img.Image != h.a.files.byMsg[photo].preview || h.a.files.byMsg[photo].preview == nil {
		t.Fatal("the downloaded image is not shown inline")
	}
	if got := h.fileRow(large).summary(); !strings.Contains(got, "[Download]") {
		t.Fatalf("a 2 MiB image downloaded by itself with a 1 MiB limit: %s", got)
	}
	if got := h.fileRow(doc).summary(); !strings.Contains(got, "[Download]") {
		t.Fatalf("a document downloaded by itself: %s", got)
	}
	h.a.files.setAutoDownload(0)
	never := f.deliverFile(c.ID, h.a.group, "Ben", "second.png", "image/png", small, "")
	h.drain()
	if got := h.fileRow(never).summary(); !strings.Contains(got, "[Download]") {
		t.Fatalf("an image downloaded by itself with auto-download off: %s", got)
	}
}

// TestShareFile: Attach and dropping files on the window ask for a caption
// and share them; the message shows the file at once; where the member
// may not write, a drop says so.
func TestShareFile(t *testing.T) {
	h, _ := fileHarness(t)
	f := h.f
	h.community("Glow Team", "member", 4, "General")
	dir := t.TempDir()
	photo := filepath.Join(dir, "Team day.png")
	os.WriteFile(photo, testPNG(t, 400, 300, color.RGBA{30, 160, 90, 255}), 0o600)
	slides := filepath.Join(dir, "Comp plan.pdf")
	os.WriteFile(slides, []byte("%PDF-1.7 slides"), 0o600)

	h.a.files.pickFiles = func(use func([]string)) { use([]string{photo}) }
	test.Tap(h.a.convo.attachBtn)
	d := h.a.lastDialog
	if d.title != "Share a file in General" || !strings.Contains(h.dialogText(), "Team day.png") {
		t.Fatalf("Attach shows %q: %s", d.title, h.dialogText())
	}
	test.Type(d.createEntry, "Our team day")
	test.Tap(d.confirm)
	h.drain()
	if f.posts[len(f.posts)-1] != "file:Team day.png" {
		t.Fatalf("posted %v", f.posts)
	}
	if got := h.last(); !strings.Contains(got, "📎 Team day.png") || !strings.Contains(got, "[image]") || !strings.Contains(got, "Our team day") {
		t.Fatalf("the shared image shows %s", got)
	}
	if n := len(h.a.convo.uploadNames()); n != 0 {
		t.Fatalf("%d uploads still shown", n)
	}

	// While the node encrypts and stores a file, its row shows how far.
	var seen []string
	f.files.storing = func(size int64, progress func(api.FileProgress)) {
		seen = append(seen, strings.Join(h.a.convo.uploadTexts(), "|"))
		progress(api.FileProgress{Have: size * 42 / 100, Size: size})
		seen = append(seen, strings.Join(h.a.convo.uploadTexts(), "|"))
	}
	h.a.files.pickFiles = func(use func([]string)) { use([]string{slides}) }
	test.Tap(h.a.convo.attachBtn)
	test.Tap(h.a.lastDialog.confirm)
	h.drain()
	f.files.storing = nil
	if want := []string{"Sharing Comp plan.pdf · 15 bytes (encrypting)…", "Sharing Comp plan.pdf · 15 bytes · 40 %"}; !slices.Equal(seen, want) {
		t.Fatalf("the upload's row said %q, want %q", seen, want)
	}
	if n := len(h.a.convo.uploadNames()); n != 0 {
		t.Fatalf("%d uploads still shown", n)
	}

	h.a.convo.dropped([]fyne.URI{storage.NewFileURI(slides), storage.NewFileURI(photo)})
	if d := h.a.lastDialog; d.title != "Share files in General" {
		t.Fatalf("a drop shows %q", d.title)
	}
	test.Tap(h.a.lastDialog.confirm)
	h.drain()
	if got := f.posts[len(f.posts)-2:]; !slices.Equal(got, []string{"file:Comp plan.pdf", "file:Team day.png"}) {
		t.Fatalf("a drop of two files posted %v", got)
	}

	// Files copied in a file manager paste as their addresses.
	cb := fyne.CurrentApp().Clipboard()
	cb.SetContent("file://" + filepath.ToSlash(slides) + "\n")
	h.a.convo.composer.TypedShortcut(&fyne.ShortcutPaste{Clipboard: cb})
	if d := h.a.lastDialog; d.title != "Share a file in General" || !strings.Contains(h.dialogText(), "Comp plan.pdf") {
		t.Fatalf("pasting a copied file shows %q: %s", d.title, h.dialogText())
	}
	h.a.lastDialog.hide()
	cb.SetContent("see " + slides)
	h.a.convo.composer.TypedShortcut(&fyne.ShortcutPaste{Clipboard: cb})
	if got := h.a.convo.composer.Text; got != "see "+slides {
		t.Fatalf("pasting text put %q in the composer", got)
	}

	h.open("Announcements")
	h.a.convo.dropped([]fyne.URI{storage.NewFileURI(slides)})
	if d := h.a.lastDialog; d.title != "Files cannot be shared here" {
		t.Fatalf("a drop on announcements a member cannot write in shows %q", d.title)
	}
}

// TestImageViewer: tapping an image opens it large, downloading it; the
// arrow keys move between the group's images, oldest to newest, and stop
// at either end.
func TestImageViewer(t *testing.T) {
	h, _ := fileHarness(t)
	f := h.f
	c := h.community("Glow Team", "member", 4, "General")
	h.a.files.setAutoDownload(0) // the viewer downloads what it shows
	var ids []crdt.ID
	for i, name := range []string{"one.png", "two.png", "three.png"} {
		ids = append(ids, f.deliverFile(c.ID, h.a.group, "Ben", name, "image/png", testPNG(t, 200, 150, color.RGBA{uint8(60 * i), 90, 160, 255}), ""))
		f.deliverFile(c.ID, h.a.group, "Ben", "notes"+name+".pdf", "application/pdf", []byte("%PDF"), "")
	}
	h.drain()
	test.Tap(h.fileRow(ids[1]).file)
	v := h.a.viewer
	if v == nil || v.name() != "two.png" {
		t.Fatalf("tapping two.png opened %+v", v)
	}
	if tr := h.a.files.byMsg[ids[1]]; tr.state != fileDone || tr.preview == nil || v.img.Image != tr.preview {
		t.Fatalf("the viewer shows %v, not the downloaded picture (state %v)", v.img.Image, tr.state)
	}
	key := func(k fyne.KeyName) { h.w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: k}) }
	key(fyne.KeyLeft)
	if v.name() != "one.png" || v.count.Text != "1 of 3" {
		t.Fatalf("Left shows %s (%s)", v.name(), v.count.Text)
	}
	key(fyne.KeyLeft)
	key(fyne.KeyRight)
	key(fyne.KeyRight)
	key(fyne.KeyRight)
	if v.name() != "three.png" || v.count.Text != "3 of 3" {
		t.Fatalf("Right Right Right from the first shows %s", v.name())
	}
	key(fyne.KeyEscape)
	if h.a.viewer != nil {
		t.Fatal("Escape did not close the viewer")
	}
}

// TestFilesView: a community's Files view lists every file newest first
// with where and by whom it was posted, filters by type and searches by
// name; a group's lists its own.
func TestFilesView(t *testing.T) {
	h, _ := fileHarness(t)
	f := h.f
	c := h.community("Glow Team", "member", 4, "General")
	general := h.a.group
	questions := h.a.groups[2].ID
	f.deliverFile(c.ID, general, "Olivia", "Price list.pdf", "application/pdf", []byte("%PDF"), "")
	f.deliverFile(c.ID, questions, "Ben", "Launch.mp4", "video/mp4", []byte("....ftyp"), "")
	f.deliverFile(c.ID, general, "Chloe", "Team day.png", "image/png", testPNG(t, 20, 20, color.Black), "")
	h.drain()
	v := h.a.showFiles(c.ID, crdt.ID{})
	names := func() []string {
		var out []string
		for _, e := range v.shown {
			out = append(out, e.Name)
		}
		return out
	}
	if got := names(); !slices.Equal(got, []string{"Team day.png", "Launch.mp4", "Price list.pdf"}) {
		t.Fatalf("the community's files: %v", got)
	}
	if got := v.where(v.shown[1]); !strings.Contains(got, "in Product questions · by Ben") {
		t.Fatalf("where: %q", got)
	}
	v.filter.SetSelected("Videos")
	if got := names(); !slices.Equal(got, []string{"Launch.mp4"}) {
		t.Fatalf("videos: %v", got)
	}
	v.filter.SetSelected("All files")
	test.Type(v.search, "price")
	if got := names(); !slices.Equal(got, []string{"Price list.pdf"}) {
		t.Fatalf("search for price: %v", got)
	}
	v.d.hide()
	g := h.a.showFiles(c.ID, questions)
	if len(g.shown) != 1 || g.shown[0].Name != "Launch.mp4" || g.d.title != "Files in Product questions" {
		t.Fatalf("the group's files: %+v", g.shown)
	}
}

// TestStorage: Storage shows each community's files on this computer and
// deletes them on request; it keeps the auto-download size.
func TestStorage(t *testing.T) {
	h, _ := fileHarness(t)
	f := h.f
	c := h.community("Glow Team", "member", 4, "General")
	id := f.deliverFile(c.ID, h.a.group, "Ben", "Kit.zip", "application/zip", make([]byte, 3_000_000), "")
	h.drain()
	h.tapFile(id, "Download")
	d := h.a.showStorage()
	sv := d.handles.(*storageView)
	if !slices.Contains(sv.texts, "Glow Team: 2.9 MiB in 1 file") {
		t.Fatalf("storage shows %v", sv.texts)
	}
	sv.auto.SetSelected("25 MiB")
	if got := h.a.files.autoDownload(); got != 25<<20 {
		t.Fatalf("auto-download size %d after choosing 25 MiB", got)
	}
	test.Tap(sv.free[c.ID])
	h.confirm(h.a.lastDialog)
	h.drain()
	sv = h.a.lastDialog.handles.(*storageView)
	if !slices.Contains(sv.texts, "Glow Team: no files on this computer") {
		t.Fatalf("after deleting, storage shows %v", sv.texts)
	}
	if got := h.fileRow(id).summary(); !strings.Contains(got, "[Download]") {
		t.Fatalf("after deleting, the row shows %s", got)
	}
}

// fileConversation fills General with files in each state, for the
// golden images.
func fileConversation(t *testing.T, h *harness) {
	f := h.f
	c := h.community("Glow Team", "owner", 12, "General")
	gid := h.a.group
	f.deliver(c.ID, gid, "Olivia", "Here is everything for the spring launch 👇", true)
	f.deliverFile(c.ID, gid, "Chloe", "Spring launch.png", "image/png", testPNG(t, 480, 300, color.RGBA{220, 120, 60, 255}), "Our new poster")
	f.deliverFile(c.ID, gid, "Ben", "Price list 2027.pdf", "application/pdf", bytes.Repeat([]byte("%"), 2_400_000), "")
	video := f.deliverFile(c.ID, gid, "Dev", "Product training.mp4", "video/mp4", bytes.Repeat([]byte{1}, 40*64<<10), "The 10-minute training")
	h.drain()
	f.files.onChunk = func(_ crdt.ID, have int64) {
		if have == 16*64<<10 {
			test.Tap(h.fileRow(video).file.buttons["Pause"])
		}
	}
	h.tapFile(video, "Download")
	f.files.onChunk = nil
	h.drain()
	h.a.convo.list.scrollToBottom()
}

// TestGoldenFiles renders file messages in their states (an image shown
// inline, a document to download, a paused video) and the community's
// Files view, light and dark.
func TestGoldenFiles(t *testing.T) {
	for _, variant := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(variant.name, func(t *testing.T) {
			h, _ := fileHarness(t)
			fileConversation(t, h)
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
			for _, name := range []string{"files_conversation", "files_view"} {
				if name == "files_view" {
					h.a.showFiles(h.a.community, crdt.ID{})
				}
				img := h.w.Canvas().Capture()
				test.AssertImageMatches(t, name+"_"+variant.name+".png", img)
				writeScreenshot(t, name+"_"+variant.name+".png", img)
			}
		})
	}
}

// TestFileInPinAndReply: a pinned file and a reply to one name the file.
func TestFileInPinAndReply(t *testing.T) {
	h, _ := fileHarness(t)
	f := h.f
	c := h.community("Glow Team", "owner", 4, "General")
	id := f.deliverFile(c.ID, h.a.group, "Ben", "Starter kit.pdf", "application/pdf", []byte("%PDF"), "")
	f.Pin(t.Context(), c.ID, h.a.group, id, true)
	h.drain()
	if got := h.a.convo.pinText.Text; got != "📎 Starter kit.pdf" {
		t.Fatalf("the pin bar shows %q", got)
	}
	h.act(h.rowOf(id), "Reply")
	if got := richString(h.a.convo.contextLabel); !strings.Contains(got, "Replying to Ben: 📎 Starter kit.pdf") {
		t.Fatalf("the reply bar shows %q", got)
	}
}

// TestTransfersPanel: Transfers lists the paused and failed downloads of
// every group with their buttons, and follows them as they end.
func TestTransfersPanel(t *testing.T) {
	h, _ := fileHarness(t)
	f := h.f
	c := h.community("Glow Team", "member", 4, "General")
	data := bytes.Repeat([]byte{3}, 10*64<<10)
	video := f.deliverFile(c.ID, h.a.group, "Ben", "Training.mp4", "video/mp4", data, "")
	kit := f.deliverFile(c.ID, h.a.group, "Dev", "Kit.zip", "application/zip", data, "")
	h.drain()
	f.files.onChunk = func(msg crdt.ID, have int64) {
		if msg == video && have == 4*64<<10 {
			test.Tap(h.fileRow(video).file.buttons["Pause"])
		}
	}
	h.tapFile(video, "Download")
	f.files.onChunk = nil
	f.files.noSource = true
	h.tapFile(kit, "Download")
	f.files.noSource = false

	v := h.a.showTransfers()
	want := []string{
		"Kit.zip · General · Not downloaded: No one who has this file is online right now. It downloads when one of them is; try again…",
		"Training.mp4 · General · Paused · 256 KiB of 640 KiB",
	}
	if !slices.Equal(v.rows, want) {
		t.Fatalf("Transfers lists\n%q\nwant\n%q", v.rows, want)
	}
	// Both rows show whole, not a scroll one line tall.
	if got, need := v.scroll.Size().Height, v.box.MinSize().Height; got < need {
		t.Fatalf("the Transfers list is %.0f px tall, its rows need %.0f", got, need)
	}
	test.Tap(v.buttons["Training.mp4/Resume"])
	h.drain()
	if len(v.rows) != 1 || !strings.HasPrefix(v.rows[0], "Kit.zip") {
		t.Fatalf("after Resume, Transfers lists %q", v.rows)
	}
	if got := h.fileRow(video).summary(); !strings.Contains(got, "[Open]") {
		t.Fatalf("resumed from Transfers, the row shows %s", got)
	}
	test.Tap(v.buttons["Kit.zip/Retry"])
	h.drain()
	if len(v.rows) != 0 || !strings.Contains(labelsText(v.box), "No downloads running") {
		t.Fatalf("after Retry, Transfers lists %q", v.rows)
	}
}

// TestRelayPushOnRow: the row of a file the member shared shows how its
// push to the community's relays goes, refreshed while it runs: "on
// relay: 40 %", then "on relay"; a relay's refusal shows with its reason.
func TestRelayPushOnRow(t *testing.T) {
	h, _ := fileHarness(t)
	f := h.f
	h.community("Glow Team", "member", 4, "General")
	slides := filepath.Join(t.TempDir(), "Comp plan.pdf")
	os.WriteFile(slides, []byte("%PDF-1.7 slides"), 0o600)
	share := func() crdt.ID {
		h.a.files.pickFiles = func(use func([]string)) { use([]string{slides}) }
		test.Tap(h.a.convo.attachBtn)
		test.Tap(h.a.lastDialog.confirm)
		h.drain()
		m, _ := h.a.convo.message(h.a.convo.win.total - 1)
		return m.ID
	}
	setRelay := func(id crdt.ID, p api.RelayPush) {
		f.mu.Lock()
		if f.files.relay == nil {
			f.files.relay = map[crdt.ID]*api.RelayPush{}
		}
		f.files.relay[id] = &p
		f.mu.Unlock()
	}
	refresh := func() {
		h.a.files.refreshRelays()
		h.drain()
	}
	id := share()
	if got := h.fileRow(id).summary(); strings.Contains(got, "relay") {
		t.Fatalf("before its push started the row shows %s", got)
	}
	// The push starts after the message is posted: the row asks again.
	setRelay(id, api.RelayPush{Relays: 1, Pending: 1, Percent: 40})
	refresh()
	if got := h.fileRow(id).summary(); !strings.Contains(got, "15 bytes · PDF document · on relay: 40 % [Open]") {
		t.Fatalf("halfway the row shows %s", got)
	}
	setRelay(id, api.RelayPush{Relays: 1, Held: 1})
	refresh()
	if got := h.fileRow(id).summary(); !strings.Contains(got, "PDF document · on relay [Open]") {
		t.Fatalf("pushed, the row shows %s", got)
	}

	id2 := share()
	setRelay(id2, api.RelayPush{Relays: 1, Refused: "quota: the community's share is full"})
	refresh()
	if got := h.fileRow(id2).summary(); !strings.Contains(got, "relay refused it: quota: the community's share is full") {
		t.Fatalf("refused, the row shows %s", got)
	}
	// A relay's long refusal is cut to the card, not drawn past it.
	id3 := share()
	long := "relay quota reached: the file takes 1100335704 bytes and community ecd075d1 holds 518197757 of its share of 600000000 bytes"
	setRelay(id3, api.RelayPush{Relays: 1, Refused: long})
	refresh()
	fv := h.fileRow(id3).file
	fv.layout(fileMaxW, true)
	if end, card := fv.info.Position().X+fv.info.MinSize().Width, fv.bg.Size().Width; end > card {
		t.Fatalf("the status %q ends at %.0f, past the card's %.0f", fv.info.Text, end, card)
	}
	// Ended pushes are not asked again.
	setRelay(id, api.RelayPush{Relays: 1, Pending: 1, Percent: 1})
	refresh()
	if got := h.fileRow(id).summary(); !strings.Contains(got, "· on relay [Open]") {
		t.Fatalf("a push that ended was asked again: %s", got)
	}
}
