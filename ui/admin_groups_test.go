package ui

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// createGroupDialog opens the new-group dialog and returns its view.
func (h *harness) createGroupDialog(cid crdt.ID) *createGroupView {
	h.t.Helper()
	h.a.showCreateGroup(cid)
	return h.a.lastDialog.handles.(*createGroupView)
}

// TestCreateGroupOpensIt: a name is required and at most 64 characters;
// the new group appears in the home and opens.
func TestCreateGroupOpensIt(t *testing.T) {
	h, c := adminHarness(t, "owner")
	v := h.createGroupDialog(c.ID)
	d := h.a.lastDialog
	if v.create.Text != "Create group" || !slices.Equal(v.policy.Options, []string{"Anyone in the community can join", "Admins let people in", "Everyone is in it"}) {
		t.Fatalf("button %q, options %q", v.create.Text, v.policy.Options)
	}
	test.Tap(v.create)
	if !d.open || d.errLabel.Text != "Give the group a name." {
		t.Fatalf("empty name: %q", d.errLabel.Text)
	}
	test.Type(v.name, strings.Repeat("x", 65))
	test.Tap(v.create)
	if !strings.Contains(d.errLabel.Text, "too long") || h.f.calls["CreateGroup"] != 0 {
		t.Fatalf("long name: %q", d.errLabel.Text)
	}
	v.name.SetText("")
	test.Type(v.name, "Training")
	test.Type(v.description, "Product training videos and quizzes")
	v.policy.SetSelected("Admins let people in")
	if !strings.Contains(v.policyHelp.String(), "ask to join") {
		t.Fatalf("policy help %q", v.policyHelp.String())
	}
	test.Tap(v.create)
	h.drain()
	if d.open {
		t.Fatalf("dialog open: %q", d.errLabel.Text)
	}
	if !slices.Contains(h.homeRows(), "Training") {
		t.Fatalf("home %q", h.homeRows())
	}
	if _, g := h.a.selected(); g.Name != "Training" || g.Policy != "approval" || g.Description != "Product training videos and quizzes" {
		t.Fatalf("opened %+v", g)
	}
}

// TestCreateGroupMembersSuggest: where members only suggest groups, the
// dialog says so and suggests; the suggestion shows in the home.
func TestCreateGroupMembersSuggest(t *testing.T) {
	h, c := adminHarness(t, "member")
	v := h.createGroupDialog(c.ID)
	if v.create.Text != "Create group" || slices.Contains(v.policy.Options, "Everyone is in it") {
		t.Fatalf("members who create: button %q, options %q", v.create.Text, v.policy.Options)
	}
	h.a.lastDialog.hide()
	h.f.setSettings(c.ID, api.Settings{Name: "Glow Team", JoinPolicy: "link"})
	h.drain()
	v = h.createGroupDialog(c.ID)
	if v.create.Text != "Suggest group" || !strings.Contains(h.dialogText(), "members suggest groups and an admin approves them") {
		t.Fatalf("button %q, dialog %q", v.create.Text, h.dialogText())
	}
	test.Type(v.name, "Book club")
	test.Tap(v.create)
	h.drain()
	rows := h.homeRows()
	if i := slices.Index(rows, "# SUGGESTED GROUPS"); i < 0 || i+1 >= len(rows) || rows[i+1] != "Book club" {
		t.Fatalf("home %q", rows)
	}
}

// TestCreateGroupFails: a group the backend refuses stays in the dialog
// with the reason.
func TestCreateGroupFails(t *testing.T) {
	h, c := adminHarness(t, "owner")
	v := h.createGroupDialog(c.ID)
	h.f.failNext("CreateGroup", errors.New("the disk is full"))
	test.Type(v.name, "Training")
	test.Tap(v.create)
	d := h.a.lastDialog
	if !d.open || d.errLabel.Text != "Could not create the group: The disk is full" || v.name.Text != "Training" || v.create.Disabled() {
		t.Fatalf("open %v, error %q", d.open, d.errLabel.Text)
	}
}

// groupSettingsDialog opens a group's settings and returns their view.
func (h *harness) groupSettingsDialog(cid, gid crdt.ID) *groupSettingsView {
	h.t.Helper()
	h.a.showGroupSettings(cid, gid)
	v, ok := h.a.lastDialog.handles.(*groupSettingsView)
	if !ok {
		h.t.Fatalf("group settings have handles %T: %q", h.a.lastDialog.handles, h.dialogText())
	}
	return v
}

