package ui

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Fake people's peer ids (fake_test.go's fakePeople).
const (
	benID   = "12D3KooWFakePeerIdOfBen"
	chloeID = "12D3KooWFakePeerIdOfChloe"
	devID   = "12D3KooWFakePeerIdOfDev"
)

// adminHarness opens community Glow Team, where the local member Olivia
// has role and Ben, Chloe and Dev are members. Backend events reach the
// open admin dialogs as they will once App.handle calls adminEvent.
func adminHarness(t *testing.T, role string) (*harness, api.Community) {
	t.Helper()
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", role, 4, "")
	return h, c
}

// membersDialog opens the members dialog and returns its view.
func (h *harness) membersDialog(cid crdt.ID) *membersView {
	h.t.Helper()
	h.a.showMembers(cid)
	v, ok := h.a.lastDialog.handles.(*membersView)
	if !ok {
		h.t.Fatalf("the members dialog has handles %T", h.a.lastDialog.handles)
	}
	return v
}

// rowOf is the shown row of the member called name.
func (v *membersView) rowOf(t testing.TB, name string) *memberRow {
	t.Helper()
	for _, r := range v.rows {
		if r.m.Name == name && v.rows[r.item] == r {
			return r
		}
	}
	t.Fatalf("no row for %s; rows: %q", name, v.shownRows())
	return nil
}

// hasRow reports whether a row of the member called name is shown.
func (v *membersView) hasRow(name string) bool {
	return slices.ContainsFunc(v.shownRows(), func(s string) bool { return strings.HasPrefix(s, name+" ") })
}

// memberMenu taps the menu button of name's row and returns its labels.
func (h *harness) memberMenu(v *membersView, name string) []string {
	h.t.Helper()
	r := v.rowOf(h.t, name)
	if !r.menu.Visible() {
		h.t.Fatalf("%s's row has no menu", name)
	}
	v.lastMenu = nil
	test.Tap(r.menu)
	return menuLabels(v.lastMenu)
}

// memberAction chooses label in name's menu and returns the confirmation
// dialog it opens.
func (h *harness) memberAction(v *membersView, name, label string) *dlg {
	h.t.Helper()
	h.memberMenu(v, name)
	before := h.a.lastDialog
	h.choose(v.lastMenu, label)
	if h.a.lastDialog == before {
		h.t.Fatalf("%s on %s asked nothing", label, name)
	}
	return h.a.lastDialog
}

// confirm taps the confirmation's main button and handles the events.
func (h *harness) confirm(d *dlg) {
	h.t.Helper()
	test.Tap(d.confirm)
	h.drain()
}

// TestMembersPromoteAndDemote: an owner makes Ben an admin after saying
// what it means; the list shows it; then dismisses him.
func TestMembersPromoteAndDemote(t *testing.T) {
	h, c := adminHarness(t, "owner")
	v := h.membersDialog(c.ID)
	if got := v.rowOf(t, "Olivia").text(); !strings.Contains(got, "Leader") || !strings.Contains(got, "05823 11947") {
		t.Fatalf("own row %q", got)
	}
	if got := h.memberMenu(v, "Ben"); !slices.Equal(got, []string{"Message privately", "Make admin", "Make co-leader", "Remove from Glow Team"}) {
		t.Fatalf("owner's menu for a member: %q", got)
	}
	d := h.memberAction(v, "Ben", "Make admin")
	if got := h.dialogText(); !strings.Contains(got, "Ben will be able to invite and remove people") {
		t.Fatalf("confirmation says %q", got)
	}
	h.confirm(d)
	if got := v.rowOf(t, "Ben").text(); !strings.HasPrefix(got, "Ben · invited by Olivia · Admin") {
		t.Fatalf("after promoting, Ben's row is %q", got)
	}
	if got := h.memberMenu(v, "Ben"); !slices.Equal(got, []string{"Message privately", "Make co-leader", "Dismiss as admin", "Remove from Glow Team"}) {
		t.Fatalf("owner's menu for an admin: %q", got)
	}
	d = h.memberAction(v, "Ben", "Dismiss as admin")
	if got := h.dialogText(); !strings.Contains(got, "Ben stays in Glow Team as a member") {
		t.Fatalf("confirmation says %q", got)
	}
	h.confirm(d)
	if got := v.rowOf(t, "Ben").text(); strings.Contains(got, "Admin") {
		t.Fatalf("after dismissing, Ben's row is %q", got)
	}
	if !v.d.open {
		t.Fatal("the members dialog closed")
	}
}

