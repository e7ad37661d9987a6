package ui

import (
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

// newcomerHarness is a member's view of Glow Team with Olivia's first
// steps, the member a newcomer who did the first.
func newcomerHarness(t *testing.T) (*harness, api.Community) {
	h, c := adminHarness(t, "member")
	h.f.setSteps(c.ID, "Welcome to Glow Team, {name}! Start here.", true,
		"Watch the welcome video", "Join the Monday call", "Write your list of 20 contacts", "Book your first party")
	h.drain()
	return h, c
}

// TestFirstStepsCard: a newcomer's home greets it by name and shows its
// first steps with its progress; ticking a step saves it and the card
// shows the new count; a member who is no newcomer sees no card.
func TestFirstStepsCard(t *testing.T) {
	h, c := newcomerHarness(t)
	card := h.a.home.steps
	if card == nil {
		t.Fatal("a newcomer's home has no first-steps card")
	}
	if got := card.welcome.Text; got != "Welcome to Glow Team, "+h.f.self.Name+"! Start here." {
		t.Fatalf("welcome %q", got)
	}
	if len(card.checks) != 4 || card.progress.Text != "0 of 4 done" {
		t.Fatalf("%d steps, progress %q", len(card.checks), card.progress.Text)
	}
	test.Tap(card.checks[1])
	h.drain()
	card = h.a.home.steps
	if card.progress.Text != "1 of 4 done" || !card.checks[1].Checked || card.checks[0].Checked || card.bar.done != 1 {
		t.Fatalf("after ticking step 2: %q, checks %v %v", card.progress.Text, card.checks[0].Checked, card.checks[1].Checked)
	}
	test.Tap(card.checks[1])
	h.drain()
	if h.a.home.steps.progress.Text != "0 of 4 done" {
		t.Fatalf("after unticking: %q", h.a.home.steps.progress.Text)
	}
	if slices.Contains(menuLabels(h.a.home.menu()), "Newcomers") {
		t.Fatal("a member is offered the newcomers")
	}
	h.f.setSteps(c.ID, "Hi", false, "Watch")
	h.drain()
	if h.a.home.steps != nil {
		t.Fatal("a member who is no newcomer sees the first-steps card")
	}
}

// adminNewcomers is an admin's Newcomers view with Dev (stuck: joined 5
// days ago, no step), Priya (2 of 4, a step yesterday) and Sam (done).
func adminNewcomers(t *testing.T) (*harness, *newcomersView) {
	h, c := adminHarness(t, "admin")
	h.f.setSteps(c.ID, "Welcome {name}!", false, "Watch the welcome video", "Join the Monday call", "Write your list of 20 contacts", "Book your first party")
	now := h.f.clock
	h.f.addNewcomer(c.ID, "Sam Lee", now.Add(-30*time.Hour), 4, now.Add(-2*time.Hour), "Chloe Nguyen")
	h.f.addNewcomer(c.ID, "Priya Shah", now.Add(-50*time.Hour), 2, now.Add(-20*time.Hour), "Olivia Reyes")
	h.f.addNewcomer(c.ID, "Dev Patel", now.Add(-5*24*time.Hour), 0, time.Time{}, "Chloe Nguyen")
	h.drain()
	h.choose(h.a.home.menu(), "Newcomers")
	v, ok := h.a.lastDialog.handles.(*newcomersView)
	if !ok {
		t.Fatalf("the newcomers dialog has handles %T", h.a.lastDialog.handles)
	}
	return h, v
}

// TestNewcomersView: an admin sees each newcomer's progress; whoever has
// gone more than 3 days without a step is marked stuck.
func TestNewcomersView(t *testing.T) {
	_, v := adminNewcomers(t)
	var stuck []string
	for _, r := range v.rows {
		if r.stuck {
			stuck = append(stuck, r.name)
		}
	}
	if len(v.rows) != 3 || !slices.Equal(stuck, []string{"Dev Patel"}) {
		t.Fatalf("%d rows, stuck %q", len(v.rows), stuck)
	}
	if got := v.rows[1].text.String(); got != "joined Nov 23, 07:30 · 2 of 4 steps · last step Nov 24, 13:30 · invited by Olivia Reyes" {
		t.Fatalf("priya's row says %q", got)
	}
}

// TestNewcomersRefresh: the open Newcomers view shows a newcomer who
// joins meanwhile and a step ticked meanwhile, and rereads nothing for
// the messages of groups.
func TestNewcomersRefresh(t *testing.T) {
	h, v := adminNewcomers(t)
	cid := h.a.community
	h.f.addNewcomer(cid, "Mia Park", h.f.clock.Add(-time.Hour), 0, time.Time{}, "Olivia Reyes")
	h.f.emit(api.Event{Kind: api.EventCommunities, Community: cid})
	h.drain()
	if len(v.rows) != 4 || !slices.ContainsFunc(v.rows, func(r newcomerRow) bool { return r.name == "Mia Park" }) {
		t.Fatalf("after a join the view lists %d rows", len(v.rows))
	}
	h.f.mu.Lock()
	for i, n := range h.f.comm(cid).team.newcomers {
		if n.Name == "Dev Patel" {
			last := h.f.clock
			h.f.comm(cid).team.newcomers[i].Done, h.f.comm(cid).team.newcomers[i].LastStepTime = 1, &last
		}
	}
	h.f.mu.Unlock()
	// Messages of groups change nothing the view shows: it does not reread,
	// nor does the home (its welcome prompts), once it read them again
	// after the join.
	h.f.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: crdt.ID{8}})
	h.drain()
	reads := h.f.calls["Newcomers"]
	for range 50 {
		h.f.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: crdt.ID{8}})
	}
	h.drain()
	if n := h.f.calls["Newcomers"] - reads; n != 0 {
		t.Fatalf("50 messages in a group reread the newcomers %d times", n)
	}
	h.f.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: crdt.ID{9}, Newcomers: true})
	h.drain()
	if n := h.f.calls["Newcomers"] - reads; n != 1 {
		t.Fatalf("a tick in a progress log reread the newcomers %d times, want once", n)
	}
	i := slices.IndexFunc(v.rows, func(r newcomerRow) bool { return r.name == "Dev Patel" })
	if i < 0 || v.rows[i].stuck || !strings.Contains(v.rows[i].text.String(), "1 of 4 steps") {
		t.Fatalf("after Dev's tick his row is %+v", v.rows[i])
	}
	if got := strings.Join(screenTexts(h.a.lastDialog.holder), " | "); !strings.Contains(got, "Mia Park") {
		t.Fatalf("the dialog shows %q", got)
	}
}

