package ui

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/umbrella-p2p/umbrella/api"
)

// TestUploadCancel: each file being shared shows a Cancel over the
// composer; Cancel stops that file (the node keeps nothing of it and
// posts nothing) with no error, the conversation stays as it was, and
// the next file queued with it is still shared.
func TestUploadCancel(t *testing.T) {
	h, _ := fileHarness(t)
	f := h.f
	h.community("Glow Team", "member", 4, "General")
	dir := t.TempDir()
	video := filepath.Join(dir, "Training.mp4")
	slides := filepath.Join(dir, "Comp plan.pdf")
	for _, p := range []string{video, slides} {
		if err := os.WriteFile(p, []byte("some bytes of "+p), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var shown [][]string
	f.files.storing = func(int64, func(api.FileProgress)) {
		shown = append(shown, h.a.convo.uploadNames())
		if len(shown) == 1 {
			if n := len(h.a.convo.uploadCancels); n != 2 {
				t.Fatalf("%d Cancel buttons for 2 uploads", n)
			}
			test.Tap(h.a.convo.uploadCancels[0])
		}
	}
	rows := h.a.convo.win.total
	h.a.files.pickFiles = func(use func([]string)) { use([]string{video, slides}) }
	test.Tap(h.a.convo.attachBtn)
	test.Tap(h.a.lastDialog.confirm)
	h.drain()
	if want := [][]string{{"Training.mp4", "Comp plan.pdf"}, {"Comp plan.pdf"}}; len(shown) != 2 || !slices.Equal(shown[0], want[0]) || !slices.Equal(shown[1], want[1]) {
		t.Fatalf("uploads shown while storing: %q, want %q", shown, want)
	}
	if !slices.Equal(f.posts, []string{"file:Comp plan.pdf"}) || f.calls["SendFile"] != 1 {
		t.Fatalf("posted %v (SendFile went on %d times): want only the file not cancelled", f.posts, f.calls["SendFile"])
	}
	if d := h.a.lastDialog; d.open {
		t.Fatalf("after Cancel a dialog shows: %q %s", d.title, h.dialogText())
	}
	if n := len(h.a.convo.uploadNames()); n != 0 || h.a.convo.win.total != rows+1 {
		t.Fatalf("after Cancel %d uploads show and %d rows (was %d)", n, h.a.convo.win.total, rows)
	}
}
