package ui

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// deliverAs adds a message by member peer (named name) to a group, as if
// it arrived from the network.
func (f *fakeBackend) deliverAs(cid, gid crdt.ID, peer, name, text string) {
	id := f.deliver(cid, gid, name, text, false)
	f.mu.Lock()
	defer f.mu.Unlock()
	_, g, _ := f.group(cid, gid)
	for i := range g.msgs {
		if g.msgs[i].ID == id {
			g.msgs[i].Author = peer
		}
	}
}

// privateRows are the home's rows after the Direct messages title.
func (h *harness) privateRows() []string {
	var out []string
	for _, p := range h.a.privates {
		r := h.a.home.rows[p.Group]
		if r == nil {
			h.t.Fatalf("no home row for private conversation %s", p.Group)
		}
		s := r.name.Text + " · " + r.detail.String()
		if r.badge.Visible() {
			s += " [" + r.badge.text.Text + "]"
		}
		out = append(out, s)
	}
	return out
}

// TestMessagePrivatelyFromMembers: Message privately on Ben's row in the
// members list opens the conversation with him in the conversation
// screen, lists it under Direct messages, and a second time opens the
// same one; a message sent there goes to it.
func TestMessagePrivatelyFromMembers(t *testing.T) {
	h, c := adminHarness(t, "member")
	v := h.membersDialog(c.ID)
	h.memberMenu(v, "Ben")
	h.choose(v.lastMenu, "Message privately")
	h.drain()
	_, g := h.a.selected()
	if g.Kind != api.GroupPrivate || g.Name != "Ben" || !g.CanPost {
		t.Fatalf("opened %+v", g)
	}
	if len(h.a.dialogs) != 0 {
		t.Fatal("the members list stays over the conversation")
	}
	if got := h.a.convo.title.Text; got != "Ben" {
		t.Fatalf("conversation title %q", got)
	}
	if got := h.a.convo.subtitle.String(); !strings.Contains(got, "only the two of you") {
		t.Fatalf("subtitle %q", got)
	}
	if got := h.privateRows(); len(got) != 1 || !strings.HasPrefix(got[0], "Ben · No messages yet") {
		t.Fatalf("direct messages %q", got)
	}
	if slices.ContainsFunc(h.homeRows(), func(s string) bool { return strings.HasPrefix(s, "Ben") }) != true {
		t.Fatalf("home rows %q", h.homeRows())
	}
	h.typeAndSend("Message me any time")
	if got := h.last(); !strings.Contains(got, "Message me any time") {
		t.Fatalf("last message %q", got)
	}
	first := h.a.group
	h.a.selectGroup(crdt.ID{})
	v = h.membersDialog(c.ID)
	h.memberMenu(v, "Ben")
	h.choose(v.lastMenu, "Message privately")
	h.drain()
	if h.a.group != first || len(h.a.privates) != 1 {
		t.Fatalf("opened %s again, privates %d; want %s", h.a.group, len(h.a.privates), first)
	}
}

// TestMessagePrivatelyFollowsTheSetting: with members limited to
// messaging admins, a member's menu says so on a member and offers it on
// an admin, as the backend's flags say; the info pane's rows likewise.
func TestMessagePrivatelyFollowsTheSetting(t *testing.T) {
	h, c := adminHarness(t, "member")
	h.f.setRoleOf(c.ID, chloeID, "admin")
	h.f.mu.Lock()
	h.f.comm(c.ID).settings.PrivateToAdminsOnly = true
	h.f.mu.Unlock()
	h.f.emit(api.Event{Kind: api.EventCommunities, Community: c.ID})
	h.drain()
	v := h.membersDialog(c.ID)
	if got := h.memberMenu(v, "Ben"); !slices.Equal(got, []string{"Private messages here are with admins only"}) {
		t.Fatalf("menu on a member %q", got)
	}
	if !v.lastMenu.Items[0].Disabled {
		t.Fatal("the refusal can be chosen")
	}
	if got := h.memberMenu(v, "Chloe"); !slices.Equal(got, []string{"Message privately"}) {
		t.Fatalf("menu on an admin %q", got)
	}
	items := h.a.memberMenu(c.ID, h.member(c.ID, h.f.self.PeerID))
	if len(items) != 0 {
		t.Fatalf("a menu on oneself: %d items", len(items))
	}
}

