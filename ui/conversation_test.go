package ui

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
)

// TestReply: Reply from a message's menu shows what is answered above the
// composer; the sent reply quotes it; tapping the quote jumps to it.
func TestReply(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	f.deliver(c.ID, h.a.group, "Ben", "Can I share the spring catalogue with customers yet?", false)
	h.drain()
	h.act(0, "Reply")
	if !h.a.convo.contextBar.Visible() || !strings.Contains(richString(h.a.convo.contextLabel), "Replying to Ben: Can I share the spring catalogue") {
		t.Fatalf("reply bar: %q", richString(h.a.convo.contextLabel))
	}
	h.typeAndSend("Yes, from Monday!")
	if h.a.convo.contextBar.Visible() {
		t.Fatal("reply bar still shown after sending")
	}
	if got := h.last(); got != "You 09:32 | > ↩ Ben: Can I share the spring catalogue with customers yet? | Yes, from Monday!" {
		t.Fatalf("reply shows %q", got)
	}
	// The quote leads back to the question.
	h.a.convo.jumpToQuote(1)
	if h.a.convo.highlight != 0 || !h.row(0).d.highlight {
		t.Fatal("tapping the quote did not jump to the answered message")
	}
	// Esc cancels a reply in progress.
	h.act(0, "Reply")
	h.a.convo.composer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.a.convo.contextBar.Visible() || h.a.convo.replyTo != nil {
		t.Fatal("Esc did not cancel the reply")
	}
}

// TestReact: React from the menu adds a reaction chip with its count;
// another member's reaction raises it; tapping your chip takes yours back.
func TestReact(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	id := f.deliver(c.ID, h.a.group, "Ben", "Just closed my first sale!", false)
	h.drain()
	h.act(0, "React/🎉")
	h.drain()
	if got := h.row(0).summary(); !strings.HasSuffix(got, "| (🎉 1)") {
		t.Fatalf("after reacting: %q", got)
	}
	f.reactAs(c.ID, h.a.group, id, "Chloe", "🎉")
	h.drain()
	r := h.row(0)
	if got := r.summary(); !strings.HasSuffix(got, "| (🎉 2)") || !r.chips[0].mine {
		t.Fatalf("after Chloe reacted: %q mine=%v", got, r.chips[0].mine)
	}
	r.chips[0].MouseIn(nil)
	if r.chips[0].shown != "🎉 You, Chloe" {
		t.Fatalf("hovering the reaction shows %q", r.chips[0].shown)
	}
	r.chips[0].MouseOut()
	test.Tap(r.chips[0])
	h.drain()
	if got := h.row(0).summary(); !strings.HasSuffix(got, "| (🎉 1)") || h.row(0).chips[0].mine {
		t.Fatalf("after taking it back: %q", got)
	}
	// Who reacted, from the menu.
	h.act(0, "Who reacted")
	if got := h.dialogText(); !strings.Contains(got, "🎉 Chloe") {
		t.Fatalf("who reacted dialog: %q", got)
	}
}

