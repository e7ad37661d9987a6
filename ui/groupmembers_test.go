package ui

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// leadersHarness opens Glow Team as role with a Team leaders group (by
// approval) that holds Olivia, the local member, and Ben, and shows its
// info pane.
func leadersHarness(t *testing.T, role string) (*harness, api.Community, crdt.ID) {
	t.Helper()
	h, c := adminHarness(t, role)
	gid := h.f.addGroup(c.ID, "Team leaders", "approval", false)
	h.f.setGroupMembers(c.ID, gid, h.f.self.PeerID, benID)
	h.drain()
	h.open("Team leaders")
	h.a.setInfoShown(true)
	return h, c, gid
}

// infoNames are the names the info pane lists.
func (h *harness) infoNames() []string {
	var out []string
	for _, m := range h.a.info.members {
		out = append(out, m.Name)
	}
	return out
}

// pickerNames are the picker's rows as shown, "[x] " when picked.
func (v *addMembersView) shownRows() []string {
	var out []string
	for _, o := range v.rows.Objects {
		c := o.(*widget.Check)
		mark := "[ ] "
		if c.Checked {
			mark = "[x] "
		}
		out = append(out, mark+c.Text)
	}
	return out
}

// TestAddMembersFromTheInfoPane: an admin opens Add members in a group's
// info pane, finds Chloe by name, picks her and adds her; she is in the
// group at once, and the picker no longer offers her.
func TestAddMembersFromTheInfoPane(t *testing.T) {
	h, c, gid := leadersHarness(t, "owner")
	if !h.a.info.add.Visible() {
		t.Fatal("an owner is not offered Add members")
	}
	if got := h.infoNames(); !slices.Equal(got, []string{"Olivia", "Ben"}) {
		t.Fatalf("info pane lists %q", got)
	}
	test.Tap(h.a.info.add)
	v, ok := h.a.lastDialog.handles.(*addMembersView)
	if !ok {
		t.Fatalf("Add members opened %T", h.a.lastDialog.handles)
	}
	if got := v.shownRows(); !slices.Equal(got, []string{"[ ] Chloe", "[ ] Dev"}) {
		t.Fatalf("picker rows %q", got)
	}
	if !v.add.Disabled() {
		t.Fatal("Add is enabled with nobody picked")
	}
	test.Type(v.search, "chl")
	if got := v.shownRows(); !slices.Equal(got, []string{"[ ] Chloe"}) {
		t.Fatalf("after searching chl: %q", got)
	}
	test.Tap(v.checks[chloeID])
	if v.add.Text != "Add 1 person" || v.add.Disabled() {
		t.Fatalf("Add button %q, disabled %v", v.add.Text, v.add.Disabled())
	}
	v.search.SetText("zzz")
	if !strings.Contains(v.more.Text, "Nobody of that name") {
		t.Fatalf("no match says %q", v.more.Text)
	}
	v.search.SetText("")
	if got := v.shownRows(); !slices.Equal(got, []string{"[x] Chloe", "[ ] Dev"}) {
		t.Fatalf("the pick does not survive the search: %q", got)
	}
	test.Tap(v.add)
	h.drain()
	if v.d.open {
		t.Fatalf("the picker stays open: %s", v.err.Text)
	}
	if got := h.f.groupMemberIDs(c.ID, gid); !slices.Contains(got, chloeID) || slices.Contains(got, devID) {
		t.Fatalf("group members %q", got)
	}
	if got := h.infoNames(); !slices.Equal(got, []string{"Olivia", "Ben", "Chloe"}) {
		t.Fatalf("info pane lists %q after the add", got)
	}
	cands, _ := h.f.GroupCandidates(c.ID, gid)
	if len(cands) != 1 || cands[0].Name != "Dev" {
		t.Fatalf("candidates after the add %+v", cands)
	}
	audit, _ := h.f.Audit(c.ID)
	if last := audit[len(audit)-1]; last.Action != "group.add" || last.TargetName != "Chloe" {
		t.Fatalf("audit %+v", last)
	}
}