// TestGoldenFirstSteps renders a newcomer's home with its first steps, an
// admin's Newcomers view and the First steps editor, light and dark.
func TestGoldenFirstSteps(t *testing.T) {
	for _, tv := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(tv.name, func(t *testing.T) {
			h, _ := newcomerHarness(t)
			stepText(h, 1, "Ten minutes on how we work.\nWatch it before your first Monday call.")
			test.Tap(h.a.home.steps.checks[0])
			h.drain()
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(tv.v))
			test.AssertImageMatches(t, "firststeps_"+tv.name+".png", h.w.Canvas().Capture())
			a, _ := adminNewcomers(t)
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(tv.v))
			test.AssertImageMatches(t, "newcomers_"+tv.name+".png", a.w.Canvas().Capture())
			e, _ := newcomerHarness(t)
			stepText(e, 1, "Ten minutes on how we work.\nWatch it before your first Monday call.")
			e.f.setRoleOf(e.a.community, e.f.self.PeerID, "admin")
			e.drain()
			e.choose(e.a.home.menu(), "First steps")
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(tv.v))
			test.AssertImageMatches(t, "stepseditor_"+tv.name+".png", e.w.Canvas().Capture())
			tt, _ := adminHarness(t, "owner")
			tt.choose(tt.a.home.menu(), "Team tree")
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(tv.v))
			test.AssertImageMatches(t, "teamtree_"+tv.name+".png", tt.w.Canvas().Capture())
		})
	}
}

// stepText gives step n of the open community's first steps text.
func stepText(h *harness, n int, text string) {
	h.f.mu.Lock()
	h.f.comm(h.a.community).team.steps[n-1].Text = text
	h.f.mu.Unlock()
	h.f.emit(api.Event{Kind: api.EventGroups, Community: h.a.community})
	h.drain()
}