// TestEditAndDelete: the author edits (marked "edited") and deletes (after
// confirming) their message; others' messages offer neither to a member.
func TestEditAndDelete(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	f.deliver(c.ID, h.a.group, "Ben", "Welcome Maria!", false)
	h.drain()
	h.typeAndSend("Thanks, hapy to be here")
	if got := h.menu(0); slices.Contains(got, "Edit") || slices.Contains(got, "Delete for everyone") {
		t.Fatalf("a member may edit or delete Ben's message: %v", got)
	}
	h.act(1, "Edit")
	if h.a.convo.composer.Text != "Thanks, hapy to be here" || !strings.Contains(richString(h.a.convo.contextLabel), "Editing") {
		t.Fatalf("edit did not load the composer: %q", h.a.convo.composer.Text)
	}
	h.a.convo.composer.SetText("Thanks, happy to be here")
	h.a.convo.composer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.drain()
	if got := h.row(1).summary(); got != "You 09:32 · edited | Thanks, happy to be here" {
		t.Fatalf("edited message: %q", got)
	}
	if len(f.posts) != 1 {
		t.Fatalf("the edit was sent as a new message: %q", f.posts)
	}
	// Up in the empty composer edits the last message too.
	h.a.convo.composer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	if h.a.convo.editing == nil {
		t.Fatal("Up did not start editing the last message")
	}
	h.a.convo.cancelContext()
	// Delete asks first; Cancel keeps it.
	h.act(1, "Delete for everyone")
	test.Tap(h.a.lastDialog.cancel)
	if h.row(1).d.m.Deleted {
		t.Fatal("cancelled delete deleted")
	}
	h.act(1, "Delete for everyone")
	if !strings.Contains(h.dialogText(), "deleted for everyone") {
		t.Fatalf("confirmation: %q", h.dialogText())
	}
	test.Tap(h.a.lastDialog.confirm)
	h.drain()
	if got := h.row(1).summary(); got != "You 09:32 | This message was deleted" {
		t.Fatalf("deleted message shows %q", got)
	}
}

// TestAdminDeletesAndPins: an admin deletes anyone's message (the group
// sees who did) and pins messages, which show in the bar above the list.
func TestAdminDeletesAndPins(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "owner", 4, "General")
	f.deliver(c.ID, h.a.group, "Ben", "Buy cheap followers here!!", false)
	f.deliver(c.ID, h.a.group, "Chloe", "Spring promo: 20% off starter kits until Sunday", false)
	h.drain()
	if h.a.convo.pinBar.Visible() {
		t.Fatal("pinned bar shown with nothing pinned")
	}
	h.act(1, "Pin to the top")
	h.drain()
	if got := labelsText(h.a.convo.pinBar.content); !h.a.convo.pinBar.Visible() || !strings.Contains(got, "Spring promo: 20% off starter kits until Sunday | 📌 Chloe:") {
		t.Fatalf("pinned bar: visible=%v %q", h.a.convo.pinBar.Visible(), got)
	}
	if got := h.row(1).summary(); !strings.Contains(got, "📌 pinned") {
		t.Fatalf("pinned message not marked: %q", got)
	}
	test.Tap(h.a.convo.pinBar)
	if h.a.convo.highlight != 1 {
		t.Fatal("tapping the pinned bar did not jump to the message")
	}
	h.act(0, "Delete for everyone")
	if !strings.Contains(h.dialogText(), "Ben's message will be deleted") {
		t.Fatalf("confirmation: %q", h.dialogText())
	}
	test.Tap(h.a.lastDialog.confirm)
	h.drain()
	if got := h.row(0).summary(); !strings.HasSuffix(got, "This message was deleted by Olivia") {
		t.Fatalf("deleted by admin: %q", got)
	}
	h.act(1, "Unpin")
	h.drain()
	if h.a.convo.pinBar.Visible() {
		t.Fatal("pinned bar still shown after unpinning")
	}
}

// TestMarks: hidden-by-removal messages are marked, mentions highlighted,
// links clickable.
func TestMarks(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	f.deliver(c.ID, h.a.group, "Ben", "@Olivia the training is at https://example.com/training.", false)
	f.mu.Lock()
	_, g, _ := f.group(c.ID, h.a.group)
	g.msgs = append(g.msgs, api.Message{ID: f.id(), Kind: "message", Author: "peer-Dev", AuthorName: "Dev", Time: f.clock, Hidden: "Dev was removed by Olivia"})
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventMessages, Community: c.ID, Group: h.a.group})
	h.drain()
	r := h.row(0)
	if !r.d.m.MentionsMe {
		t.Fatal("mention not known")
	}
	var bold, link bool
	for _, s := range r.body.Segments {
		switch v := s.(type) {
		case *widget.TextSegment:
			bold = bold || (v.Text == "@Olivia" && v.Style.TextStyle.Bold)
		case *widget.HyperlinkSegment:
			link = link || v.URL.String() == "https://example.com/training"
		}
	}
	if !bold || !link {
		t.Fatalf("mention bold %v, link %v: %q", bold, link, r.summary())
	}
	if got := h.row(1).summary(); !strings.Contains(got, "⚠ Hidden: Dev was removed by Olivia") {
		t.Fatalf("hidden message shows %q", got)
	}
	if got := h.menu(1); slices.Contains(got, "Reply") || slices.Contains(got, "React") {
		t.Fatalf("a hidden message offers %v", got)
	}
}

