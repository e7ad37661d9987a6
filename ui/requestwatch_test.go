package ui

import (
	"context"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// railText joins what the rail shows.
func (h *harness) railText() string { return strings.Join(screenTexts(h.a.rail.root), " | ") }

// askToJoinGroup records name's request to join group gid, as the
// backend would on receiving it.
func (f *fakeBackend) askToJoinGroup(cid, gid crdt.ID, name string) {
	f.mu.Lock()
	_, g, _ := f.group(cid, gid)
	g.requests = append(g.requests, api.JoinRequest{PeerID: "12D3KooWFakeRequester" + name, Name: name, Time: f.clock})
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventGroups, Community: cid})
}

// TestJoinRequestSeenByAdmins: a request to join the community notifies
// its admins and shows, counted, in the community's home and the rail;
// reviewing it from the home and approving it clears both.
func TestJoinRequestSeenByAdmins(t *testing.T) {
	h, c := adminHarness(t, "owner")
	h.f.setSettings(c.ID, api.Settings{Name: "Glow Team", JoinPolicy: "approval"})
	h.drain()
	if h.a.home.requestsBtn.Visible() || len(h.notified) != 0 {
		t.Fatalf("before any request: requests shown %v, notifications %q", h.a.home.requestsBtn.Visible(), h.notified)
	}
	peer := h.f.addRequest(c.ID, "Zoe")
	h.drain()
	if !slices.ContainsFunc(h.notified, func(s string) bool {
		return strings.HasPrefix(s, "Request to join Glow Team | Zoe asks to join Glow Team")
	}) {
		t.Fatalf("notifications %q; want one for Zoe's request", h.notified)
	}
	if !h.a.home.requestsBtn.Visible() || h.a.home.requestsBtn.Text != "1 request to join · review" {
		t.Fatalf("the home shows requests %v %q", h.a.home.requestsBtn.Visible(), h.a.home.requestsBtn.Text)
	}
	if rail := h.railText(); !strings.Contains(rail, "Glow Team | Leader · 1 request | GT | 1 |") {
		t.Fatalf("the rail shows %q; want Glow Team's request counted", rail)
	}
	test.Tap(h.a.home.requestsBtn)
	if _, ok := h.a.lastDialog.handles.(*requestsView); !ok {
		t.Fatalf("reviewing opened %T, not the join requests", h.a.lastDialog.handles)
	}
	h.a.lastDialog.hide()
	if err := h.f.DecideJoin(context.Background(), c.ID, peer, true); err != nil {
		t.Fatal(err)
	}
	h.drain()
	if h.a.home.requestsBtn.Visible() || strings.Contains(h.railText(), "request") {
		t.Fatalf("after approving: home requests shown %v, rail %q", h.a.home.requestsBtn.Visible(), h.railText())
	}
	if len(h.notified) != 1 {
		t.Fatalf("notifications %q; want only Zoe's request", h.notified)
	}
}

// TestGroupRequestSeenByAdmins: a request to join an approval group
// notifies the admins and shows on the group's row and in the home.
func TestGroupRequestSeenByAdmins(t *testing.T) {
	h, c := adminHarness(t, "owner")
	gid := h.f.addGroup(c.ID, "Leaders circle", "approval", false)
	h.drain()
	h.f.askToJoinGroup(c.ID, gid, "Dev")
	h.drain()
	if !slices.ContainsFunc(h.notified, func(s string) bool {
		return strings.HasPrefix(s, "Request to join Leaders circle | Dev asks to join Leaders circle in Glow Team")
	}) {
		t.Fatalf("notifications %q; want one for Dev's request", h.notified)
	}
	row := h.a.home.rows[gid]
	if row == nil || !strings.HasPrefix(richString(row.detail), "1 request to join · ") {
		t.Fatalf("the group's row says %q", richString(row.detail))
	}
	if h.a.home.requestsBtn.Text != "1 request to join · review" {
		t.Fatalf("the home's requests say %q", h.a.home.requestsBtn.Text)
	}
}

