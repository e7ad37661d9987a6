package ui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
)

// TestJoin: a pasted link joins, showing each stage; the community opens.
// A link that is not one says so and keeps the dialog open.
func TestJoin(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	h.a.showJoin("")
	d := h.a.lastDialog
	test.Tap(d.confirm)
	if !strings.Contains(h.dialogText(), "Paste an invite link first") {
		t.Fatalf("empty link: %q", h.dialogText())
	}
	test.Type(d.createEntry, "hello there")
	test.Tap(d.confirm)
	if !d.open || !strings.Contains(h.dialogText(), "Could not join: Invalid invite link: it must start with umbrella://j/") {
		t.Fatalf("bad link: open=%v %q", d.open, h.dialogText())
	}
	d.createEntry.SetText("umbrella://join/QQQQ")
	test.Tap(d.confirm)
	h.drain()
	if d.open {
		t.Fatal("dialog still open after joining")
	}
	var stages []api.JoinStage
	for _, p := range f.joinStages {
		stages = append(stages, p.Stage)
	}
	want := []api.JoinStage{api.JoinChecking, api.JoinChecking, api.JoinConnecting, api.JoinAdmitted, api.JoinSyncing}
	if !slices.Equal(stages, want) {
		t.Fatalf("stages %v, want %v", stages, want)
	}
	if len(h.a.communities) != 1 || h.a.home.name.Text != "Joined Team" {
		t.Fatalf("communities after join: %+v", h.a.communities)
	}
	if _, g := h.a.selected(); g.Kind != api.GroupAnnouncement {
		t.Fatalf("the newcomer sees %q first, not the announcements", g.Name)
	}
	if isShown(h.a.home.root, h.a.home.inviteBtn) || !isShown(h.a.home.root, h.a.home.membersBtn) {
		t.Fatal("a member is offered to invite")
	}
}

// TestJoinStagesRead: each stage reads as a sentence a newcomer follows.
func TestJoinStagesRead(t *testing.T) {
	for _, c := range []struct {
		p    api.JoinProgress
		want string
	}{
		{api.JoinProgress{Stage: api.JoinChecking}, "Checking the invite link…"},
		{api.JoinProgress{Stage: api.JoinConnecting, Community: "Glow Team"}, "Connecting to Glow Team…"},
		{api.JoinProgress{Stage: api.JoinAdmitted, Community: "Glow Team"}, "You're in! Getting the keys to read Glow Team…"},
		{api.JoinProgress{Stage: api.JoinSyncing, Community: "Glow Team", Ops: 1200}, "Catching up on Glow Team… (1200 updates so far)"},
		{api.JoinProgress{Stage: api.JoinRequested, Community: "Glow Team"}, "Asked to join Glow Team; an admin will let you in."},
	} {
		if got := joinStageText(c.p); got != c.want {
			t.Errorf("stage %v: %q, want %q", c.p.Stage, got, c.want)
		}
	}
	via := api.JoinProgress{Stage: api.JoinSyncing, Community: "Glow Team", ViaRelay: true}
	if got, want := joinProgressText(via), "Joining through the relay, the inviter is offline. Catching up on Glow Team…"; got != want {
		t.Errorf("through the relay: %q, want %q", got, want)
	}
	if got := joinProgressText(api.JoinProgress{Stage: api.JoinSyncing, Community: "Glow Team"}); strings.Contains(got, "relay") {
		t.Errorf("a join through a member says %q", got)
	}
}

// TestJoinUnreachable: when nobody can be reached the dialog says what to
// do, and Join stays to try again.
func TestJoinUnreachable(t *testing.T) {
	f := newFake()
	f.joinErr = errors.Join(api.ErrNoPeer, errors.New("dial: connection refused"))
	h := newHarness(t, f)
	h.a.OpenLink("umbrella://join/QQQQ")
	d := h.a.lastDialog
	if len(f.joinStages) != 0 {
		t.Fatal("opening a link joined before the member chose Join")
	}
	test.Tap(d.confirm)
	if !d.open || !strings.Contains(h.dialogText(), "Could not reach anyone in the community") || d.confirm.Disabled() || !d.confirm.Visible() {
		t.Fatalf("unreachable: %q", h.dialogText())
	}
	f.joinErr = nil
	test.Tap(d.confirm)
	h.drain()
	if d.open || h.a.home.name.Text != "Joined Team" {
		t.Fatalf("trying again: open=%v, %q", d.open, h.dialogText())
	}
}