// TestMessagePrivatelyFromAMessage: a message's menu offers to message
// its author privately, not for one's own messages nor in the
// conversation with that author already.
func TestMessagePrivatelyFromAMessage(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	f.deliverAs(c.ID, h.a.group, benID, "Ben Okafor", "Who wants the new catalogue?")
	h.drain()
	last := h.a.convo.win.total - 1
	if got := h.menu(last); !slices.Contains(got, "Message Ben privately") {
		t.Fatalf("menu %q", got)
	}
	h.choose(h.a.convo.lastMenu, "Message Ben privately")
	h.drain()
	_, g := h.a.selected()
	if g.Kind != api.GroupPrivate {
		t.Fatalf("opened %+v", g)
	}
	f.deliverAs(c.ID, g.ID, benID, "Ben Okafor", "Here it is")
	h.drain()
	if got := h.menu(h.a.convo.win.total - 1); slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "Message ") }) {
		t.Fatalf("the conversation with Ben offers to message him: %q", got)
	}
	h.typeAndSend("Thanks!")
	if got := h.menu(h.a.convo.win.total - 1); slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "Message ") }) {
		t.Fatalf("one's own message offers a private message: %q", got)
	}
}

// TestPrivateClosedWhenRemoved: once the other side is removed, the
// conversation says so where the composer was, and stays readable.
func TestPrivateClosedWhenRemoved(t *testing.T) {
	h, c := adminHarness(t, "admin")
	id, err := h.f.OpenPrivate(t.Context(), c.ID, []string{benID})
	if err != nil {
		t.Fatal(err)
	}
	h.f.deliverAs(c.ID, id, benID, "Ben", "See you tomorrow")
	h.drain()
	h.open("Ben")
	if h.a.convo.bottom.Objects[0] != h.a.convo.compose {
		t.Fatal("no composer in an open conversation")
	}
	if err := h.f.RemoveMember(t.Context(), c.ID, benID); err != nil {
		t.Fatal(err)
	}
	h.drain()
	if h.a.group != id {
		t.Fatal("the conversation closed on screen")
	}
	if h.a.convo.bottom.Objects[0] != h.a.convo.readOnly {
		t.Fatal("a closed conversation still offers the composer")
	}
	if got := h.a.convo.readOnly.Text; !strings.Contains(got, "Ben is no longer in this conversation") || !strings.Contains(got, "stays readable") {
		t.Fatalf("closed conversation says %q", got)
	}
	if got := h.last(); !strings.Contains(got, "See you tomorrow") {
		t.Fatalf("last message %q", got)
	}
	if got := h.privateRows(); len(got) != 1 || !strings.HasPrefix(got[0], "Ben · Closed") {
		t.Fatalf("direct messages %q", got)
	}
}

// TestPrivateNotifiesEveryMessage: every message in a private
// conversation notifies (not only mentions), with the sender as the
// title; none once the conversation is muted, and none for the one open.
func TestPrivateNotifiesEveryMessage(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	id, err := f.OpenPrivate(t.Context(), c.ID, []string{benID})
	if err != nil {
		t.Fatal(err)
	}
	h.drain()
	f.deliverAs(c.ID, id, benID, "Ben", "Are you free at 5?")
	h.drain()
	f.deliverAs(c.ID, id, benID, "Ben", "Or tomorrow")
	h.drain()
	if want := []string{"Ben | Are you free at 5?", "Ben | Or tomorrow"}; !slices.Equal(h.notified, want) {
		t.Fatalf("notifications %q, want %q", h.notified, want)
	}
	if got := h.privateRows(); len(got) != 1 || !strings.HasSuffix(got[0], "[2]") {
		t.Fatalf("direct messages %q", got)
	}
	h.open("Ben")
	h.a.setMuted(h.a.convo.openGroup, true)
	h.drain()
	h.open("General")
	f.deliverAs(c.ID, id, benID, "Ben", "Ping")
	h.drain()
	if len(h.notified) != 2 {
		t.Fatalf("a muted conversation notified: %q", h.notified)
	}
	// Another community's private messages notify as well.
	other := f.addCommunity("Spring Launch", "member", 3)
	h.drain()
	ms, _ := f.Members(other.ID)
	oid, err := f.OpenPrivate(t.Context(), other.ID, []string{ms[1].PeerID})
	if err != nil {
		t.Fatal(err)
	}
	h.drain()
	f.deliverAs(other.ID, oid, ms[1].PeerID, ms[1].Name, "Welcome!")
	h.drain()
	if len(h.notified) != 3 || h.notified[2] != ms[1].Name+" | Welcome!" {
		t.Fatalf("notifications %q", h.notified)
	}
}

