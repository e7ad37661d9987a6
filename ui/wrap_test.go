package ui

import (
	"cmp"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
)

const chloeNguyen = "12D3KooWFakePeerIdOfChloeNguyen"

// addChloeNguyen makes "Chloe Nguyen" a member of community c.
func addChloeNguyen(f *fakeBackend, c api.Community) {
	f.mu.Lock()
	f.comm(c.ID).members = append(f.comm(c.ID).members, api.Member{PeerID: chloeNguyen, Name: "Chloe Nguyen", Role: "member"})
	f.mu.Unlock()
}

// shownLines are the lines a rich text shows, as laid out on screen.
func shownLines(rt *widget.RichText) []string {
	type piece struct {
		x, y float32
		text string
	}
	var pieces []piece
	for _, o := range test.WidgetRenderer(rt).Objects() {
		if t, ok := o.(*canvas.Text); ok && o.Visible() && t.Text != "" {
			pieces = append(pieces, piece{o.Position().X, o.Position().Y, t.Text})
		}
	}
	slices.SortFunc(pieces, func(a, b piece) int {
		return cmp.Or(cmp.Compare(a.y, b.y), cmp.Compare(a.x, b.x))
	})
	var lines []string
	for i, p := range pieces {
		if i == 0 || p.y != pieces[i-1].y {
			lines = append(lines, "")
		}
		lines[len(lines)-1] += p.text
	}
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return lines
}

// TestWordAfterMentionAtLineEnd: when a mention ends a line with too
// little room left for even a letter, the words after it wrap as words,
// not one letter per line.
func TestWordAfterMentionAtLineEnd(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	addChloeNguyen(f, c)
	f.deliver(c.ID, h.a.group, "Ben", "@Chloe Nguyen and see you", false)
	f.mu.Lock()
	_, g, _ := f.group(c.ID, h.a.group)
	g.msgs[len(g.msgs)-1].Mentions = []string{chloeNguyen} // as the node resolves it
	f.mu.Unlock()
	h.drain()

	// Size the window so the line holds the mention and one pixel more.
	mention := fyne.MeasureText("@Chloe Nguyen", theme.TextSize(), fyne.TextStyle{Bold: true}).Width
	inner := theme.InnerPadding()
	win := h.w.Canvas().Size().Width
	for range 5 {
		h.w.Canvas().Capture()
		r := h.row(0)
		avail := r.body.Size().Width - 2*inner
		if avail == mention+1 {
			break
		}
		win += mention + 1 - avail
		h.w.Resize(fyne.NewSize(win, 700))
	}
	r := h.row(0)
	if avail := r.body.Size().Width - 2*inner; avail != mention+1 {
		t.Fatalf("the message is %v wide, want %v", avail, mention+1)
	}
	want := []string{"@Chloe Nguyen", "and see you"}
	if got := shownLines(r.body); !slices.Equal(got, want) {
		t.Fatalf("the message shows lines %q, want %q", got, want)
	}
	if got := r.summary(); !strings.HasSuffix(got, "@Chloe Nguyen and see you") {
		t.Fatalf("the row reads %q", got)
	}
}

// TestPickMentionBeforePunctuation: picking a name typed just before
// punctuation puts no space between them, and the picker stays shut.
func TestPickMentionBeforePunctuation(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	addChloeNguyen(f, c)
	cm := h.a.convo.composer
	test.Type(cm, "Welcome !")
	cm.TypedKey(&fyne.KeyEvent{Name: fyne.KeyLeft})
	test.Type(cm, "@Chl")
	if !cm.picker.open() {
		t.Fatal("no suggestions for @Chl")
	}
	var tapped bool
	for _, o := range cm.picker.box.Objects {
		if b, ok := o.(*widget.Button); ok && b.Text == "@Chloe Nguyen" {
			test.Tap(b)
			tapped = true
		}
	}
	if !tapped {
		t.Fatal("Chloe Nguyen is not suggested")
	}
	if want := "Welcome @Chloe Nguyen!"; cm.Text != want {
		t.Fatalf("after picking: %q, want %q", cm.Text, want)
	}
	if cm.picker.open() {
		t.Fatalf("the picker stays open after picking: %v", cm.picker.matches)
	}
	cm.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if n := len(f.posts); n == 0 || f.posts[n-1] != "Welcome @Chloe Nguyen!" {
		t.Fatalf("Enter after picking sent %q", f.posts)
	}
}