// TestSayWelcome: Say welcome posts the community's welcome in General
// with the newcomer mentioned where it says {name}.
func TestSayWelcome(t *testing.T) {
	h, v := adminNewcomers(t)
	dev := v.rows[2]
	if dev.name != "Dev Patel" || dev.welcome == nil {
		t.Fatalf("row %+v", dev)
	}
	test.Tap(dev.welcome)
	h.drain()
	if n := len(h.f.posts); n == 0 || h.f.posts[n-1] != "Welcome @Dev Patel!" {
		t.Fatalf("posted %q", h.f.posts)
	}
	if !dev.welcome.Disabled() {
		t.Fatal("Say welcome stays ready to post again")
	}
	if got := welcomeText("", "Ben"); got != "Welcome, @Ben!" {
		t.Fatalf("without a welcome text: %q", got)
	}
}

// TestStepsEditor: an admin writes the welcome and the steps from the ⋮
// menu, each with a title, a text and a link, adds, removes and moves
// them, and saves; the community has them in that order. A step with a
// text but no title is refused. A member is not offered the editor.
func TestStepsEditor(t *testing.T) {
	h, c := adminHarness(t, "admin")
	h.choose(h.a.home.menu(), "First steps")
	v, ok := h.a.lastDialog.handles.(*stepsEditor)
	if !ok {
		t.Fatalf("the first steps dialog has handles %T", h.a.lastDialog.handles)
	}
	v.welcome.SetText("Welcome {name}!")
	if len(v.rows) != 1 {
		t.Fatalf("a new list starts with %d rows", len(v.rows))
	}
	v.rows[0].title.SetText("Watch the welcome video")
	v.rows[0].text.SetText("Ten minutes on how we work.")
	v.rows[0].link.SetSelected("Group: General")
	test.Tap(v.add)
	v.rows[1].text.SetText("Every Monday at 19:00.")
	test.Tap(v.save)
	if !v.d.open || !strings.Contains(v.d.errLabel.Text, "Give step 2 a title") {
		t.Fatalf("a step without a title accepted: %q", v.d.errLabel.Text)
	}
	v.rows[1].title.SetText("  Join the Monday call  ")
	test.Tap(v.add)
	v.rows[2].title.SetText("Not this one")
	test.Tap(v.add)
	v.rows[3].title.SetText("Write your list of 20 contacts")
	test.Tap(v.rows[2].remove)
	test.Tap(v.rows[2].up) // the list of 20 before the Monday call
	if !v.rows[0].up.Disabled() || !v.rows[2].down.Disabled() || v.rows[1].up.Disabled() {
		t.Fatal("the first step moves up, or the last down")
	}
	test.Tap(v.add) // an empty row is left out
	test.Tap(v.save)
	h.drain()
	if v.d.open {
		t.Fatalf("the dialog stayed open: %q", v.d.errLabel.Text)
	}
	fs, _ := h.f.Steps(c.ID)
	var titles []string
	for _, s := range fs.Steps {
		titles = append(titles, s.Title)
	}
	if fs.Template != "Welcome {name}!" || !slices.Equal(titles, []string{"Watch the welcome video", "Write your list of 20 contacts", "Join the Monday call"}) {
		t.Fatalf("steps saved %q %+v", titles, fs)
	}
	general := h.a.groups[1]
	if s := fs.Steps[0]; s.Text != "Ten minutes on how we work." || s.Group == nil || *s.Group != general.ID || general.Name != "General" || s.Message != nil {
		t.Fatalf("the first step saved as %+v", s)
	}
	if s := fs.Steps[2]; s.Text != "Every Monday at 19:00." || s.Group != nil {
		t.Fatalf("the third step saved as %+v", s)
	}

	// Opened again, the editor shows them as saved.
	h.choose(h.a.home.menu(), "First steps")
	again := h.a.lastDialog.handles.(*stepsEditor)
	if len(again.rows) != 3 || again.rows[0].link.Selected != "Group: General" || again.rows[0].text.Text != "Ten minutes on how we work." {
		t.Fatalf("the editor reopens with %d rows, link %q", len(again.rows), again.rows[0].link.Selected)
	}

	m, _ := newcomerHarness(t)
	if slices.Contains(menuLabels(m.a.home.menu()), "First steps") {
		t.Fatal("a member is offered to edit the first steps")
	}
}