// TestPoll: create a poll (the dialog refuses a poll without two options),
// vote, change the vote, see live results from others, see who voted,
// and close it.
func TestPoll(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "owner", 4, "General")
	test.Tap(h.a.convo.pollBtn)
	d := h.a.lastDialog
	form := d.handles.(*pollForm)
	test.Type(form.question, "Which day suits the training call?")
	test.Type(form.options[0], "Monday")
	test.Tap(d.confirm)
	if !d.open || !strings.Contains(h.dialogText(), "at least two options") {
		t.Fatalf("one option accepted: %q", h.dialogText())
	}
	test.Type(form.options[1], "Wednesday")
	test.Tap(form.add)
	test.Type(form.options[2], "Friday")
	form.multi.SetChecked(false)
	form.closes.SetSelectedIndex(2) // in 1 day
	test.Tap(d.confirm)
	h.drain()
	if d.open {
		t.Fatalf("poll dialog still open: %q", h.dialogText())
	}
	want := "[Today] | You 09:31 | 📊 Poll | Which day suits the training call? / Monday 0 / Wednesday 0 / Friday 0 / No votes yet · choose one · closes Thu Nov 26, 09:30"
	if got := h.last(); got != want {
		t.Fatalf("poll shows\n%q\nwant\n%q", got, want)
	}
	row := h.row(0)
	test.Tap(row.poll.options[1])
	h.drain()
	if got := h.row(0).poll.summary(); !strings.Contains(got, "✓Wednesday 1") || !strings.Contains(got, "1 vote ·") {
		t.Fatalf("after voting: %q", got)
	}
	test.Tap(h.row(0).poll.options[0]) // change the vote (single choice)
	h.drain()
	if got := h.row(0).poll.summary(); !strings.Contains(got, "✓Monday 1") || !strings.Contains(got, "/ Wednesday 0") {
		t.Fatalf("after changing the vote: %q", got)
	}
	pid := h.a.convo.idOf(0)
	f.voteAs(c.ID, h.a.group, pid, "Ben", 0)
	f.voteAs(c.ID, h.a.group, pid, "Chloe", 2)
	h.drain()
	if got := h.row(0).poll.summary(); !strings.Contains(got, "✓Monday 2") || !strings.Contains(got, "Friday 1") || !strings.Contains(got, "3 votes") {
		t.Fatalf("live results: %q", got)
	}
	if share := h.row(0).poll.options[0].share; share < 0.66 || share > 0.67 {
		t.Fatalf("Monday's bar is %.2f of the voters, want 2/3", share)
	}
	test.Tap(h.row(0).poll.voters)
	if got := h.dialogText(); !strings.Contains(got, "Monday — 2") || !strings.Contains(got, "Olivia, Ben") && !strings.Contains(got, "Ben, Olivia") {
		t.Fatalf("voters: %q", got)
	}
	h.a.lastDialog.hide()
	test.Tap(h.row(0).poll.closeBtn)
	test.Tap(h.a.lastDialog.confirm)
	h.drain()
	p := h.row(0).poll
	if got := p.summary(); !strings.HasSuffix(got, "3 votes · choose one · closed") || p.options[0].enabled {
		t.Fatalf("closed poll: %q, still votable %v", got, p.options[0].enabled)
	}
}