// TestNewPrivateGroup: the New message dialog searches the members one
// may message, starts a private group of those chosen, and stops at the
// size limit.
func TestNewPrivateGroup(t *testing.T) {
	h, c := adminHarness(t, "member")
	h.a.showNewPrivate(c.ID)
	v, ok := h.a.lastDialog.handles.(*newPrivateView)
	if !ok {
		t.Fatalf("handles %T", h.a.lastDialog.handles)
	}
	if !v.start.Disabled() || len(v.shown) != 3 {
		t.Fatalf("start enabled %v, %d shown", !v.start.Disabled(), len(v.shown))
	}
	test.Type(v.search, "chl")
	if len(v.shown) != 1 || v.shown[0].Name != "Chloe" {
		t.Fatalf("search shows %+v", v.shown)
	}
	v.list.Select(0)
	v.search.SetText("")
	v.toggle(devID)
	if got := v.count.Text; !strings.Contains(got, "private group of 3") {
		t.Fatalf("count says %q", got)
	}
	test.Tap(v.start)
	h.drain()
	_, g := h.a.selected()
	if g.Kind != api.GroupPrivate || g.Name != "Chloe and Dev" || g.Members != 3 {
		t.Fatalf("opened %+v", g)
	}
	if got := h.a.convo.subtitle.String(); !strings.Contains(got, "Private group · 3 members") {
		t.Fatalf("subtitle %q", got)
	}
	// The limit: no more than crdt.MaxPrivateOthers others.
	big := h.f.addCommunity("Big Team", "member", 4)
	h.f.addMembers(big.ID, crdt.MaxPrivateOthers)
	h.drain()
	h.a.showNewPrivate(big.ID)
	v = h.a.lastDialog.handles.(*newPrivateView)
	for _, m := range v.all {
		v.toggle(m.PeerID)
	}
	if len(v.chosen) != crdt.MaxPrivateOthers || !strings.Contains(v.d.errLabel.Text, "at most 32 people") || v.start.Disabled() {
		t.Fatalf("chose %d, says %q", len(v.chosen), v.d.errLabel.Text)
	}
}

// TestPrivateSetting: the community settings show the toggle as the
// settings are, save it, and keep it when other settings are saved.
func TestPrivateSetting(t *testing.T) {
	h, c := adminHarness(t, "owner")
	h.a.showCommunitySettings(c.ID)
	v := h.a.lastDialog.handles.(*settingsView)
	if !v.private.Checked || v.private.Text != privateSettingLabel {
		t.Fatalf("toggle %q checked %v", v.private.Text, v.private.Checked)
	}
	v.private.SetChecked(false)
	test.Tap(v.save)
	h.drain()
	if s, _ := h.f.Settings(c.ID); !s.PrivateToAdminsOnly {
		t.Fatal("the setting was not saved")
	}
	h.a.showCommunitySettings(c.ID)
	v = h.a.lastDialog.handles.(*settingsView)
	if v.private.Checked {
		t.Fatal("the dialog does not show the setting")
	}
	v.name.SetText("Glow Team EU")
	test.Tap(v.save)
	h.drain()
	if s, _ := h.f.Settings(c.ID); !s.PrivateToAdminsOnly || s.Name != "Glow Team EU" {
		t.Fatalf("settings %+v", s)
	}
}