// TestGroupSettingsRenameAndArchive: a renamed group shows its new name;
// archiving asks, then the group is archived and can be unarchived.
func TestGroupSettingsRenameAndArchive(t *testing.T) {
	h, c := adminHarness(t, "owner")
	gid := h.f.addGroup(c.ID, "Training", "open", true)
	h.drain()
	v := h.groupSettingsDialog(c.ID, gid)
	if v.name.Text != "Training" || v.policy.Selected != "Anyone in the community can join" || v.requestsBox.Visible() {
		t.Fatalf("form: %q, %q", v.name.Text, v.policy.Selected)
	}
	v.name.SetText("")
	test.Type(v.name, "Training videos")
	test.Type(v.description, "Watch these first")
	test.Tap(v.save)
	h.drain()
	if v.d.open || !slices.Contains(h.homeRows(), "Training videos") {
		t.Fatalf("home %q", h.homeRows())
	}

	v = h.groupSettingsDialog(c.ID, gid)
	if v.archive.Text != "Archive group" {
		t.Fatalf("archive button %q", v.archive.Text)
	}
	test.Tap(v.archive)
	if got := h.dialogText(); !strings.Contains(got, "read-only for everyone") {
		t.Fatalf("archive asks %q", got)
	}
	h.confirm(h.a.lastDialog)
	if v.archive.Text != "Unarchive group" || !v.state.Visible() || !strings.Contains(v.state.Text, "Archived") {
		t.Fatalf("after archiving: button %q, state %q", v.archive.Text, v.state.Text)
	}
	rows := h.homeRows()
	if i := slices.Index(rows, "# ARCHIVED"); i < 0 || !slices.Contains(rows[i:], "Training videos") {
		t.Fatalf("home %q", rows)
	}
	g, _ := h.a.findGroup(c.ID, gid)
	if g.Description != "Watch these first" || !g.Archived {
		t.Fatalf("group %+v", g)
	}
	test.Tap(v.archive) // unarchiving asks nothing
	h.drain()
	if g, _ := h.a.findGroup(c.ID, gid); g.Archived || v.archive.Text != "Archive group" {
		t.Fatalf("unarchive: %+v, button %q", g, v.archive.Text)
	}
}

// TestGroupSettingsApprovals: an admin approves a member's suggested
// group, and lets people into an approval group or turns them down.
func TestGroupSettingsApprovals(t *testing.T) {
	h, c := adminHarness(t, "admin")
	sid := h.f.addSuggestion(c.ID, "Book club")
	h.drain()
	v := h.groupSettingsDialog(c.ID, sid)
	if !v.approve.Visible() || !strings.Contains(v.state.Text, "A member suggested this group") {
		t.Fatalf("suggestion: approve shown %v, state %q", v.approve.Visible(), v.state.Text)
	}
	test.Tap(v.approve)
	h.drain()
	if g, _ := h.a.findGroup(c.ID, sid); g.Suggested || v.approve.Visible() {
		t.Fatalf("not approved: %+v", g)
	}
	if slices.Contains(h.homeRows(), "# SUGGESTED GROUPS") {
		t.Fatalf("home %q", h.homeRows())
	}
	v.d.hide()

	gid := h.f.addGroup(c.ID, "Leaders", "approval", false)
	h.f.addGroupRequest(c.ID, gid, benID, "Ben")
	h.f.addGroupRequest(c.ID, gid, chloeID, "Chloe")
	h.drain()
	v = h.groupSettingsDialog(c.ID, gid)
	if !v.requestsBox.Visible() || len(v.requests.rows) != 2 {
		t.Fatalf("requests %q", requestTexts(v.requests))
	}
	test.Tap(v.requests.rows[0].approve)
	h.drain()
	if !slices.Contains(h.f.groupMemberIDs(c.ID, gid), benID) || len(v.requests.rows) != 1 {
		t.Fatalf("Ben not let in: %q", requestTexts(v.requests))
	}
	test.Tap(v.requests.rows[0].deny)
	if !strings.Contains(h.dialogText(), "Chloe will not join Leaders") {
		t.Fatalf("deny asks %q", h.dialogText())
	}
	h.confirm(h.a.lastDialog)
	if len(v.requests.rows) != 0 || slices.Contains(h.f.groupMemberIDs(c.ID, gid), chloeID) {
		t.Fatalf("after denying %q", requestTexts(v.requests))
	}
	// A request that arrives while the dialog is open shows up.
	h.f.addGroupRequest(c.ID, gid, devID, "Dev")
	h.drain()
	if got := requestTexts(v.requests); len(got) != 1 || !strings.HasPrefix(got[0], "Dev") {
		t.Fatalf("live request %q", got)
	}
}

// TestGroupSettingsFailures: a save the backend refuses says why and keeps
// the dialog; members are told to ask an admin.
func TestGroupSettingsFailures(t *testing.T) {
	h, c := adminHarness(t, "owner")
	gid := h.f.addGroup(c.ID, "Training", "open", true)
	h.drain()
	h.f.failNext("UpdateGroup", api.ErrKeysRenewing)
	v := h.groupSettingsDialog(c.ID, gid)
	v.name.SetText("")
	test.Type(v.name, "Training videos")
	test.Tap(v.save)
	if !v.d.open || !strings.HasPrefix(v.d.errLabel.Text, "Could not save Training: The group's keys are being renewed") || v.name.Text != "Training videos" {
		t.Fatalf("open %v, error %q", v.d.open, v.d.errLabel.Text)
	}
	v.name.SetText("")
	test.Tap(v.save)
	if v.d.errLabel.Text != "Give the group a name." {
		t.Fatalf("empty name: %q", v.d.errLabel.Text)
	}

	h, c = adminHarness(t, "member")
	h.a.showGroupSettings(c.ID, h.a.groups[1].ID)
	if _, ok := h.a.lastDialog.handles.(*groupSettingsView); ok || !strings.Contains(h.dialogText(), "Ask an admin of Glow Team") {
		t.Fatalf("a member sees %q", h.dialogText())
	}
}