// TestUnreadMarkerAndJump: opening a group with unread messages shows the
// "New messages" divider before the first; messages arriving while
// scrolled up are counted on the Latest button, which jumps down.
func TestUnreadMarkerAndJump(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "")
	gid := h.a.groups[1].ID
	f.fill(c.ID, gid, 30)
	h.drain()
	h.open("General")
	h.drain()
	h.a.convo.list.scrollToBottom()
	h.drain() // read
	// Forty arrive while the member is in another group; back in
	// General, the divider sits before message 30.
	h.open("Product questions")
	f.fill(c.ID, gid, 40)
	h.drain()
	h.open("General")
	cv := h.a.convo
	if cv.unreadAt != 30 {
		t.Fatalf("unread divider at %d, want 30", cv.unreadAt)
	}
	if got := h.row(30).summary(); !strings.Contains(got, "[New messages]") {
		t.Fatalf("row 30: %q", got)
	}
	if _, ok := cv.list.visibleRow(69); ok || cv.atBottom {
		t.Fatal("opened at the bottom instead of at the first unread message")
	}
	if !cv.jump.Visible() {
		t.Fatal("no Latest button while the newest messages are out of view")
	}
	f.deliver(c.ID, gid, "Ben", "One more thing", false)
	f.deliver(c.ID, gid, "Ben", "And another", false)
	h.drain()
	if cv.jump.Text != "2 new" {
		t.Fatalf("Latest button says %q", cv.jump.Text)
	}
	test.Tap(cv.jump)
	h.drain()
	if !cv.atBottom || cv.jump.Visible() {
		t.Fatal("Latest did not show the newest message")
	}
	if got := h.last(); !strings.HasSuffix(got, "And another") {
		t.Fatalf("last row %q", got)
	}
	// Read now: the group's count is gone.
	_, g := h.a.selected()
	if g.Unread != 0 || f.calls["MarkRead"] == 0 {
		t.Fatalf("unread %d after reading (MarkRead calls %d)", g.Unread, f.calls["MarkRead"])
	}
}

// TestArrivalInOpenGroupIsRead: a message that arrives in the group on
// screen, read to its end in a focused window, is read at once: no badge
// on its row in the home or on the rail, and no count in the title. Had
// the member scrolled up, it would stay unread behind the "1 new" button.
func TestArrivalInOpenGroupIsRead(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "")
	gid := h.a.groups[1].ID // General
	f.fill(c.ID, gid, 30)
	h.drain()
	h.open("General")
	h.drain()
	cv := h.a.convo
	cv.list.scrollToBottom()
	h.drain()
	if h.w.Title() != "Umbrella" || !cv.atBottom {
		t.Fatalf("before: title %q, at the bottom %v", h.w.Title(), cv.atBottom)
	}

	f.deliver(c.ID, gid, "Ben", "Samples are in!", false)
	h.drain()
	if got := h.last(); !strings.HasSuffix(got, "Samples are in!") {
		t.Fatalf("last row %q", got)
	}
	if got := h.w.Title(); got != "Umbrella" {
		t.Errorf("window title %q after a message arrived in the open group", got)
	}
	if got := h.homeRows(); !slices.Contains(got, "General") {
		t.Errorf("home rows %q, want General without a badge", got)
	}
	if got := h.railBadges(); len(got) != 0 {
		t.Errorf("rail badges %q after a message arrived in the open group", got)
	}

	// Scrolled up, an arrival stays unread and is counted on the button.
	cv.list.scrollToRow(0)
	h.drain()
	f.deliver(c.ID, gid, "Chloe", "Who has the price list?", false)
	h.drain()
	if cv.jump.Text != "1 new" || !cv.jump.Visible() {
		t.Fatalf("Latest button %q (shown %v) while scrolled up", cv.jump.Text, cv.jump.Visible())
	}
	if got := h.w.Title(); got != "(1) Umbrella" {
		t.Errorf("window title %q while scrolled up", got)
	}
	if got := h.homeRows(); !slices.Contains(got, "General [1]") {
		t.Errorf("home rows %q while scrolled up", got)
	}
	if got := h.railBadges(); !slices.Equal(got, []string{"1"}) {
		t.Errorf("rail badges %q while scrolled up", got)
	}
}

