package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
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

	"github.com/umbrella-p2p/umbrella/node"
)

// harness is the main screen over a fake backend in a test window. Work
// that would run in the background runs inline, and backend events are
// handled on the test goroutine when the test pumps them — Fyne's test
// driver has no UI thread to serialise fyne.Do on.
type harness struct {
	t      *testing.T
	f      *fakeBackend
	a      *App
	w      fyne.Window
	events <-chan node.Event
}

func newHarness(t *testing.T, f *fakeBackend) *harness {
	test.NewTempApp(t)
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 640))
	h := &harness{t: t, f: f, w: w}
	a := &App{win: w, b: f, self: f.Self(), now: func() time.Time { return f.clock }, spawn: func(fn func()) { fn() }, done: make(chan struct{})}
	a.build()
	events, cancel := f.Subscribe()
	h.events = events
	a.unsubscribe = func() { cancel(); close(a.done) }
	a.reloadCommunities()
	a.refreshStatus()
	h.a = a
	w.SetContent(a.Content())
	t.Cleanup(func() { a.Close(); w.Close() })
	return h
}

// waitEvent has the UI handle backend events until one of kind k.
func (h *harness) waitEvent(k node.EventKind) {
	h.t.Helper()
	for {
		select {
		case e := <-h.events:
			h.a.handle(e)
			if e.Kind == k {
				return
			}
		default:
			h.t.Fatalf("the backend emitted no %v event", k)
		}
	}
}

// drain has the UI handle every pending backend event.
func (h *harness) drain() {
	for {
		select {
		case e := <-h.events:
			h.a.handle(e)
		default:
			return
		}
	}
}

func (h *harness) shownMessages() []string {
	var out []string
	for i := range h.a.messages {
		row := newMessageRow()
		h.a.convo.updateRow(i, row)
		out = append(out, labelsText(row))
	}
	return out
}

// labelsText joins the text of every label under o.
func labelsText(o fyne.CanvasObject) string {
	var parts []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *widget.Label:
			parts = append(parts, v.Text)
		case *widget.RichText:
			parts = append(parts, v.String())
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return strings.Join(parts, " | ")
}

func TestFirstRun(t *testing.T) {
	test.NewTempApp(t)
	var gotName string
	var ready Backend
	f := newFake()
	s := NewFirstRun(fyne.CurrentApp(), func(_ context.Context, name string) (Backend, error) {
		gotName = name
		return f, nil
	}, func(b Backend) { ready = b }, func(fn func()) { fn() })
	w := test.NewWindow(s.Content())
	defer w.Close()
	if !s.button.Disabled() {
		t.Fatal("Continue enabled with an empty name")
	}
	test.Type(s.name, "   ")
	if !s.button.Disabled() {
		t.Fatal("Continue enabled with a blank name")
	}
	s.name.SetText("")
	test.Type(s.name, strings.Repeat("x", 65))
	if !s.button.Disabled() || !s.errLabel.Visible() {
		t.Fatal("a 65-character name is accepted without a visible error")
	}
	s.name.SetText("")
	test.Type(s.name, "  Maria Lopez ")
	if s.button.Disabled() {
		t.Fatal("Continue disabled with a good name")
	}
	test.Tap(s.button)
	if gotName != "Maria Lopez" || ready != f {
		t.Fatalf("FirstRun got %q, ready=%v", gotName, ready)
	}
}

// TestUnlock: a wrong passphrase says so and lets the user try again; the
// right one opens the app.
func TestUnlock(t *testing.T) {
	test.NewTempApp(t)
	f := newFake()
	var ready Backend
	s := NewUnlockScreen(func(_ context.Context, pass []byte) (Backend, error) {
		if string(pass) != "glow-team-2027" {
			return nil, fmt.Errorf("open database: %w", ErrWrongPassphrase)
		}
		return f, nil
	}, func(b Backend) { ready = b }, func(fn func()) { fn() })
	w := test.NewWindow(s.Content())
	defer w.Close()
	test.Type(s.entry, "glow-team")
	test.Tap(s.button)
	if ready != nil || !s.errLabel.Visible() || !strings.Contains(s.errLabel.Text, "does not open") || s.entry.Text != "" {
		t.Fatalf("wrong passphrase: ready=%v, error %q", ready, s.errLabel.Text)
	}
	test.Type(s.entry, "glow-team-2027")
	test.Tap(s.button)
	if ready != f {
		t.Fatal("the right passphrase did not open the app")
	}
}

func TestFirstRunShowsError(t *testing.T) {
	test.NewTempApp(t)
	s := NewFirstRun(fyne.CurrentApp(), func(context.Context, string) (Backend, error) {
		return nil, errors.New("disk full")
	}, func(Backend) { t.Fatal("ready called after an error") }, func(fn func()) { fn() })
	w := test.NewWindow(s.Content())
	defer w.Close()
	test.Type(s.name, "Maria")
	test.Tap(s.button)
	if !s.errLabel.Visible() || !strings.Contains(s.errLabel.Text, "disk full") || s.button.Disabled() {
		t.Fatalf("error not shown: %q", s.errLabel.Text)
	}
}

