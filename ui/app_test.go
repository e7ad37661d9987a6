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
	"sort"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// harness is the main screen over a fake backend in a test window. Work
// that would run in the background runs inline, and backend events are
// handled on the test goroutine when the test pumps them — Fyne's test
// driver has no UI thread to serialise fyne.Do on.
type harness struct {
	t        testing.TB
	f        *fakeBackend
	a        *App
	w        fyne.Window
	events   <-chan api.Event
	notified []string // "title | body" of each notification
}

func newHarness(t testing.TB, f *fakeBackend) *harness {
	test.NewTempApp(t)
	h := newBackendHarness(t, f)
	h.f = f
	h.a.now = func() time.Time {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.clock
	}
	h.a.start()
	return h
}

// newBackendHarness is the main screen over backend b in a new window of
// the current test app; call a.start after adjusting it.
func newBackendHarness(t testing.TB, b Backend) *harness {
	fyne.CurrentApp().Settings().SetTheme(fixedTheme(theme.VariantLight))
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1100, 700))
	h := &harness{t: t, w: w}
	a := newApp(w, b)
	a.spawn = func(fn func()) { fn() }
	a.notify = func(title, body string) { h.notified = append(h.notified, title+" | "+body) }
	events, cancel := b.Subscribe()
	h.events = events
	a.unsubscribe = func() { cancel(); close(a.done) }
	h.a = a
	w.SetContent(a.Content())
	t.Cleanup(func() { a.Close(); w.Close() })
	return h
}

