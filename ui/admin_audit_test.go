package ui

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// auditDialog opens the audit log and returns its view.
func (h *harness) auditDialog(cid crdt.ID) *auditView {
	h.t.Helper()
	h.a.showAudit(cid)
	return h.a.lastDialog.handles.(*auditView)
}

// TestAuditShowsActions: what an admin did through these screens is in
// the log, newest first, as sentences.
func TestAuditShowsActions(t *testing.T) {
	h, c := adminHarness(t, "owner")
	v := h.membersDialog(c.ID)
	h.confirm(h.memberAction(v, "Chloe", "Make admin"))
	h.confirm(h.memberAction(v, "Ben", "Remove from Glow Team"))
	v.d.hide()
	iv := h.inviteDialog(c.ID)
	h.createInvite(iv, "1 day", "")
	test.Tap(iv.rows[0].revoke)
	h.confirm(h.a.lastDialog)
	iv.d.hide()
	h.f.addRequest(c.ID, "Maria")
	h.drain()
	rv := h.requestsDialog(c.ID)
	test.Tap(rv.list.rows[0].approve)
	h.drain()
	rv.d.hide()
	gv := h.createGroupDialog(c.ID)
	test.Type(gv.name, "Training")
	test.Tap(gv.create)
	h.drain()
	h.a.showCommunitySettings(c.ID)
	test.Tap(h.a.lastDialog.handles.(*settingsView).save)
	h.drain()

	a := h.auditDialog(c.ID)
	want := []string{
		"Nov 25, 09:30 — Olivia changed the community settings",
		"Nov 25, 09:30 — Olivia created the group Training",
		"Nov 25, 09:30 — Olivia approved Maria's request to join",
		"Nov 25, 09:30 — Olivia revoked an invite link",
		"Nov 25, 09:30 — Olivia removed Ben",
		"Nov 25, 09:30 — Olivia promoted Chloe to admin",
	}
	if !slices.Equal(a.lines, want) {
		t.Fatalf("audit log\n%q\nwant\n%q", a.lines, want)
	}
	if a.list.Length() != len(want) || a.empty.Visible() {
		t.Fatal("the list does not show the entries")
	}
}