// TestOpenLinkAsksToJoin: opening the app with an invite link asks "Join
// Glow Team?", naming the community rather than showing the raw link; Cancel joins nothing, Join joins with
// its progress. A link that does not read shows it, with what is wrong.
func TestOpenLinkAsksToJoin(t *testing.T) {
	f := newFake()
	f.joinName = "Glow Team"
	h := newHarness(t, f)
	h.a.OpenLink(" umbrella://join/QQQQ\n")
	d := h.a.lastDialog
	got := h.dialogText()
	if !d.open || !strings.Contains(got, "Join Glow Team?") {
		t.Fatalf("opening a link shows %q", got)
	}
	if strings.Contains(got, "umbrella://") || strings.Contains(got, "«") {
		t.Fatalf("opening a link shows the raw link: %q", got)
	}
	if len(f.joinStages) != 0 {
		t.Fatal("opening a link joined before the member chose Join")
	}
	h.w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if d.open {
		t.Fatal("Esc left the question open")
	}

	h.a.OpenLink("umbrella://join/QQQQ")
	d = h.a.lastDialog
	if d.cancel.Text != "Cancel" {
		t.Fatalf("the dismiss button reads %q", d.cancel.Text)
	}
	test.Tap(d.cancel)
	h.drain()
	if d.open || len(f.joinStages) != 0 || len(h.a.communities) != 0 {
		t.Fatalf("Cancel: open=%v, %d join stages, %d communities", d.open, len(f.joinStages), len(h.a.communities))
	}

	h.a.OpenLink("umbrella://join/QQQQ")
	d = h.a.lastDialog
	if h.w.Canvas().Focused() != d.confirm {
		t.Fatal("Join is not focused")
	}
	h.w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	if !strings.Contains(h.dialogText(), "Catching up on Glow Team…") {
		t.Fatalf("joining shows %q", h.dialogText())
	}
	h.drain()
	if d.open || h.a.home.name.Text != "Glow Team" {
		t.Fatalf("Join: open=%v, home %q", d.open, h.a.home.name.Text)
	}

	h.a.OpenLink("hello there")
	got = h.dialogText()
	if !strings.Contains(got, "«hello there»") || !strings.Contains(got, "Could not join: Invalid invite link: it must start with umbrella://j/") {
		t.Fatalf("a link that does not read shows %q", got)
	}
}

// TestEscapeClosesDialogs: Esc closes the dialog on top, from an entry or
// from the window.
func TestEscapeClosesDialogs(t *testing.T) {
	h := newHarness(t, newFake())
	h.a.showCreateCommunity()
	d := h.a.lastDialog
	d.createEntry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if d.open {
		t.Fatal("Esc in the entry did not close the dialog")
	}
	h.a.confirmAction("Delete?", "Really?", "Delete", func() { t.Fatal("Esc confirmed") })
	d = h.a.lastDialog
	h.w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if d.open || len(h.a.dialogs) != 0 {
		t.Fatal("Esc did not close the confirmation")
	}
}

// TestInfoPane: Ctrl+I shows the open group's details and its members
// with roles, online state and safety numbers; muting from it mutes.
func TestInfoPane(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	h.community("Glow Team", "owner", 4, "Product questions")
	if h.a.info.root.Visible() {
		t.Fatal("info pane open by default")
	}
	h.typeShortcut(fyne.KeyI)
	p := h.a.info
	if !p.root.Visible() || p.title.Text != "Product questions" || !strings.Contains(p.policy.String(), "Any member of Glow Team can join") {
		t.Fatalf("info pane: visible=%v title %q policy %q", p.root.Visible(), p.title.Text, p.policy.String())
	}
	if p.count.Text != "4 members" || len(p.members) != 4 {
		t.Fatalf("members: %q %d", p.count.Text, len(p.members))
	}
	row := p.newMemberRow()
	p.bindMember(0, row)
	if got := labelsText(row); !strings.Contains(got, "Olivia (you) | Leader") || !strings.Contains(got, "05823 11947 60392\n48815 90137 27764") {
		t.Fatalf("first member row: %q", got)
	}
	p.mute.SetChecked(true)
	h.drain()
	if _, g := h.a.selected(); !g.Muted || !strings.HasPrefix(h.a.convo.subtitle.String(), "🔕") {
		t.Fatal("muting from the info pane did not mute")
	}
	h.a.escape()
	h.typeShortcut(fyne.KeyI)
	if p.root.Visible() {
		t.Fatal("Ctrl+I did not hide the info pane")
	}
}

// TestJoinRefusedLinks: an expired, revoked or used-up link, or one whose
// maker is no longer an admin, says so, and what to do.
func TestJoinRefusedLinks(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("%w: %w on Nov 20, 2026 09:00; ask for a new one", errBadLinkForTest, api.ErrInviteExpired), "This invite link has expired. Ask the person who sent it for a new one."},
		{fmt.Errorf("%w by …Xyz: %w", api.ErrJoinRefused, api.ErrInviteRevoked), "This invite link was turned off by an admin."},
		{fmt.Errorf("%w by …Xyz: %w", api.ErrJoinRefused, api.ErrInviteUsedUp), "already been used as many times as it allows"},
		{fmt.Errorf("%w by …Xyz: %w", api.ErrJoinRefused, api.ErrInviteLapsed), "the admin who made it is no longer an admin. Ask an admin"},
	} {
		f := newFake()
		f.joinErr = c.err
		h := newHarness(t, f)
		h.a.OpenLink("umbrella://join/QQQQ")
		test.Tap(h.a.lastDialog.confirm)
		if got := h.dialogText(); !h.a.lastDialog.open || !strings.Contains(got, "Could not join: This invite link") || !strings.Contains(got, c.want) {
			t.Errorf("%v: dialog shows %q", c.err, got)
		}
	}
}