// TestPrivateLastActive: the Direct messages rows say when each was last
// active.
func TestPrivateLastActive(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	now := time.Date(2026, 11, 25, 15, 0, 0, 0, time.Local)
	h.a.now = func() time.Time { return now }
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, "No messages yet"},
		{now.Add(-time.Hour), "14:00"},
		{now.AddDate(0, 0, -1), "Yesterday"},
		{now.AddDate(0, 0, -3), "Sunday"},
		{now.AddDate(0, -2, 0), "Sep 25"},
		{now.AddDate(-1, 0, 0), "Nov 25, 2025"},
	} {
		if got := h.a.lastActive(tc.t); got != tc.want {
			t.Errorf("lastActive(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
}

// livingPrivates adds the living community's direct messages: a private
// group with Chloe and Dev, read, and Ben's question, unread.
func livingPrivates(h *harness, cid crdt.ID) {
	f := h.f
	team, err := f.OpenPrivate(context.Background(), cid, []string{chloeID, devID})
	if err != nil {
		h.t.Fatal(err)
	}
	f.deliverAs(cid, team, chloeID, "Chloe", "Shall we split the launch calls between us?")
	f.MarkRead(context.Background(), cid, team)
	ben, err := f.OpenPrivate(context.Background(), cid, []string{benID})
	if err != nil {
		h.t.Fatal(err)
	}
	f.deliverAs(cid, ben, benID, "Ben", "Could we go over my first customer order tomorrow?")
}

// TestGoldenPrivate renders a private conversation with and without its
// info pane, the switcher listing it, a closed one, and the New private
// message dialog, light and dark.
func TestGoldenPrivate(t *testing.T) {
	for _, tv := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(tv.name, func(t *testing.T) {
			h := newHarness(t, newFake())
			livingCommunity(h)
			h.open("Ben")
			h.typeAndSend("Of course! 10:00 on a call?")
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(tv.v))
			test.AssertImageMatches(t, "private_"+tv.name+".png", h.w.Canvas().Capture())
			h.a.setInfoShown(true)
			test.AssertImageMatches(t, "private_info_"+tv.name+".png", h.w.Canvas().Capture())
			h.a.setInfoShown(false)
			h.a.showSwitcher()
			test.AssertImageMatches(t, "private_switcher_"+tv.name+".png", h.w.Canvas().Capture())
			h.a.switcher.d.hide()
			if err := h.f.RemoveMember(t.Context(), h.a.community, benID); err != nil {
				t.Fatal(err)
			}
			h.drain()
			test.AssertImageMatches(t, "private_closed_"+tv.name+".png", h.w.Canvas().Capture())
			h.a.showNewPrivate(h.a.community)
			v := h.a.lastDialog.handles.(*newPrivateView)
			v.toggle(chloeID)
			test.AssertImageMatches(t, "private_new_"+tv.name+".png", h.w.Canvas().Capture())
			h.a.lastDialog.hide()
			h.a.showCommunitySettings(h.a.community)
			test.AssertImageMatches(t, "private_settings_"+tv.name+".png", h.w.Canvas().Capture())
		})
	}
}

// TestLeavePrivate: a private conversation's menu leaves the
// conversation, not a group, says what that means, and it leaves Direct
// messages.
func TestLeavePrivate(t *testing.T) {
	h, c := adminHarness(t, "member")
	if _, err := h.f.OpenPrivate(t.Context(), c.ID, []string{benID}); err != nil {
		t.Fatal(err)
	}
	h.drain()
	h.open("Ben")
	_, g := h.a.selected()
	menu := h.a.groupMenu(g)
	if got := menuLabels(menu); !slices.Contains(got, "Leave conversation") {
		t.Fatalf("menu %q", got)
	}
	h.choose(menu, "Leave conversation")
	if got := h.dialogText(); !strings.Contains(got, "leaves your Direct messages") {
		t.Fatalf("confirmation says %q", got)
	}
	h.confirm(h.a.lastDialog)
	h.drain()
	if len(h.a.privates) != 0 || !h.a.group.IsZero() {
		t.Fatalf("privates %d, open %s", len(h.a.privates), h.a.group)
	}
}

