package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/umbrella-p2p/umbrella/api"
)

// TestHostileTextStaysInPlace: what another member wrote cannot take over
// the window. A description of a thousand line breaks does not make the
// home or the info pane taller than a screen; a long name and a long
// poll option are cut with "…" to the width they have instead of being
// drawn over the time or the vote count.
func TestHostileTextStaysInPlace(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "")
	f.mu.Lock()
	f.comm(c.ID).settings.Description = "Welcome!" + strings.Repeat("\n", 500) + strings.Repeat("x\n", 500)
	f.comm(c.ID).groups[1].info.Description = strings.Repeat("line\n", 200)
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventCommunities, Community: c.ID})
	h.drain()
	if got := h.a.home.description.MinSize().Height; got > 200 {
		t.Fatalf("the home's description is %.0f px tall", got)
	}
	if !strings.HasPrefix(h.a.home.description.Text, "Welcome!\n\nx\n") || !strings.HasSuffix(h.a.home.description.Text, "…") {
		t.Fatalf("the home's description reads %q", h.a.home.description.Text)
	}
	gid := h.open("General")
	h.a.setInfoShown(true)
	if got := h.a.info.about.MinSize().Height; got > 400 {
		t.Fatalf("the info pane's description is %.0f px tall", got)
	}
	if got := h.a.convo.subtitle.MinSize().Height; got > 40 {
		t.Fatalf("the conversation's subtitle is %.0f px tall", got)
	}

	long := strings.Repeat("Wolfeschlegelstein", 3) // 54 bytes; names may have 64
	h.w.Resize(fyne.NewSize(800, 700))
	f.deliver(c.ID, gid, long, "Hello team", false)
	option := strings.Repeat("Mostly on weekday evenings after work ", 5)
	if _, err := f.CreatePoll(context.Background(), c.ID, gid, "When do you work?", []string{option, "Weekends"}, false, time.Time{}); err != nil {
		t.Fatal(err)
	}
	h.drain()
	h.w.Canvas().Capture()
	r := h.row(0)
	if !strings.HasSuffix(r.name.Text, "…") || r.name.Position().X+r.name.MinSize().Width > r.meta.Position().X {
		t.Fatalf("a long name reads %q and ends at %.0f, the time starts at %.0f", r.name.Text, r.name.Position().X+r.name.MinSize().Width, r.meta.Position().X)
	}
	if !strings.Contains(r.summary(), long) {
		t.Fatalf("copying the message loses the full name: %q", r.summary())
	}
	p := h.row(1).poll.options[0]
	if !strings.HasSuffix(p.text.Text, "…") || p.text.Position().X+p.text.MinSize().Width > p.count.Position().X {
		t.Fatalf("a long option reads %q and ends at %.0f, its count starts at %.0f", p.text.Text, p.text.Position().X+p.text.MinSize().Width, p.count.Position().X)
	}
}

// TestPollPastClosingTime: once a poll's closing time passes it reads
// "closed", offers neither votes nor "Close poll", and a tap on an option
// of a row shown before the deadline says why instead of sending a vote
// nobody would count.
func TestPollPastClosingTime(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "owner", 4, "General")
	if _, err := f.CreatePoll(context.Background(), c.ID, h.a.group, "Lunch spot?", []string{"Pizza", "Sushi"}, false, f.clock.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	h.drain()
	p := h.row(0).poll
	if !p.options[0].enabled || !p.canClose {
		t.Fatal("an open poll cannot be voted on or closed")
	}
	f.mu.Lock()
	f.clock = f.clock.Add(2 * time.Hour)
	f.mu.Unlock()
	test.Tap(p.options[0])
	if got := labelsText(h.a.lastDialog.holder); !strings.Contains(got, "It no longer takes votes") {
		t.Fatalf("a late vote shows %q", got)
	}
	if f.calls["Vote"] != 0 {
		t.Fatal("a vote after the closing time was sent")
	}
	h.a.lastDialog.hide()
	p = h.row(0).poll
	if got := p.summary(); !strings.HasSuffix(got, "closed Wed Nov 25, 10:30") || p.options[0].enabled || p.canClose {
		t.Fatalf("past its closing time the poll reads %q (votable %v)", got, p.options[0].enabled)
	}
}

// TestNotificationBodyEscaped: on Linux, where notification servers may
// read markup, a message's "<b>" and "&" reach the member as typed.
func TestNotificationBodyEscaped(t *testing.T) {
	body := `Buy 2 & get <b>1</b> free`
	if got := notificationBody("linux", body); got != "Buy 2 &amp; get &lt;b&gt;1&lt;/b&gt; free" {
		t.Fatalf("linux: %q", got)
	}
	if got := notificationBody("darwin", body); got != body {
		t.Fatalf("darwin: %q", got)
	}
}