// railBadges returns the texts of the badges shown in the rail.
func (h *harness) railBadges() []string {
	var out []string
	for _, o := range test.LaidOutObjects(h.a.rail.root) {
		if b, ok := o.(*badge); ok && b.Visible() {
			out = append(out, b.text.Text)
		}
	}
	return out
}

// TestUnreadCounts: counts show in the rail and the home; mentions are
// marked; a muted group's count is grey and not notified.
func TestUnreadCounts(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "")
	gq := h.a.groups[2].ID // Product questions
	f.deliver(c.ID, gq, "Ben", "Does the night cream suit sensitive skin?", false)
	f.deliver(c.ID, gq, "Chloe", "@Olivia do you know?", false)
	h.drain()
	if got := h.homeRows(); !slices.Contains(got, "Product questions [@ 2]") {
		t.Fatalf("home rows %q", got)
	}
	if got := h.a.communities[0]; got.Unread != 2 || got.Mentions != 1 {
		t.Fatalf("rail counts %+v", got)
	}
	if got := h.w.Title(); got != "(2) Umbrella" {
		t.Fatalf("window title %q", got)
	}
	if len(h.notified) != 1 || h.notified[0] != "Chloe mentioned you in Product questions | @Olivia do you know?" {
		t.Fatalf("notifications %q", h.notified)
	}
	// Mute it: no more notifications; the badge turns grey.
	h.open("Product questions")
	h.a.setInfoShown(true)
	h.a.info.mute.SetChecked(true)
	h.drain()
	h.open("General")
	f.deliver(c.ID, gq, "Chloe", "@Olivia ping", false)
	h.drain()
	if len(h.notified) != 1 {
		t.Fatalf("a muted group notified: %q", h.notified)
	}
	r := h.a.home.rows[gq]
	if !r.badge.muted || !strings.Contains(r.detail.String(), "🔕") {
		t.Fatal("the muted group does not look muted")
	}
}

// TestAnnouncementNotifies: a new announcement notifies, unless its group
// is open in the focused window.
func TestAnnouncementNotifies(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	f.deliver(c.ID, c.ID, "Olivia", "Spring promo starts Monday: 20% off starter kits!", false)
	h.drain()
	if len(h.notified) != 1 || h.notified[0] != "Announcement in Glow Team | Olivia: Spring promo starts Monday: 20% off starter kits!" {
		t.Fatalf("notifications %q", h.notified)
	}
	h.open("Announcements")
	f.deliver(c.ID, c.ID, "Olivia", "Reminder: team call tonight", false)
	h.drain()
	if len(h.notified) != 1 {
		t.Fatalf("notified about the open group: %q", h.notified)
	}
}

