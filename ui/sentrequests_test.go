package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// TestRailShowsSentRequests: after asking to join a community that admits
// by approval, the rail shows it waiting for approval; when an admin
// declines, it says so, and Dismiss takes it away.
func TestRailShowsSentRequests(t *testing.T) {
	f := newFake()
	f.joinAsks = true
	h := newHarness(t, f)
	h.community("Glow Team", "member", 4, "General")
	if rail := h.railText(); strings.Contains(rail, "Waiting for approval") {
		t.Fatalf("before any request the rail shows %q", rail)
	}
	h.a.showJoin("umbrella://join/QQQQ")
	test.Tap(h.a.lastDialog.confirm)
	h.drain()
	h.a.lastDialog.hide()
	if rail := h.railText(); !strings.Contains(rail, "Joined Team | Waiting for approval") {
		t.Fatalf("a waiting request: the rail shows %q", rail)
	}
	cid := f.sent[0].Community
	f.declineSent(cid)
	h.drain()
	rail := strings.Join(screenTexts(h.a.rail.root), " ") // the notice wraps
	if !strings.Contains(rail, "Your request to join Joined Team was declined") || strings.Contains(rail, "Waiting for approval") {
		t.Fatalf("a declined request: the rail shows %q", rail)
	}
	var dismiss *widget.Button
	for _, o := range test.LaidOutObjects(h.a.rail.sent.box) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Dismiss" {
			dismiss = b
		}
	}
	if dismiss == nil {
		t.Fatal("a declined request has no Dismiss")
	}
	test.Tap(dismiss)
	if rail := h.railText(); strings.Contains(rail, "Joined Team") || f.calls["DismissRequest"] != 1 {
		t.Fatalf("after Dismiss: the rail shows %q, dismissed %d times", rail, f.calls["DismissRequest"])
	}
}