// TestRequestsNotShownToMembers: a member who may not decide requests is
// neither notified nor shown them.
func TestRequestsNotShownToMembers(t *testing.T) {
	h, c := adminHarness(t, "member")
	h.f.addRequest(c.ID, "Zoe")
	h.drain()
	if len(h.notified) != 0 || h.a.home.requestsBtn.Visible() || strings.Contains(h.railText(), "request") {
		t.Fatalf("a member sees requests: notifications %q, home %v, rail %q", h.notified, h.a.home.requestsBtn.Visible(), h.railText())
	}
}

// TestAdminsJoinApprovalGroupsDirectly: an admin is offered Join, not Ask
// to join, on a group that admits by approval, and joining opens it at
// once; a member is offered Ask to join and told the request was sent.
// The offer is crdt's (api.Group.CanJoinDirectly, CanAskToJoin).
func TestAdminsJoinApprovalGroupsDirectly(t *testing.T) {
	for _, tc := range []struct {
		role, button string
		joined       bool
	}{{"admin", "Join", true}, {"member", "Ask to join", false}} {
		t.Run(tc.role, func(t *testing.T) {
			h, c := adminHarness(t, tc.role)
			gid := h.f.addGroup(c.ID, "Leaders circle", "approval", false)
			h.drain()
			row := h.a.home.rows[gid]
			if row == nil || row.action == nil || row.action.Text != tc.button {
				t.Fatalf("the home shows %q; want Leaders circle <%s>", h.homeRows(), tc.button)
			}
			test.Tap(row.action)
			h.drain()
			var g api.Group
			for _, x := range h.a.groups {
				if x.ID == gid {
					g = x
				}
			}
			if g.Joined != tc.joined {
				t.Fatalf("after %s: joined %v, want %v", tc.button, g.Joined, tc.joined)
			}
			sent := h.a.lastDialog != nil && h.a.lastDialog.title == "Request sent"
			if sent == tc.joined {
				t.Fatalf("after %s: told a request was sent: %v", tc.button, sent)
			}
		})
	}
}

// denyGroupRequest has an admin deny peerID's request to join group gid.
func (f *fakeBackend) denyGroupRequest(cid, gid crdt.ID, peerID string) {
	f.mu.Lock()
	_, g, _ := f.group(cid, gid)
	g.requests = slices.DeleteFunc(g.requests, func(r api.JoinRequest) bool { return r.PeerID == peerID })
	g.denied = append(g.denied, peerID)
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventGroups, Community: cid})
}

// groupDetail is what the home's row of group gid says under its name.
func (h *harness) groupDetail(gid crdt.ID) string {
	h.t.Helper()
	r := h.a.home.rows[gid]
	if r == nil {
		h.t.Fatalf("no row for the group; the home shows %q", h.homeRows())
	}
	return richString(r.detail)
}

// TestGroupRequestWaitingThenDenied: after asking to join, the group's
// row says it waits for approval; when an admin denies the request the
// member is notified and the row says so, with Ask to join again.
func TestGroupRequestWaitingThenDenied(t *testing.T) {
	h, c := adminHarness(t, "member")
	gid := h.f.addGroup(c.ID, "Leaders circle", "approval", false)
	h.drain()
	test.Tap(h.a.home.rows[gid].action)
	h.drain()
	if got := h.groupDetail(gid); got != "Waiting for approval" {
		t.Fatalf("after asking, the row says %q", got)
	}
	if r := h.a.home.rows[gid]; r.action != nil {
		t.Fatalf("while waiting the row offers %q", r.action.Text)
	}
	h.f.denyGroupRequest(c.ID, gid, h.f.self.PeerID)
	h.drain()
	if !slices.Contains(h.notified, "Request declined | An admin of Glow Team declined your request to join Leaders circle.") {
		t.Fatalf("notifications %q; want the denial", h.notified)
	}
	if got := h.groupDetail(gid); got != "An admin declined your request" {
		t.Fatalf("after the denial, the row says %q", got)
	}
	if r := h.a.home.rows[gid]; r.action == nil || r.action.Text != "Ask to join" {
		t.Fatalf("after the denial the home shows %q; want Ask to join again", h.homeRows())
	}
}