// TestSearch: Ctrl+F opens the search bar; Enter jumps to the newest
// match, the arrows move between matches; Esc closes it.
func TestSearch(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	gid := h.a.group
	f.deliver(c.ID, gid, "Ben", "Where is the spring brochure?", false)
	f.fill(c.ID, gid, 60)
	f.deliver(c.ID, gid, "Chloe", "The Brochure is in the Training group", false)
	h.drain()
	h.typeShortcut(fyne.KeyF)
	cv := h.a.convo
	if !cv.searchBar.Visible() {
		t.Fatal("Ctrl+F did not open the search bar")
	}
	test.Type(cv.searchEntry, "brochure")
	cv.searchEntry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if cv.searchStatus.Text != "1 of 2" || cv.highlight != 61 {
		t.Fatalf("first match: %q at %d", cv.searchStatus.Text, cv.highlight)
	}
	cv.search(1)
	if cv.searchStatus.Text != "2 of 2" || cv.highlight != 0 {
		t.Fatalf("older match: %q at %d", cv.searchStatus.Text, cv.highlight)
	}
	if _, ok := cv.list.visibleRow(0); !ok {
		t.Fatal("the match is not in view")
	}
	var marked bool
	for _, s := range h.row(0).body.Segments {
		if ts, ok := s.(*widget.TextSegment); ok && ts.Text == "brochure" && ts.Style.TextStyle.Bold {
			marked = true
		}
	}
	if !marked {
		t.Fatal("the match is not marked in the message")
	}
	cv.searchEntry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if cv.searchBar.Visible() || cv.highlight != -1 {
		t.Fatal("Esc did not close the search")
	}
	cv.toggleSearch()
	test.Type(cv.searchEntry, "zebra")
	cv.searchEntry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if cv.searchStatus.Text != "No messages match" {
		t.Fatalf("no match: %q", cv.searchStatus.Text)
	}
}

// TestSwitcher: Ctrl+K lists the groups of every community; typing
// filters; Enter opens the first match; Esc closes it.
func TestSwitcher(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	h.community("Glow Team", "member", 4, "General")
	other := f.addCommunity("Spring Launch 2027", "member", 48)
	h.drain()
	h.typeShortcut(fyne.KeyK)
	s := h.a.switcher
	if s == nil || len(s.matches) != 6 {
		t.Fatalf("switcher lists %v", s)
	}
	test.Type(s.entry, "spring prod")
	if len(s.matches) != 0 {
		t.Fatalf("filter matched %v", s.matches)
	}
	s.entry.SetText("")
	test.Type(s.entry, "product")
	if len(s.matches) != 2 {
		t.Fatalf("'product' matches %d groups", len(s.matches))
	}
	s.entry.SetText("launch")
	s.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if h.a.community != other.ID || h.a.group != other.ID || s.d.open {
		t.Fatal("Enter did not open Spring Launch's announcements")
	}
	h.typeShortcut(fyne.KeyK)
	h.a.switcher.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.a.switcher != nil {
		t.Fatal("Esc did not close the switcher")
	}
}

// TestJoinGroupFromHome: groups one is not in are listed to join; joining
// opens the group; approval groups ask.
func TestJoinGroupFromHome(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "")
	f.addGroup(c.ID, "Training", "open", false)
	f.addGroup(c.ID, "Leaders circle", "approval", false)
	h.drain()
	want := []string{"Announcements", "# YOUR GROUPS", "General", "Product questions", "# GROUPS YOU CAN JOIN", "Leaders circle <Ask to join>", "Training <Join>"}
	if got := h.homeRows(); !slices.Equal(got, want) {
		t.Fatalf("home rows\n%q\nwant\n%q", got, want)
	}
	h.open("Training")
	if !isShown(h.a.convo.root, h.a.convo.joinCard) {
		t.Fatal("a group one is not in shows no join card")
	}
	var join *widget.Button
	for _, r := range h.a.home.rows {
		if r.g.Name == "Training" {
			join = r.action
		}
	}
	test.Tap(join)
	h.drain()
	if got := h.homeRows(); !slices.Contains(got[:5], "Training") {
		t.Fatalf("after joining: %q", got)
	}
	if !isShown(h.a.convo.root, h.a.convo.composer) {
		t.Fatal("the joined group did not open for writing")
	}
}