// TestMembersCoOwnerIsForever: making a co-leader (owner) says it cannot be
// undone, and afterwards nobody can act on them.
func TestMembersCoOwnerIsForever(t *testing.T) {
	h, c := adminHarness(t, "owner")
	v := h.membersDialog(c.ID)
	d := h.memberAction(v, "Chloe", "Make co-leader")
	if got := h.dialogText(); !strings.Contains(got, "This cannot be undone") {
		t.Fatalf("confirmation says %q", got)
	}
	h.confirm(d)
	r := v.rowOf(t, "Chloe")
	if got := h.memberMenu(v, "Chloe"); !strings.Contains(r.text(), "Leader") || !slices.Equal(got, []string{"Message privately"}) {
		t.Fatalf("co-leader row %q, menu %q", r.text(), got)
	}
}

// TestMembersRemoveAsksFirst: removing says what it means; cancelling
// keeps Ben; confirming removes him from the list.
func TestMembersRemoveAsksFirst(t *testing.T) {
	h, c := adminHarness(t, "admin")
	v := h.membersDialog(c.ID)
	d := h.memberAction(v, "Ben", "Remove from Glow Team")
	if got := h.dialogText(); !strings.Contains(got, "Ben leaves every group and can no longer read new messages") {
		t.Fatalf("confirmation says %q", got)
	}
	test.Tap(d.cancel)
	h.drain()
	if !v.hasRow("Ben") || h.f.calls["RemoveMember"] != 0 {
		t.Fatalf("cancel removed Ben: rows %q", v.shownRows())
	}
	h.confirm(h.memberAction(v, "Ben", "Remove from Glow Team"))
	if v.hasRow("Ben") {
		t.Fatalf("Ben still listed: %q", v.shownRows())
	}
	if got := v.count.Text; !strings.HasPrefix(got, "3 members") {
		t.Fatalf("count %q", got)
	}
}

// TestMemberActionsFollowRules: what each rank may do to each other rank
// (crdt's rules, through the backend's flags), as the members menu and
// the info pane offer it: an admin is never offered making a co-leader,
// nobody is offered acting on an owner.
func TestMemberActionsFollowRules(t *testing.T) {
	remove := "Remove from Glow Team"
	for _, tc := range memberRuleCases(remove) {
		t.Run(tc.name, func(t *testing.T) {
			h, c := adminHarness(t, tc.me)
			h.f.setRoleOf(c.ID, benID, tc.target)
			if got := menuLabels(fyne.NewMenu("", h.a.memberActions(c.ID, h.member(c.ID, benID))...)); !slices.Equal(got, tc.want) {
				t.Fatalf("actions %q, want %q", got, tc.want)
			}
			if got := h.a.memberActions(c.ID, h.member(c.ID, h.f.self.PeerID)); len(got) != 0 {
				t.Fatalf("actions on oneself: %d", len(got))
			}
		})
	}
}