// TestJoinShowsProgress: while a join runs the dialog says what it is
// doing, stage by stage, with the progress bar running; a join that waits
// for an admin says so and opens nothing; closing the dialog while a join
// runs stops it, and nothing changes screen afterwards.
func TestJoinShowsProgress(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	var seen []string
	f.onJoinStage = func(api.JoinProgress) {
		if !h.a.lastDialog.open {
			return
		}
		text := h.dialogText()
		if !isShown(h.a.lastDialog.holder, h.a.lastDialog.handles.(*widget.Label)) {
			text = "(no status shown) " + text
		}
		seen = append(seen, text)
	}
	h.a.showJoin("umbrella://join/QQQQ")
	test.Tap(h.a.lastDialog.confirm)
	h.drain()
	for i, want := range []string{"Checking the invite link…", "Connecting to Joined Team…", "You're in! Getting the keys to read Joined Team…", "Catching up on Joined Team… (120 updates so far)"} {
		if i >= len(seen) || !strings.Contains(seen[i], want) || strings.Contains(seen[i], "(no status shown)") {
			t.Fatalf("stage %d: the dialog shows %q, want %q", i, seen, want)
		}
	}

	f, seen = newFake(), nil
	f.joinAsks = true
	h = newHarness(t, f)
	h.community("Glow Team", "member", 4, "General")
	h.a.showJoin("umbrella://join/QQQQ")
	d := h.a.lastDialog
	test.Tap(d.confirm)
	h.drain()
	if !d.open || !strings.Contains(h.dialogText(), "You asked to join Joined Team. An admin will let you in") || d.confirm.Visible() {
		t.Fatalf("a join waiting for approval shows %q", h.dialogText())
	}
	if h.a.home.name.Text != "Glow Team" || strings.Contains(labelsText(h.a.home.root), "Could not") {
		t.Fatalf("the home behind a join waiting for approval shows %q", labelsText(h.a.home.root))
	}

	f = newFake()
	h = newHarness(t, f)
	h.community("Glow Team", "member", 4, "General")
	f.onJoinStage = func(p api.JoinProgress) {
		if p.Stage == api.JoinConnecting {
			h.a.lastDialog.cancel.OnTapped()
		}
	}
	h.a.showJoin("umbrella://join/QQQQ")
	test.Tap(h.a.lastDialog.confirm)
	h.drain()
	if len(f.communities) != 1 || h.a.home.name.Text != "Glow Team" {
		t.Fatalf("a cancelled join went on: %d communities, %q open", len(f.communities), h.a.home.name.Text)
	}
	if h.a.lastDialog.open {
		t.Fatalf("a cancelled join left %q", h.dialogText())
	}
}

// TestOpenShortLinkNamesInviter: a link that names who made it asks "Join
// Glow Team, invited by Olivia Reyes?" and shows the community's
// description.
func TestOpenShortLinkNamesInviter(t *testing.T) {
	f := newFake()
	f.joinName, f.inviter, f.joinDesc = "Glow Team", "Olivia Reyes", "Weekly goals, training and wins."
	h := newHarness(t, f)
	h.a.OpenLink("umbrella://j/QQQQ")
	h.drain()
	d := h.a.lastDialog
	got := h.dialogText()
	if !d.open || !strings.Contains(got, "Join Glow Team, invited by Olivia Reyes?") || !strings.Contains(got, "Weekly goals, training and wins.") {
		t.Fatalf("opening a short link shows %q", got)
	}
	if strings.Contains(got, "one of its admins made") {
		t.Fatalf("a link that names its maker still speaks of an admin: %q", got)
	}
}

// TestOpenLinkSaysItIsReading: while the link is read (a short link is
// fetched from the peers it names) a dialog says so; cancelling it asks
// nothing once the invite arrives.
func TestOpenLinkSaysItIsReading(t *testing.T) {
	f := newFake()
	f.joinName, f.inviter = "Glow Team", "Olivia Reyes"
	h := newHarness(t, f)
	var work []func()
	h.a.spawn = func(fn func()) { work = append(work, fn) }
	h.a.OpenLink("umbrella://j/QQQQ")
	d := h.a.lastDialog
	if !d.open || d.title != "Opening the invite…" || !strings.Contains(h.dialogText(), "Fetching the invite") || len(work) != 1 {
		t.Fatalf("while reading: open %v, %q, %q", d.open, d.title, h.dialogText())
	}
	work[0]()
	if q := h.a.lastDialog; d.open || !q.open || !strings.Contains(h.dialogText(), "Join Glow Team, invited by Olivia Reyes?") {
		t.Fatalf("after reading: reading dialog open %v, %q", d.open, h.dialogText())
	}
	h.a.lastDialog.hide()

	h.a.OpenLink("umbrella://j/QQQQ")
	d = h.a.lastDialog
	test.Tap(d.cancel)
	work[1]()
	if h.a.lastDialog != d || len(h.a.dialogs) != 0 {
		t.Fatalf("a cancelled read asks %q", h.dialogText())
	}
}