func TestCreateCommunity(t *testing.T) {
	h := newHarness(t, newFake())
	if len(h.a.communities) != 0 || isShown(h.a.groupPane, h.a.groupList) {
		t.Fatal("fresh app should show the welcome, not groups")
	}
	h.a.showCreateCommunity()
	d := h.a.lastDialog
	test.Tap(d.confirm) // empty name
	if !d.open {
		t.Fatal("dialog closed with an empty name")
	}
	test.Type(d.createEntry, "Glow Team")
	test.Tap(d.confirm)
	if d.open {
		t.Fatal("dialog still open after creating")
	}
	if len(h.a.communities) != 1 || h.a.communities[0].Name != "Glow Team" {
		t.Fatalf("communities = %+v", h.a.communities)
	}
	if !isShown(h.a.groupPane, h.a.groupList) || h.a.communityName.Text != "Glow Team" {
		t.Fatal("new community not selected")
	}
	if len(h.a.groups) != 3 || h.a.groups[0].Kind != node.GroupAnnouncement {
		t.Fatalf("groups = %+v, want announcements first", h.a.groups)
	}
}

func TestSendWithEnterAndShiftEnter(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := f.addCommunity("Glow Team", "owner", 4)
	h.waitEvent(node.EventCommunities)
	h.a.selectCommunity(c.ID)
	h.a.groupList.Select(1) // General
	composer := h.a.convo.composer

	test.Type(composer, "Line one")
	composer.KeyDown(&fyne.KeyEvent{Name: "LeftShift"})
	composer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	composer.KeyUp(&fyne.KeyEvent{Name: "LeftShift"})
	test.Type(composer, "line two")
	if len(f.posts) != 0 {
		t.Fatal("Shift+Enter sent the message")
	}
	if composer.Text != "Line one\nline two" {
		t.Fatalf("composer = %q", composer.Text)
	}
	composer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if !slices.Equal(f.posts, []string{"Line one\nline two"}) {
		t.Fatalf("posted %q", f.posts)
	}
	if composer.Text != "" {
		t.Fatalf("composer not cleared: %q", composer.Text)
	}
	if got := h.shownMessages(); len(got) != 1 || !strings.Contains(got[0], "You  09:31Line one\nline two") {
		t.Fatalf("shown = %q", got)
	}
	// Enter on an empty composer sends nothing.
	composer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(f.posts) != 1 {
		t.Fatal("empty message sent")
	}
}

func TestPeerMessageAppearsLive(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := f.addCommunity("Glow Team", "member", 4)
	h.waitEvent(node.EventCommunities)
	h.a.selectCommunity(c.ID)
	h.a.groupList.Select(1)
	gid := h.a.group
	f.deliver(c.ID, gid, "Ben", "Just closed my first sale!", false)
	h.waitEvent(node.EventMessages)
	if got := h.shownMessages(); len(got) != 1 || !strings.Contains(got[0], "Ben  09:31Just closed my first sale!") {
		t.Fatalf("shown = %q", got)
	}
	// A new member updates the open conversation's header.
	f.mu.Lock()
	f.communities[0].Members = 5
	f.mu.Unlock()
	f.emit(node.Event{Kind: node.EventCommunities, Community: c.ID})
	h.waitEvent(node.EventCommunities)
	if got := h.a.convo.subtitle.String(); got != "Glow Team · 5 members" {
		t.Fatalf("subtitle = %q", got)
	}
	// A message in another group does not disturb the open one.
	f.deliver(c.ID, h.a.groups[2].ID, "Ben", "elsewhere", false)
	h.waitEvent(node.EventMessages)
	if len(h.a.messages) != 1 {
		t.Fatal("message from another group shown")
	}
}

func TestAnnouncementsReadOnlyForMembers(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := f.addCommunity("Glow Team", "member", 4)
	h.waitEvent(node.EventCommunities)
	h.a.selectCommunity(c.ID)
	h.a.groupList.Select(0)
	if h.a.convo.composer.Visible() && isShown(h.a.convo.root, h.a.convo.composer) {
		t.Fatal("a member sees a composer in announcements")
	}
	if !isShown(h.a.convo.root, h.a.convo.readOnly) {
		t.Fatal("a member is not told why they cannot post")
	}
}

// isShown reports whether target is in o's tree.
func isShown(o fyne.CanvasObject, target fyne.CanvasObject) bool {
	if o == target {
		return true
	}
	if c, ok := o.(*fyne.Container); ok {
		for _, x := range c.Objects {
			if isShown(x, target) {
				return true
			}
		}
	}
	return false
}