// memberRuleCases are what each rank is offered on each other rank.
func memberRuleCases(remove string) []struct {
	name, me, target string
	want             []string
} {
	return []struct {
		name, me, target string
		want             []string
	}{
		{"owner on member", "owner", "member", []string{"Make admin", "Make co-leader", remove}},
		{"owner on admin", "owner", "admin", []string{"Make co-leader", "Dismiss as admin", remove}},
		{"owner on owner", "owner", "owner", nil},
		{"admin on member", "admin", "member", []string{"Make admin", remove}},
		{"admin on admin", "admin", "admin", []string{"Dismiss as admin", remove}},
		{"admin on owner", "admin", "owner", nil},
		{"member on member", "member", "member", nil},
		{"member on admin", "member", "admin", nil},
		{"member on owner", "member", "owner", nil},
	}
}

// TestMemberActionsAreWhatTheBackendAllows: the fake backend refuses
// exactly what the menu does not offer (both ask crdt), so the screens'
// tests cannot pass on rules of the fake's own. The fake used to let an
// admin make a co-leader and an owner change another owner's role.
func TestMemberActionsAreWhatTheBackendAllows(t *testing.T) {
	remove := "Remove from Glow Team"
	give := map[string]string{"Make admin": "admin", "Make co-leader": "owner", "Dismiss as admin": "member"}
	for _, tc := range memberRuleCases(remove) {
		t.Run(tc.name, func(t *testing.T) {
			h, c := adminHarness(t, tc.me)
			for label, role := range give {
				h.f.setRoleOf(c.ID, benID, tc.target)
				err := h.f.SetRole(t.Context(), c.ID, benID, role)
				if offered := slices.Contains(tc.want, label); offered != (err == nil) {
					t.Errorf("%s: offered %v, the backend says %v", label, offered, err)
				}
			}
			h.f.setRoleOf(c.ID, benID, tc.target)
			err := h.f.RemoveMember(t.Context(), c.ID, benID)
			if offered := slices.Contains(tc.want, remove); offered != (err == nil) {
				t.Errorf("remove: offered %v, the backend says %v", offered, err)
			}
		})
	}
}

// member is the member with peerID as the backend lists it.
func (h *harness) member(cid crdt.ID, peerID string) api.Member {
	h.t.Helper()
	ms, err := h.f.Members(cid)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, m := range ms {
		if m.PeerID == peerID {
			return m
		}
	}
	h.t.Fatalf("no member %s", peerID)
	return api.Member{}
}

// TestMembersMemberSeesNoAdminActions: a member's menus only message
// privately and there is no invite button, and an admin's menu on owners
// has nothing else either.
func TestMembersMemberSeesNoAdminActions(t *testing.T) {
	h, c := adminHarness(t, "member")
	v := h.membersDialog(c.ID)
	if len(v.rows) != 4 {
		t.Fatalf("rows %q", v.shownRows())
	}
	for _, r := range v.rows {
		if r.m.PeerID == h.f.self.PeerID {
			if r.menu.Visible() {
				t.Fatal("a member sees a menu on itself")
			}
			continue
		}
		if got := h.memberMenu(v, r.m.Name); !slices.Equal(got, []string{"Message privately"}) {
			t.Fatalf("a member's menu on %s: %q", r.m.Name, got)
		}
	}
	if v.invite != nil || strings.Contains(h.dialogText(), "Invite people") {
		t.Fatal("a member is offered to invite")
	}

	h, c = adminHarness(t, "admin")
	h.f.setRoleOf(c.ID, benID, "owner")
	h.drain()
	v = h.membersDialog(c.ID)
	if got := h.memberMenu(v, "Ben"); !slices.Equal(got, []string{"Message privately"}) || !strings.Contains(v.rowOf(t, "Ben").text(), "Leader") {
		t.Fatalf("an admin's menu on %q: %q", v.rowOf(t, "Ben").text(), got)
	}
	if r := v.rowOf(t, "Chloe"); !r.menu.Visible() {
		t.Fatal("an admin has no menu on a member")
	}
}