// TestMuteFailureShowsWhatIsSo: when muting fails the box does not stay
// ticked as if it had worked.
func TestMuteFailureShowsWhatIsSo(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	h.community("Glow Team", "member", 4, "General")
	h.a.setInfoShown(true)
	f.failNext("SetMuted", errors.New("disk full"))
	test.Tap(h.a.info.mute)
	h.drain()
	if h.a.info.mute.Checked {
		t.Fatal("the mute box is ticked though muting failed")
	}
	if got := h.a.lastDialog.title; got != "Could not change the notifications" {
		t.Fatalf("the failure shows %q", got)
	}
}

// TestMentionInWrappedText: picking a mention after a paragraph long
// enough to wrap puts the name where the @ was and the cursor after it;
// a picked name that begins a longer one ("Ben" of "Ben Carter") closes
// the picker, so the next Enter sends.
func TestMentionInWrappedText(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	f.mu.Lock()
	f.comm(c.ID).members = append(f.comm(c.ID).members, api.Member{PeerID: "12D3KooWFakePeerIdOfBenCarter", Name: "Ben Carter", Role: "member"})
	f.mu.Unlock()
	cm := h.a.convo.composer
	first := strings.Repeat("Our spring launch starts Monday and every new distributor gets the starter kit. ", 4)
	test.Type(cm, first)
	cm.KeyDown(&fyne.KeyEvent{Name: "LeftShift"})
	cm.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	cm.KeyUp(&fyne.KeyEvent{Name: "LeftShift"})
	h.w.Canvas().Capture() // lay out: the paragraph wraps
	test.Type(cm, "Thanks @ch")
	if !cm.picker.open() {
		t.Fatalf("no suggestions after a wrapped paragraph; the cursor is at %d of %d", cm.CursorTextOffset(), len([]rune(cm.Text)))
	}
	cm.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	test.Type(cm, "!")
	if want := first + "\nThanks @Chloe !"; cm.Text != want {
		t.Fatalf("after picking in wrapped text:\n%q\nwant\n%q", cm.Text, want)
	}

	cm.SetText("")
	test.Type(cm, "Welcome @Ben")
	if len(cm.picker.matches) != 2 {
		t.Fatalf("suggestions for @Ben: %v", cm.picker.matches)
	}
	cm.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if cm.picker.open() {
		t.Fatalf("the picker stays open after picking: %v", cm.picker.matches)
	}
	cm.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if n := len(f.posts); n == 0 || !strings.HasPrefix(f.posts[n-1], "Welcome @Ben") {
		t.Fatalf("Enter after picking did not send: %q", f.posts)
	}
}

func TestClampLines(t *testing.T) {
	for _, c := range []struct {
		in         string
		lines, max int
		want       string
	}{
		{"", 3, 100, ""},
		{"  Welcome!  ", 3, 100, "Welcome!"},
		{"a\n\n\n\nb", 3, 100, "a\n\nb"},
		{"a\nb\nc\nd", 2, 100, "a\nb…"},
		{"a\n\nb\nc", 2, 100, "a…"},
		{"abcdef", 3, 4, "abc…"},
	} {
		if got := clampLines(c.in, c.lines, c.max); got != c.want {
			t.Errorf("clampLines(%q, %d, %d) = %q, want %q", c.in, c.lines, c.max, got, c.want)
		}
	}
}

// TestEditPutsCursorAtEnd: editing a message that wraps puts the cursor
// after its last character, so what is typed goes at the end.
func TestEditPutsCursorAtEnd(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	h.community("Glow Team", "owner", 4, "General")
	long := strings.Repeat("Remember to log every order in the tracker before Friday. ", 4) + "\nThanks"
	h.typeAndSend(strings.ReplaceAll(long, "\n", ""))
	f.mu.Lock()
	f.comm(h.a.community).groups[1].msgs[0].Text = long
	f.mu.Unlock()
	h.a.convo.reload()
	h.w.Canvas().Capture()
	m, ok := h.a.convo.message(0)
	if !ok {
		t.Fatal("no message 0")
	}
	h.a.convo.startEdit(m)
	h.w.Canvas().Capture()
	test.Type(h.a.convo.composer, "!")
	if got := h.a.convo.composer.Text; got != long+"!" {
		t.Fatalf("typing after starting an edit gives\n%q", got)
	}
}