// TestAuditSentences: every action the audit log can hold reads as a
// sentence; an unknown one names its action.
func TestAuditSentences(t *testing.T) {
	gid := crdt.ID{7}
	groups := map[crdt.ID]string{gid: "Training"}
	when := func(tm time.Time) string { return tm.UTC().Format("Jan 2, 15:04") }
	e := func(action, target string, object *crdt.ID, typed ...func(*api.AuditEntry)) api.AuditEntry {
		out := api.AuditEntry{Action: action, ActorName: "Olivia", TargetName: target, Object: object}
		for _, f := range typed {
			f(&out)
		}
		return out
	}
	role := func(r string) func(*api.AuditEntry) { return func(e *api.AuditEntry) { e.Role = r } }
	approved := func(e *api.AuditEntry) { e.Approved = true }
	name := func(n string) func(*api.AuditEntry) { return func(e *api.AuditEntry) { e.Name = n } }
	pinned := func(e *api.AuditEntry) { e.Pinned = true }
	limits := func(expires int64, uses int) func(*api.AuditEntry) {
		return func(e *api.AuditEntry) {
			t := time.Unix(expires, 0)
			e.Expires, e.MaxUses = &t, uses
		}
	}
	for _, tc := range []struct {
		e    api.AuditEntry
		want string
	}{
		{e("member.remove", "Ben", nil), "Olivia removed Ben"},
		{e("member.role", "Chloe", nil, role("admin")), "Olivia promoted Chloe to admin"},
		{e("member.role", "Chloe", nil, role("owner")), "Olivia made Chloe a co-leader"},
		{e("member.role", "Chloe", nil, role("member")), "Olivia dismissed Chloe as admin"},
		{e("member.add", "Dev", nil, role("member")), "Olivia added Dev"},
		{e("member.add", "Dev", nil, role("admin")), "Olivia added Dev as an admin"},
		{e("join.decide", "Dev", nil, approved), "Olivia approved Dev's request to join"},
		{e("join.decide", "Dev", nil), "Olivia turned down Dev's request to join"},
		{e("group.decide", "Ben", &gid, approved), "Olivia let Ben into Training"},
		{e("group.decide", "Ben", &gid), "Olivia turned down Ben's request to join Training"},
		{e("group.add", "Ben", &gid), "Olivia added Ben to Training"},
		{e("group.remove", "Ben", &gid, name("Team leaders")), "Olivia removed Ben from Team leaders"},
		{e("invite", "", nil, limits(1764666600, 3)), "Olivia created an invite link (works until Dec 2, 09:10, for up to 3 people)"},
		{e("invite", "", nil), "Olivia created an invite link (no expiry, no limit)"},
		{e("invite.revoke", "", nil), "Olivia revoked an invite link"},
		{e("settings", "", nil, name("Glow Team")), "Olivia changed the community settings"},
		{e("deactivate", "", nil), "Olivia closed the community for good"},
		{e("group.create", "", &gid, name("Training")), "Olivia created the group Training"},
		{e("group.update", "", &gid, name("Training videos")), "Olivia changed the group Training videos"},
		{e("delete", "Ben", nil), "Olivia deleted a message by Ben"},
		{e("poll.close", "Ben", nil), "Olivia closed a poll by Ben"},
		{e("pin", "", nil, pinned), "Olivia pinned a message"},
		{e("pin", "", nil), "Olivia unpinned a message"},
		{e("kind(42)", "Ben", nil), "Olivia did “kind(42)” to Ben"},
		{api.AuditEntry{Action: "member.remove"}, "An admin removed someone"},
	} {
		if got := auditSentence(tc.e, groups, when); got != tc.want {
			t.Errorf("%s %+v: %q, want %q", tc.e.Action, tc.e, got, tc.want)
		}
	}
	// Every kind crdt knows that the audit log can list has its sentence.
	audited := map[crdt.Kind]bool{crdt.KindInvite: true, crdt.KindGroupCreate: true, crdt.KindSettings: true,
		crdt.KindDeactivate: true, crdt.KindDecide: true, crdt.KindAdd: true, crdt.KindRemove: true, crdt.KindRole: true,
		crdt.KindInviteRevoke: true, crdt.KindGroupUpdate: true, crdt.KindGroupDecide: true, crdt.KindDelete: true,
		crdt.KindPollClose: true, crdt.KindPin: true, crdt.KindGroupAdd: true, crdt.KindGroupRemove: true}
	for k := range audited {
		if got := auditSentence(e(k.String(), "Ben", nil), groups, when); strings.Contains(got, "did “") {
			t.Errorf("kind %s has no sentence: %q", k, got)
		}
	}
}

// TestAuditEventsAndFailure: an entry arriving while the log is open shows
// at the top; a log that cannot be read says why.
func TestAuditEventsAndFailure(t *testing.T) {
	h, c := adminHarness(t, "admin")
	v := h.auditDialog(c.ID)
	if !v.empty.Visible() || len(v.lines) != 0 {
		t.Fatalf("empty log shows %q", v.lines)
	}
	h.f.addAudit(c.ID, api.AuditEntry{Action: "pin", ActorName: "Chloe", Pinned: true, Time: h.a.now().Add(time.Minute)})
	h.drain()
	if len(v.lines) != 1 || v.lines[0] != "Nov 25, 09:31 — Chloe pinned a message" || v.empty.Visible() {
		t.Fatalf("log %q", v.lines)
	}
	h.f.failNext("Audit", errors.New("the database is locked"))
	v = h.auditDialog(c.ID)
	if !v.errText.Visible() || v.errText.Text != "Could not read the audit log: The database is locked" {
		t.Fatalf("error %q", v.errText.Text)
	}
}