// TestMembersFollowBackendEvents: another admin's promotion shows in the
// open dialog when its event arrives.
func TestMembersFollowBackendEvents(t *testing.T) {
	h, c := adminHarness(t, "owner")
	v := h.membersDialog(c.ID)
	h.f.setRoleOf(c.ID, devID, "admin")
	h.drain()
	if got := v.rowOf(t, "Dev").text(); !strings.HasPrefix(got, "Dev · invited by Olivia · Admin") {
		t.Fatalf("Dev's row %q", got)
	}
}

// TestMembersManyAndSearch: 5,000 members are listed with a few row
// widgets, and the search finds one by name.
func TestMembersManyAndSearch(t *testing.T) {
	h, c := adminHarness(t, "owner")
	h.f.addMembers(c.ID, 5000)
	h.drain()
	v := h.membersDialog(c.ID)
	if len(v.shown) != 5004 || !strings.HasPrefix(v.count.Text, "5004 members") {
		t.Fatalf("%d shown, count %q", len(v.shown), v.count.Text)
	}
	if n := len(v.byObject); n == 0 || n > 40 {
		t.Fatalf("%d row widgets for 5,004 members", n)
	}
	test.Type(v.search, "distributor 4321")
	if v.count.Text != "1 of 5004 members" || !v.hasRow("Distributor 4321") || len(v.shownRows()) != 1 {
		t.Fatalf("search: count %q, rows %q", v.count.Text, v.shownRows())
	}
	v.search.SetText("admin")
	v.search.SetText("Nobody by this name")
	if !v.empty.Visible() || !strings.Contains(v.empty.Text, "No member matches") {
		t.Fatalf("no match says %q", v.empty.Text)
	}
}

// TestMembersSafetyNumbersOnDemand: a big community's list comes without
// most safety numbers; the rows shown ask for theirs and show them once
// known, and only those are computed, not the 5,000.
func TestMembersSafetyNumbersOnDemand(t *testing.T) {
	h, c := adminHarness(t, "owner")
	h.f.addMembersUnnumbered(c.ID, 5000)
	h.drain()
	var later []func()
	h.a.spawn = func(fn func()) { later = append(later, fn) }
	v := h.membersDialog(c.ID)
	if got := v.rowOf(t, "Distributor 0001").text(); !strings.Contains(got, "working it out") {
		t.Fatalf("before its number is known, the row says %q", got)
	}
	if len(later) == 0 || len(later) > 40 {
		t.Fatalf("%d safety numbers asked for with a few rows shown", len(later))
	}
	for len(later) > 0 {
		fn := later[0]
		later = later[1:]
		fn()
	}
	if got := v.rowOf(t, "Distributor 0001").text(); !strings.Contains(got, "00001 11111 22222") {
		t.Fatalf("once its number is known, the row says %q", got)
	}
	if n := h.f.safetyAsked; n == 0 || n > 40 {
		t.Fatalf("%d safety numbers computed for a few rows shown", n)
	}
	if got := v.rowOf(t, "Ben").text(); !strings.Contains(got, "71630 02294") {
		t.Fatalf("a number the list gave: %q", got)
	}
}

// TestMembersFailures: a refused promotion says why and leaves the list as
// it was; a list that cannot be read says why.
func TestMembersFailures(t *testing.T) {
	h, c := adminHarness(t, "owner")
	v := h.membersDialog(c.ID)
	h.f.failNext("SetRole", api.ErrKeysRenewing)
	h.confirm(h.memberAction(v, "Ben", "Make admin"))
	if got := h.dialogText(); !strings.Contains(got, "keys are being renewed") {
		t.Fatalf("error says %q", got)
	}
	if !v.d.open || strings.Contains(v.rowOf(t, "Ben").text(), "Admin") {
		t.Fatal("the failed promotion shows as done")
	}

	h.f.failNext("Members", errors.New("the database is locked"))
	v = h.membersDialog(c.ID)
	if !v.d.errLabel.Visible() || !strings.Contains(v.d.errLabel.Text, "Could not list the members: The database is locked") {
		t.Fatalf("error label %q", v.d.errLabel.Text)
	}
}
