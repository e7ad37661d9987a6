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

// requestsDialog opens the join requests and returns its view.
func (h *harness) requestsDialog(cid crdt.ID) *requestsView {
	h.t.Helper()
	h.a.showRequests(cid)
	return h.a.lastDialog.handles.(*requestsView)
}

// requestTexts is the text of a request list's rows.
func requestTexts(l *requestList) []string {
	var out []string
	for _, r := range l.rows {
		out = append(out, r.text())
	}
	return out
}

// TestRequestsApproveAndDeny: approving lets Maria in (she is then among
// the members); denying asks first, then Sam's request is gone.
func TestRequestsApproveAndDeny(t *testing.T) {
	h, c := adminHarness(t, "owner")
	h.f.setSettings(c.ID, api.Settings{Name: "Glow Team", JoinPolicy: "approval", MembersCreateGroups: true})
	h.f.addRequest(c.ID, "Maria")
	h.f.addRequest(c.ID, "Sam")
	h.drain()
	v := h.requestsDialog(c.ID)
	if got := requestTexts(v.list); !slices.Equal(got, []string{"Maria · Asked Nov 25, 09:30 <Deny> <Approve>", "Sam · Asked Nov 25, 09:30 <Deny> <Approve>"}) {
		t.Fatalf("requests %q", got)
	}
	if !strings.Contains(v.intro.Text, "Let in only people you know") {
		t.Fatalf("intro %q", v.intro.Text)
	}
	test.Tap(v.list.rows[0].approve)
	h.drain()
	if got := requestTexts(v.list); len(got) != 1 || !strings.HasPrefix(got[0], "Sam") {
		t.Fatalf("after approving Maria: %q", got)
	}
	test.Tap(v.list.rows[0].deny)
	if got := h.dialogText(); !strings.Contains(got, "Sam will not join Glow Team") {
		t.Fatalf("deny asks %q", got)
	}
	test.Tap(h.a.lastDialog.cancel)
	if len(v.list.rows) != 1 || h.f.calls["DecideJoin"] != 1 {
		t.Fatal("cancelling denied Sam")
	}
	test.Tap(v.list.rows[0].deny)
	h.confirm(h.a.lastDialog)
	if len(v.list.rows) != 0 || !strings.Contains(labelsText(v.list.box), "Nobody is waiting to join Glow Team.") {
		t.Fatalf("after denying: %q", labelsText(v.list.box))
	}
	m := h.membersDialog(c.ID)
	if !m.hasRow("Maria") || m.hasRow("Sam") {
		t.Fatalf("members %q", m.shownRows())
	}
}

// TestRequestsLinkPolicyAndFailure: with link joining, the dialog says so;
// a decision that fails says why and keeps the request.
func TestRequestsLinkPolicyAndFailure(t *testing.T) {
	h, c := adminHarness(t, "admin")
	h.f.addRequest(c.ID, "Maria")
	h.drain()
	v := h.requestsDialog(c.ID)
	if !strings.Contains(v.intro.Text, "anyone with an invite link joins Glow Team straight away") {
		t.Fatalf("intro %q", v.intro.Text)
	}
	h.f.failNext("DecideJoin", api.ErrNoPeer)
	test.Tap(v.list.rows[0].approve)
	h.drain()
	if e := v.d.errLabel; !e.Visible() || !strings.HasPrefix(e.Text, "Could not approve Maria: Could not reach anyone") {
		t.Fatalf("error %q", e.Text)
	}
	if len(v.list.rows) != 1 || !v.d.open {
		t.Fatal("the failed approval removed the request")
	}
	h.f.failNext("JoinRequests", errors.New("the database is locked"))
	v = h.requestsDialog(c.ID)
	if got := labelsText(v.list.box); !strings.Contains(got, "Could not list the requests: The database is locked") {
		t.Fatalf("list says %q", got)
	}
}