// waitEvent has the UI handle backend events until one of kind k.
func (h *harness) waitEvent(k api.EventKind) {
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

// community adds a community and opens it, with group name open.
func (h *harness) community(name, role string, members int, group string) api.Community {
	h.t.Helper()
	c := h.f.addCommunity(name, role, members)
	h.drain()
	h.a.selectCommunity(c.ID)
	if group != "" {
		h.open(group)
	}
	return c
}

// open taps the group's row in the community home.
func (h *harness) open(group string) crdt.ID {
	h.t.Helper()
	for id, r := range h.a.home.rows {
		if r.g.Name == group {
			test.Tap(r.box)
			if h.a.group != id {
				h.t.Fatalf("tapping %s did not open it", group)
			}
			return id
		}
	}
	h.t.Fatalf("no group %q in the home; rows: %v", group, h.homeRows())
	return crdt.ID{}
}

// homeRows lists the home's rows as shown: section titles and groups.
func (h *harness) homeRows() []string {
	var out []string
	for _, o := range h.a.home.sections.Objects {
		switch v := o.(type) {
		case *widget.Label:
			out = append(out, "# "+v.Text)
		case *tapBox:
			for _, r := range h.a.home.rows {
				if r.box == v {
					s := r.name.Text
					if r.badge.Visible() {
						s += " [" + r.badge.text.Text + "]"
					}
					if r.action != nil {
						s += " <" + r.action.Text + ">"
					}
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// shown returns the summaries of the message rows in view, in order.
func (h *harness) shown() []string {
	l := h.a.convo.list
	var idx []int
	for i := range l.shown {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	var out []string
	for _, i := range idx {
		out = append(out, l.shown[i].(*msgRow).summary())
	}
	return out
}

// row returns the row widget of message i, scrolling to it.
func (h *harness) row(i int) *msgRow {
	h.t.Helper()
	l := h.a.convo.list
	if _, ok := l.visibleRow(i); !ok {
		l.scrollToRow(i)
	}
	o, ok := l.visibleRow(i)
	if !ok {
		h.t.Fatalf("row %d not shown", i)
	}
	return o.(*msgRow)
}

// last is the summary of the newest message.
func (h *harness) last() string {
	h.t.Helper()
	return h.row(h.a.convo.win.total - 1).summary()
}

// menu opens message i's menu and returns its items' labels.
func (h *harness) menu(i int) []string {
	h.t.Helper()
	h.row(i).TappedSecondary(&fyne.PointEvent{})
	return menuLabels(h.a.convo.lastMenu)
}

func menuLabels(m *fyne.Menu) []string {
	if m == nil {
		return nil
	}
	var out []string
	for _, it := range m.Items {
		if !it.IsSeparator {
			out = append(out, itemLabel(it))
		}
	}
	return out
}

// itemLabel is a menu item's label, or for an emoji shown only as a
// picture, the emoji.
func itemLabel(it *fyne.MenuItem) string {
	if it.Label == "" && it.Icon != nil {
		if e, _, ok := strings.Cut(it.Icon.Name(), "@"); ok {
			return e
		}
	}
	return it.Label
}

// choose triggers the menu item labelled label (a/b for a submenu).
func (h *harness) choose(m *fyne.Menu, label string) {
	h.t.Helper()
	parts := strings.SplitN(label, "/", 2)
	for _, it := range m.Items {
		if itemLabel(it) == parts[0] {
			if len(parts) == 2 {
				h.choose(it.ChildMenu, parts[1])
				return
			}
			it.Action()
			return
		}
	}
	h.t.Fatalf("no menu item %q in %v", label, menuLabels(m))
}

// act opens message i's menu and chooses label.
func (h *harness) act(i int, label string) {
	h.t.Helper()
	h.menu(i)
	h.choose(h.a.convo.lastMenu, label)
}

// typeAndSend types text in the composer and presses Enter.
func (h *harness) typeAndSend(text string) {
	h.t.Helper()
	c := h.a.convo.composer
	test.Type(c, text)
	c.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.drain()
}

// dialogText joins what the last dialog shows.
func (h *harness) dialogText() string {
	return labelsText(h.a.lastDialog.holder)
}

// labelsText joins the text of every label under o.
func labelsText(o fyne.CanvasObject) string {
	var parts []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch v := o.(type) {
		case *widget.Label:
			parts = append(parts, v.Text)
		case *widget.RichText:
			parts = append(parts, v.String())
		case *widget.Check:
			mark := "[ ]"
			if v.Checked {
				mark = "[x]"
			}
			parts = append(parts, mark+" "+v.Text)
		case *widget.Button:
			parts = append(parts, "<"+v.Text+">")
		case *keyEntry:
			parts = append(parts, "«"+v.Text+"»")
		case *widget.Entry:
			parts = append(parts, "«"+v.Text+"»")
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		case *container.Scroll:
			walk(v.Content)
		}
	}
	walk(o)
	return strings.Join(parts, " | ")
}

// isShown reports whether target is in o's tree and visible.
func isShown(o fyne.CanvasObject, target fyne.CanvasObject) bool {
	if o == nil || !o.Visible() {
		return false
	}
	if o == target {
		return true
	}
	switch v := o.(type) {
	case *fyne.Container:
		for _, x := range v.Objects {
			if isShown(x, target) {
				return true
			}
		}
	case *container.Split:
		return isShown(v.Leading, target) || isShown(v.Trailing, target)
	}
	return false
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

// TestCreateCommunity: the welcome offers to create a community; an empty
// name is refused with a reason; the new community opens with its
// announcement group first.
func TestCreateCommunity(t *testing.T) {
	h := newHarness(t, newFake())
	if !isShown(h.a.convo.root, h.a.convo.welcome) {
		t.Fatal("a fresh app should show the welcome")
	}
	h.a.showCreateCommunity()
	d := h.a.lastDialog
	test.Tap(d.confirm) // empty name
	if !d.open || !strings.Contains(h.dialogText(), "Give your community a name") {
		t.Fatalf("empty name: open=%v, dialog %q", d.open, h.dialogText())
	}
	test.Type(d.createEntry, "Glow Team")
	test.Tap(d.confirm)
	h.drain()
	if d.open {
		t.Fatal("dialog still open after creating")
	}
	if len(h.a.communities) != 1 || h.a.communities[0].Name != "Glow Team" || h.a.home.name.Text != "Glow Team" {
		t.Fatalf("communities = %+v, home %q", h.a.communities, h.a.home.name.Text)
	}
	if _, g := h.a.selected(); g.Kind != api.GroupAnnouncement || !isShown(h.a.convo.root, h.a.convo.composer) {
		t.Fatalf("the new community opened %+v, not its announcements with a composer", g)
	}
	if !isShown(h.a.home.root, h.a.home.inviteBtn) {
		t.Fatal("the owner is not offered to invite")
	}
	want := []string{"Announcements", "# YOUR GROUPS", "General", "Product questions", "<New group>"}
	if got := h.homeRows(); !slices.Equal(got[:len(got)-0], want[:4]) {
		t.Fatalf("home shows %q, want %q", got, want)
	}
}

// TestCreateCommunityFails: a failure is shown in the dialog, which stays
// open with what was typed.
func TestCreateCommunityFails(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	f.failNext("CreateCommunity", errors.New("the disk is full"))
	h.a.showCreateCommunity()
	d := h.a.lastDialog
	test.Type(d.createEntry, "Glow Team")
	test.Tap(d.confirm)
	if !d.open || !strings.Contains(h.dialogText(), "Could not create the community: The disk is full") || d.createEntry.Text != "Glow Team" {
		t.Fatalf("dialog: open=%v %q", d.open, h.dialogText())
	}
}

func TestSendWithEnterAndShiftEnter(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	h.community("Glow Team", "owner", 4, "General")
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
	h.drain()
	if !slices.Equal(f.posts, []string{"Line one\nline two"}) {
		t.Fatalf("posted %q", f.posts)
	}
	if composer.Text != "" {
		t.Fatalf("composer not cleared: %q", composer.Text)
	}
	if got := h.shown(); len(got) != 1 || got[0] != "[Today] | You 09:31 | Line one\nline two" {
		t.Fatalf("shown = %q", got)
	}
	// Enter on an empty composer sends nothing.
	composer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(f.posts) != 1 {
		t.Fatal("empty message sent")
	}
}

// TestSendFailureShowsWhy: a message that cannot be sent stays in the
// composer and the reason is shown.
func TestSendFailureShowsWhy(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	h.community("Glow Team", "owner", 4, "General")
	f.failNext("Post", api.ErrKeysRenewing)
	h.typeAndSend("Team call at 8pm!")
	if h.a.convo.composer.Text != "Team call at 8pm!" {
		t.Fatalf("composer lost the text: %q", h.a.convo.composer.Text)
	}
	if got := h.dialogText(); !strings.Contains(got, "keys are being renewed") {
		t.Fatalf("error dialog says %q", got)
	}
}

// TestDrafts: what is typed and not sent stays with its group when the
// member looks at another and comes back; a send that fails after the
// member moved on says where it went and keeps the text there, and one
// that succeeds after they moved on does not clear the new group's text.
func TestDrafts(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	h.community("Glow Team", "owner", 4, "General")
	test.Type(h.a.convo.composer, "Half a thought")
	h.open("Product questions")
	if got := h.a.convo.composer.Text; got != "" {
		t.Fatalf("another group's composer holds %q", got)
	}
	h.open("General")
	if got := h.a.convo.composer.Text; got != "Half a thought" {
		t.Fatalf("General's draft is %q", got)
	}

	var later []func()
	h.a.spawn = func(fn func()) { later = append(later, fn) }
	h.a.convo.composer.SetText("")
	f.failNext("Post", api.ErrKeysRenewing)
	h.typeAndSend("Team call at 8pm!")
	h.open("Product questions")
	test.Type(h.a.convo.composer, "Which serum first?")
	later[0]()
	if got := h.dialogText(); !strings.Contains(got, "keys are being renewed") {
		t.Fatalf("error dialog says %q", got)
	}
	if got := h.a.lastDialog.title; !strings.Contains(got, "not sent to General (it is kept there)") {
		t.Fatalf("error dialog is titled %q", got)
	}
	h.a.lastDialog.hide()
	h.typeAndSend("") // Enter: sends "Which serum first?", which succeeds later
	h.open("General")
	if got := h.a.convo.composer.Text; got != "Team call at 8pm!" {
		t.Fatalf("the failed message's text is %q in General", got)
	}
	test.Type(h.a.convo.composer, " Bring a friend.")
	later[1]()
	if got := h.a.convo.composer.Text; got != "Team call at 8pm! Bring a friend." {
		t.Fatalf("a send finishing in another group left %q in General", got)
	}
	h.open("Product questions")
	if got := h.a.convo.composer.Text; got != "" {
		t.Fatalf("a sent message stays as a draft: %q", got)
	}
}

func TestPeerMessageAppearsLive(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	gid := h.a.group
	f.deliver(c.ID, gid, "Ben", "Just closed my first sale!", false)
	h.waitEvent(api.EventMessages)
	if got := h.shown(); len(got) != 1 || got[0] != "[Today] | Ben 09:31 | Just closed my first sale!" {
		t.Fatalf("shown = %q", got)
	}
	// A follow-up a minute later by the same author shows no second header.
	f.deliver(c.ID, gid, "Ben", "Thanks for the training, Olivia.", false)
	h.waitEvent(api.EventMessages)
	if got := h.shown(); len(got) != 2 || got[1] != "Thanks for the training, Olivia." {
		t.Fatalf("shown = %q", got)
	}
	// A message in another group does not disturb the open one.
	f.deliver(c.ID, h.a.groups[2].ID, "Ben", "elsewhere", false)
	h.drain()
	if h.a.convo.win.total != 2 {
		t.Fatal("message from another group shown")
	}
}

func TestAnnouncementsReadOnlyForMembers(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	h.community("Glow Team", "member", 4, "Announcements")
	if isShown(h.a.convo.root, h.a.convo.composer) {
		t.Fatal("a member sees a composer in announcements")
	}
	if !isShown(h.a.convo.root, h.a.convo.readOnly) || !strings.Contains(h.a.convo.readOnly.Text, "Only admins post announcements") {
		t.Fatal("a member is not told why they cannot post")
	}
}

// TestNetworkIndicator: the rail says whether the app is online (and how
// many peers it reaches through a relay), syncing or offline, and follows
// changes.
func TestNetworkIndicator(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	if got := h.a.rail.netStatus.String(); got != "● Online · 3 peers, 1 through a relay" {
		t.Fatalf("indicator %q", got)
	}
	f.setStatus(api.Status{Network: "syncing", Peers: []api.PeerStatus{{PeerID: "a"}}})
	h.waitEvent(api.EventPeers)
	if got := h.a.rail.netStatus.String(); got != "◐ Syncing · 1 peer" {
		t.Fatalf("indicator while syncing %q", got)
	}
	f.setStatus(api.Status{Network: "offline"})
	h.waitEvent(api.EventPeers)
	if got := h.a.rail.netStatus.String(); !strings.HasPrefix(got, "○ Offline") {
		t.Fatalf("indicator offline %q", got)
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

// typeShortcut presses Ctrl (Cmd on macOS) with key on the window, as the
// driver delivers a shortcut no focused widget takes.
func (h *harness) typeShortcut(key fyne.KeyName) {
	h.t.Helper()
	h.w.Canvas().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault})
}