// TestPrivateInfo: the info pane of a private conversation says it is
// private (not that anyone can join) and offers to leave the conversation.
func TestPrivateInfo(t *testing.T) {
	h, c := adminHarness(t, "member")
	if _, err := h.f.OpenPrivate(t.Context(), c.ID, []string{benID}); err != nil {
		t.Fatal(err)
	}
	h.drain()
	h.open("Ben")
	h.a.setInfoShown(true)
	if got := h.a.info.policy.String(); got != privatePolicy {
		t.Fatalf("policy %q", got)
	}
	if got := h.a.info.leave.Text; got != "Leave conversation" {
		t.Fatalf("leave button %q", got)
	}
	if len(h.a.info.members) != 2 {
		t.Fatalf("members %d", len(h.a.info.members))
	}
}

// switchNames are the switcher's matches as "name · context".
func switchNames(s *switcher) []string {
	var out []string
	for _, it := range s.matches {
		out = append(out, it.name+" · "+it.context)
	}
	return out
}

// TestSwitcherPrivate: Ctrl+K lists private conversations beside the
// groups, finds one by the name of anyone in it (also someone its short
// name leaves out), and Enter opens it.
func TestSwitcherPrivate(t *testing.T) {
	h, c := adminHarness(t, "admin")
	ben, err := h.f.OpenPrivate(t.Context(), c.ID, []string{benID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.f.OpenPrivate(t.Context(), c.ID, []string{chloeID, devID}); err != nil {
		t.Fatal(err)
	}
	if err := h.f.RemoveMember(t.Context(), c.ID, devID); err != nil { // the group is now named "Chloe"
		t.Fatal(err)
	}
	h.drain()
	h.typeShortcut(fyne.KeyK)
	s := h.a.switcher
	if got := switchNames(s); !slices.Contains(got, "Ben · Private · Glow Team") || !slices.Contains(got, "Chloe · Private · Glow Team") || len(got) != 5 {
		t.Fatalf("switcher lists %q", got)
	}
	test.Type(s.entry, "dev")
	if got := switchNames(s); !slices.Equal(got, []string{"Chloe · Private · Glow Team"}) {
		t.Fatalf("'dev' matches %q", got)
	}
	s.entry.SetText("")
	test.Type(s.entry, "ben")
	if got := switchNames(s); !slices.Equal(got, []string{"Ben · Private · Glow Team"}) {
		t.Fatalf("'ben' matches %q", got)
	}
	s.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if _, g := h.a.selected(); h.a.group != ben || g.Kind != api.GroupPrivate || s.d.open {
		t.Fatalf("Enter opened %+v", g)
	}
	if got := h.a.convo.title.Text; got != "Ben" {
		t.Fatalf("conversation title %q", got)
	}
}

// TestPrivateWording: with a private conversation open, the info pane's
// header, the conversation's menu, the window's Go menu and the search
// bar speak of the conversation, and of the group again in a group.
func TestPrivateWording(t *testing.T) {
	h, c := adminHarness(t, "member")
	h.w.SetMainMenu(h.a.mainMenu())
	if _, err := h.f.OpenPrivate(t.Context(), c.ID, []string{benID}); err != nil {
		t.Fatal(err)
	}
	h.drain()
	h.a.setInfoShown(true)
	goMenu := func() []string { return menuLabels(h.w.MainMenu().Items[1]) }
	check := func(what, search, info string) {
		t.Helper()
		_, g := h.a.selected()
		if got := h.a.info.header.Text; got != info {
			t.Errorf("%s: info pane header %q, want %q", what, got, info)
		}
		if got := menuLabels(h.a.groupMenu(g)); !slices.Contains(got, search) || !slices.Contains(got, info) {
			t.Errorf("%s: menu %q, want %q and %q", what, got, search, info)
		}
		if got := goMenu(); !slices.Contains(got, search+"…") || !slices.Contains(got, info) {
			t.Errorf("%s: Go menu %q, want %q and %q", what, got, search+"…", info)
		}
	}
	h.open("General")
	check("General", "Search in group", "Group info")
	h.open("Ben")
	check("Ben", "Search in conversation", "Conversation info")
	if got := h.a.convo.searchEntry.PlaceHolder; got != "Search this conversation" {
		t.Errorf("search bar says %q", got)
	}
	h.open("General")
	check("General again", "Search in group", "Group info")
}