// TestRemoveFromGroupInTheInfoPane: an admin's menu on a member row takes
// the member out of the group after saying what it means; the member
// stays in the community.
func TestRemoveFromGroupInTheInfoPane(t *testing.T) {
	h, c, gid := leadersHarness(t, "admin")
	ben := h.a.info.members[slices.IndexFunc(h.a.info.members, func(m api.Member) bool { return m.PeerID == benID })]
	var remove *fyne.MenuItem
	for _, it := range h.a.info.menuOf(ben) {
		if it.Label == "Remove from Team leaders" {
			remove = it
		}
	}
	if remove == nil {
		t.Fatalf("Ben's menu %q has no Remove from Team leaders", menuLabels(fyne.NewMenu("", h.a.info.menuOf(ben)...)))
	}
	remove.Action()
	if got := h.dialogText(); h.a.lastDialog.title != "Remove Ben from Team leaders?" || !strings.Contains(got, "They stay in Glow Team") {
		t.Fatalf("the confirmation %q says %q", h.a.lastDialog.title, got)
	}
	h.confirm(h.a.lastDialog)
	if got := h.f.groupMemberIDs(c.ID, gid); slices.Contains(got, benID) {
		t.Fatalf("Ben still in the group: %q", got)
	}
	if got := h.infoNames(); !slices.Equal(got, []string{"Olivia"}) {
		t.Fatalf("info pane lists %q after the removal", got)
	}
	if ms, _ := h.f.Members(c.ID); !slices.ContainsFunc(ms, func(m api.Member) bool { return m.PeerID == benID }) {
		t.Fatal("Ben left the community")
	}
	// Nobody removes themselves: their own row offers no such entry.
	for _, it := range h.a.info.menuOf(h.a.info.members[0]) {
		if strings.HasPrefix(it.Label, "Remove from Team") {
			t.Fatalf("own row offers %q", it.Label)
		}
	}
}

// TestGroupMembersNotOfferedToMembers: a member sees neither Add members
// nor Remove from the group.
func TestGroupMembersNotOfferedToMembers(t *testing.T) {
	h, _, _ := leadersHarness(t, "member")
	if h.a.info.add.Visible() {
		t.Fatal("a member is offered Add members")
	}
	for _, m := range h.a.info.members {
		for _, it := range h.a.info.menuOf(m) {
			if strings.HasPrefix(it.Label, "Remove from Team") {
				t.Fatalf("a member is offered %q on %s", it.Label, m.Name)
			}
		}
	}
}

// TestAddedToGroupNotification: the member hears that an admin added it,
// to a group it knew and to one it sees for the first time; never at the
// first look at a community, nor when it joined by itself.
func TestAddedToGroupNotification(t *testing.T) {
	h, c := adminHarness(t, "member")
	known := h.f.addGroup(c.ID, "Team leaders", "approval", false)
	h.drain()
	h.f.addedBy(c.ID, known, "Chloe")
	h.drain()
	fresh := h.f.addGroup(c.ID, "Top sellers", "approval", false)
	h.f.addedBy(c.ID, fresh, "Chloe")
	h.drain()
	want := []string{"Chloe added you to Team leaders | in Glow Team", "Chloe added you to Top sellers | in Glow Team"}
	if !slices.Equal(h.notified, want) {
		t.Fatalf("notifications %q, want %q", h.notified, want)
	}
	h.notified = nil
	h.f.addCommunity("Glow Customers", "member", 3) // its groups are all first seen
	h.drain()
	if len(h.notified) != 0 {
		t.Fatalf("notifications %q", h.notified)
	}
}

// TestGoldenGroupMembers renders the info pane of a group with Add members
// and the picker, light and dark.
func TestGoldenGroupMembers(t *testing.T) {
	for _, variant := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(variant.name, func(t *testing.T) {
			h, _, _ := leadersHarness(t, "owner")
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
			shot := func(name string) {
				img := h.w.Canvas().Capture()
				test.AssertImageMatches(t, name+"_"+variant.name+".png", img)
				writeScreenshot(t, name+"_"+variant.name+".png", img)
			}
			shot("group_members_info")
			test.Tap(h.a.info.add)
			v := h.a.lastDialog.handles.(*addMembersView)
			test.Tap(v.checks[chloeID])
			shot("group_members_picker")
		})
	}
}