// TestStepsEditorMultiLine: a step's text takes line breaks, its entry
// growing with the lines; the text is saved and shown again with them,
// and the newcomer's card shows it wrapped with its line breaks.
func TestStepsEditorMultiLine(t *testing.T) {
	h, c := adminHarness(t, "admin")
	h.choose(h.a.home.menu(), "First steps")
	v := h.a.lastDialog.handles.(*stepsEditor)
	r := v.rows[0]
	oneRow := r.text.MinSize().Height
	if oneRow > r.title.MinSize().Height+1 {
		t.Fatalf("an empty step text is %v tall, a title %v", oneRow, r.title.MinSize().Height)
	}
	r.title.SetText("Make your list")
	text := "Write down 20 people you know.\nFamily, friends, colleagues.\nThen mark the five to call first."
	test.Type(r.text, text)
	if !r.text.MultiLine || r.textRows != 3 || r.text.MinSize().Height <= oneRow {
		t.Fatalf("three lines show in %d rows (multi-line %v), %v tall", r.textRows, r.text.MultiLine, r.text.MinSize().Height)
	}
	long := strings.Repeat("Call them this week and tell them what you do. ", 8)
	r.text.SetText(long)
	if r.textRows < 3 {
		t.Fatalf("a long line wraps into %d rows at %v wide", r.textRows, r.text.Size().Width)
	}
	r.text.SetText(text)
	test.Tap(v.save)
	h.drain()
	fs, _ := h.f.Steps(c.ID)
	if len(fs.Steps) != 1 || fs.Steps[0].Text != text {
		t.Fatalf("saved %+v", fs.Steps)
	}
	h.choose(h.a.home.menu(), "First steps")
	if again := h.a.lastDialog.handles.(*stepsEditor); again.rows[0].text.Text != text || again.rows[0].textRows != 3 {
		t.Fatalf("the editor reopens with %q in %d rows", again.rows[0].text.Text, again.rows[0].textRows)
	}
	h.a.lastDialog.hide()

	h.f.mu.Lock()
	h.f.comm(c.ID).team.newcomer = true
	h.f.mu.Unlock()
	h.f.emit(api.Event{Kind: api.EventGroups, Community: c.ID})
	h.drain()
	card := h.a.home.steps
	if card == nil || len(card.texts) != 1 || card.texts[0] == nil || card.texts[0].String() != text || card.texts[0].Wrapping != fyne.TextWrapWord {
		t.Fatalf("the card shows the step's text as %+v", card)
	}
}

// TestStepLinkOpens: a newcomer's step that links a group shows its text
// and an Open group button that opens the group; one that links nothing
// has no button.
func TestStepLinkOpens(t *testing.T) {
	h, c := newcomerHarness(t)
	general := h.a.groups[1]
	h.f.mu.Lock()
	st := h.f.comm(c.ID).team.steps
	st[1].Text, st[1].Group = "Every Monday at 19:00.", &general.ID
	h.f.mu.Unlock()
	h.f.emit(api.Event{Kind: api.EventGroups, Community: c.ID})
	h.drain()
	card := h.a.home.steps
	if card.opens[0] != nil || card.opens[1] == nil || card.opens[1].Text != "Open group" {
		t.Fatalf("open buttons %v", card.opens)
	}
	test.Tap(card.opens[1])
	h.drain()
	if h.a.group != general.ID {
		t.Fatalf("Open group opened %s, want General", h.a.group.Short())
	}
}

// TestTeamTree: an admin's Team tree puts each member under who invited
// them; a member is not offered it.
func TestTeamTree(t *testing.T) {
	h, _ := adminHarness(t, "admin")
	h.choose(h.a.home.menu(), "Team tree")
	v, ok := h.a.lastDialog.handles.(*teamTreeView)
	if !ok {
		t.Fatalf("the team tree dialog has handles %T", h.a.lastDialog.handles)
	}
	ms, _ := h.f.TeamTree(h.a.community)
	if len(v.lines) != len(ms) || len(ms) < 4 || v.lines[0] != ms[0].Name || v.lines[1] != "  "+ms[1].Name || v.lines[2] != "    "+ms[2].Name || v.lines[3] != "  "+ms[3].Name {
		t.Fatalf("tree %q", v.lines)
	}
	// Someone who joins meanwhile shows, under who invited them.
	h.f.addMembers(h.a.community, 1)
	h.drain()
	if n := len(v.lines); n != len(ms)+1 || !slices.Contains(v.lines, "    Distributor 0001") {
		t.Fatalf("after a join the tree is %q", v.lines)
	}
	m, _ := newcomerHarness(t)
	if slices.Contains(menuLabels(m.a.home.menu()), "Team tree") {
		t.Fatal("a member is offered the team tree")
	}
}