// TestPollMultipleChoice: in a poll that takes several answers each tap
// adds or removes one choice; the form stops at 12 options.
func TestPollMultipleChoice(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	h.community("Glow Team", "member", 4, "General")
	test.Tap(h.a.convo.pollBtn)
	d := h.a.lastDialog
	form := d.handles.(*pollForm)
	for len(form.options) < 12 {
		test.Tap(form.add)
	}
	if !form.add.Disabled() {
		t.Fatal("the form offers a 13th option")
	}
	test.Type(form.question, "Which products should the next training cover?")
	for i, o := range []string{"Night cream", "Vitamin C serum", "Starter kit"} {
		test.Type(form.options[i], o)
	}
	test.Tap(form.multi)
	test.Tap(d.confirm)
	h.drain()
	test.Tap(h.row(0).poll.options[0])
	h.drain()
	test.Tap(h.row(0).poll.options[2])
	h.drain()
	if got := h.row(0).poll.summary(); !strings.Contains(got, "✓Night cream 1") || !strings.Contains(got, "✓Starter kit 1") || !strings.Contains(got, "choose any") {
		t.Fatalf("two choices: %q", got)
	}
	test.Tap(h.row(0).poll.options[0])
	h.drain()
	if got := h.row(0).poll.summary(); strings.Contains(got, "✓Night cream") || !strings.Contains(got, "✓Starter kit 1") {
		t.Fatalf("after taking one back: %q", got)
	}
}

// TestMembersReactToAnnouncements: members cannot post announcements but
// react to them.
func TestMembersReactToAnnouncements(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "Announcements")
	f.deliver(c.ID, c.ID, "Olivia", "Congratulations Ben on reaching Silver!", false)
	h.drain()
	items := h.menu(0)
	if slices.Contains(items, "Reply") || !slices.Contains(items, "React") {
		t.Fatalf("a member's announcement menu: %v", items)
	}
	h.act(0, "React/👏")
	h.drain()
	if got := h.row(0).summary(); !strings.HasSuffix(got, "(👏 1)") {
		t.Fatalf("after reacting: %q", got)
	}
}

// TestMentionPicker: typing @ and part of a name offers matching members;
// Enter inserts the name instead of sending; the message goes out with it.
func TestMentionPicker(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	h.community("Glow Team", "member", 4, "General")
	cm := h.a.convo.composer
	test.Type(cm, "Thanks @ch")
	p := cm.picker
	if !p.open() || len(p.matches) != 1 || p.matches[0].Name != "Chloe" {
		t.Fatalf("suggestions %v", p.matches)
	}
	cm.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if cm.Text != "Thanks @Chloe " || len(f.posts) != 0 || p.open() {
		t.Fatalf("after picking: %q, posts %q", cm.Text, f.posts)
	}
	test.Type(cm, "and @")
	if len(p.matches) != 3 { // Ben, Chloe, Dev — not yourself
		t.Fatalf("all suggestions %v", p.matches)
	}
	cm.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	cm.TypedKey(&fyne.KeyEvent{Name: fyne.KeyTab})
	if cm.Text != "Thanks @Chloe and @Chloe " {
		t.Fatalf("after Down, Tab: %q", cm.Text)
	}
	test.Type(cm, "x@b") // not after a space: an e-mail, not a mention
	if p.open() {
		t.Fatal("suggested inside a word")
	}
	cm.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(f.posts) != 1 || f.posts[0] != "Thanks @Chloe and @Chloe x@b" {
		t.Fatalf("posted %q", f.posts)
	}
}

func TestMentionQuery(t *testing.T) {
	for _, c := range []struct {
		text   string
		cursor int
		at     int
		q      string
		ok     bool
	}{
		{"@", 1, 0, "", true},
		{"hi @Be", 6, 3, "Be", true},
		{"hi @Ben Carter", 14, 3, "Ben Carter", true},
		{"mail x@b", 8, 0, "", false},
		{"hi @Ben\nyes", 11, 0, "", false},
		{"@ Ben", 5, 0, "", false},
		{"(@ch", 4, 1, "ch", true},
	} {
		at, q, ok := mentionQuery(c.text, c.cursor)
		if at != c.at || q != c.q || ok != c.ok {
			t.Errorf("%q at %d: (%d, %q, %v), want (%d, %q, %v)", c.text, c.cursor, at, q, ok, c.at, c.q, c.ok)
		}
	}
}