func TestJoin(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	h.a.showJoin()
	d := h.a.lastDialog
	test.Type(d.createEntry, "hello there")
	test.Tap(d.confirm)
	if !d.open {
		t.Fatal("dialog closed on a bad link")
	}
	if got := labelsText(d.holder); !strings.Contains(got, "Could not join: invalid invite link") {
		t.Fatalf("dialog shows %q", got)
	}
	d.createEntry.SetText("umbrella://join/QQQQ")
	test.Tap(d.confirm)
	if d.open {
		t.Fatal("dialog still open after joining")
	}
	if len(h.a.communities) != 1 || h.a.communityName.Text != "Joined Team" {
		t.Fatalf("communities after join: %+v", h.a.communities)
	}
}

func TestInviteDialogShowsLink(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := f.addCommunity("Glow Team", "owner", 1)
	h.waitEvent(node.EventCommunities)
	h.a.selectCommunity(c.ID)
	test.Tap(h.a.inviteButton)
	d := h.a.lastDialog
	if d.linkField == nil || !strings.HasPrefix(d.linkField.Text, "umbrella://join/") {
		t.Fatal("invite link not shown")
	}
	test.Tap(d.confirm)
	if got := fyne.CurrentApp().Clipboard().Content(); got != d.linkField.Text {
		t.Fatalf("clipboard = %q", got)
	}
}

// TestMembersShowSafetyNumbers: the members dialog lists everyone with
// their safety number, marking you.
func TestMembersShowSafetyNumbers(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := f.addCommunity("Glow Team", "owner", 2)
	h.waitEvent(node.EventCommunities)
	h.a.selectCommunity(c.ID)
	test.Tap(h.a.membersButton)
	d := h.a.lastDialog
	if d.members == nil || len(d.members.Objects) != 2 {
		t.Fatal("members not listed")
	}
	var got []string
	for _, o := range d.members.Objects {
		got = append(got, o.(*widget.RichText).String())
	}
	want := []string{"Olivia (you) · owner05823 11947 60392 48815 90137 27764", "Ben · member71630 02294 55817 38120 94463 10078"}
	if !slices.Equal(got, want) {
		t.Fatalf("members dialog shows %q, want %q", got, want)
	}
}

// TestNetworkIndicator: the rail says whether the app is online (and how
// many peers it reaches through a relay), syncing or offline, and follows
// changes.
func TestNetworkIndicator(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	if got := h.a.netStatus.String(); got != "● Online · 3 peers, 1 through a relay" {
		t.Fatalf("indicator %q", got)
	}
	f.setStatus(node.Status{Network: "syncing", Peers: []node.PeerStatus{{PeerID: "a"}}})
	h.waitEvent(node.EventPeers)
	if got := h.a.netStatus.String(); got != "◐ Syncing · 1 peer" {
		t.Fatalf("indicator while syncing %q", got)
	}
	f.setStatus(node.Status{Network: "offline"})
	h.waitEvent(node.EventPeers)
	if got := h.a.netStatus.String(); !strings.HasPrefix(got, "○ Offline") {
		t.Fatalf("indicator offline %q", got)
	}
}

// TestGoldenMainScreen renders the main screen with a living community in
// the light and dark themes.
func TestGoldenMainScreen(t *testing.T) {
	for _, variant := range []struct {
		name  string
		theme fyne.Theme
	}{{"light", theme.LightTheme()}, {"dark", theme.DarkTheme()}} {
		t.Run(variant.name, func(t *testing.T) {
			f := newFake()
			h := newHarness(t, f)
			fyne.CurrentApp().Settings().SetTheme(variant.theme)
			c := f.addCommunity("Glow Team", "owner", 12)
			h.waitEvent(node.EventCommunities)
			f.addCommunity("Spring Launch 2027", "member", 48)
			h.waitEvent(node.EventCommunities)
			h.a.selectCommunity(c.ID)
			h.a.groupList.Select(1)
			gid := h.a.group
			f.deliver(c.ID, gid, "Olivia", "Welcome to the team, everyone! Start with the 10-minute product training in the Training group.", true)
			f.deliver(c.ID, gid, "Ben", "Thanks Olivia! Just watched it.", false)
			f.deliver(c.ID, gid, "Chloe", "Quick question: can I share the spring catalogue with customers yet?", false)
			h.drain()
			h.a.convo.reload(true)
			img := h.w.Canvas().Capture()
			test.AssertImageMatches(t, "main_"+variant.name+".png", img)
			writeScreenshot(t, "main_"+variant.name+".png", img)
		})
	}
}

// writeScreenshot saves img as a PNG in $UMBRELLA_SCREENSHOTS, when set
// (`make screenshots`).
func writeScreenshot(t *testing.T, name string, img image.Image) {
	dir := os.Getenv("UMBRELLA_SCREENSHOTS")
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}
