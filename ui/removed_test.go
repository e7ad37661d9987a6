package ui

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// removeSelf has an admin named by remove the local member from community
// cid, with the events a node emits when the removal arrives (groups
// first, then the community).
func (f *fakeBackend) removeSelf(cid crdt.ID, by string) {
	f.mu.Lock()
	c := f.comm(cid)
	c.info.Role, c.info.Removed, c.info.RemovedBy = "none", true, by
	c.members = slices.DeleteFunc(c.members, func(m api.Member) bool { return m.PeerID == f.self.PeerID })
	c.info.Members--
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventGroups, Community: cid})
	f.emit(api.Event{Kind: api.EventCommunities, Community: cid})
}

// TestRemovedBanner: when the removal of the local member arrives, the
// open group shows "You were removed from Glow Team by Olivia" in place of
// the composer and keeps what was said before; no group offers to be
// joined, the others open read-only too, and the rail says so.
func TestRemovedBanner(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	f.deliver(c.ID, h.a.group, "Ben", "Who is coming to Friday's training?", false)
	f.addGroup(c.ID, "Top sellers", "open", false)
	h.drain()
	cv := h.a.convo
	if !slices.Contains(cv.bottom.Objects, fyne.CanvasObject(cv.compose)) {
		t.Fatal("a member's open group has no composer")
	}

	f.removeSelf(c.ID, "Olivia")
	h.drain()
	if slices.Contains(cv.bottom.Objects, fyne.CanvasObject(cv.compose)) {
		t.Fatal("the composer is still shown after the removal")
	}
	banner := labelsText(cv.bottom)
	if !strings.Contains(banner, "You were removed from Glow Team by Olivia") || !strings.Contains(banner, "no longer write") {
		t.Fatalf("in place of the composer: %q", banner)
	}
	if got := h.shown(); len(got) != 1 || !strings.Contains(got[0], "Friday's training") {
		t.Fatalf("messages after the removal: %q", got)
	}
	if got := h.menu(0); slices.Contains(got, "React") || slices.Contains(got, "Reply") {
		t.Fatalf("a removed member's message menu: %v", got)
	}
	if !h.a.home.departed.Visible() || !strings.Contains(h.a.home.departed.Text, "removed from Glow Team by Olivia") {
		t.Fatalf("the community's home says %q (shown %v)", h.a.home.departed.Text, h.a.home.departed.Visible())
	}
	for _, r := range h.homeRows() {
		if strings.Contains(r, "<") {
			t.Fatalf("after the removal the home offers %q; rows %v", r, h.homeRows())
		}
	}
	if got := communityRole(h.a.communities[0]); got != "removed" {
		t.Fatalf("the rail says %q", got)
	}
	// Another group opens read-only, not as one to join.
	h.open("Product questions")
	if cv.joinCard != nil && slices.Contains(test.LaidOutObjects(cv.root), fyne.CanvasObject(cv.joinCard)) {
		t.Fatal("a group of the community the member was removed from offers to be joined")
	}
	if !strings.Contains(labelsText(cv.bottom), "removed from Glow Team by Olivia") {
		t.Fatalf("Product questions, in place of the composer: %q", labelsText(cv.bottom))
	}
}
