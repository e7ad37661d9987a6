package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// Bug 4 of issue 17: widgets clipped or drawn over each other, checked by
// where the rendered objects lie and what text they show.

// absRect is where o lies on its window's canvas.
func absRect(o fyne.CanvasObject) (fyne.Position, fyne.Position) {
	p := fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
	return p, p.Add(fyne.NewPos(o.Size().Width, o.Size().Height))
}

// overlaps says whether two rectangles share more than an edge.
func overlaps(a0, a1, b0, b1 fyne.Position) bool {
	return a0.X < b1.X && b0.X < a1.X && a0.Y < b1.Y && b0.Y < a1.Y
}

// TestSeeVotesShowsEveryVoter: a poll option's voters wrap onto as many
// lines as they take, each inside the dialog (they were one line, cut).
func TestSeeVotesShowsEveryVoter(t *testing.T) {
	h := newHarness(t, newFake())
	c := h.community("Glow Team", "owner", 40, "General")
	pid, _ := h.f.CreatePoll(context.Background(), c.ID, h.a.group, "Which day suits the training call?", []string{"Monday", "Friday"}, false, h.f.clock.Add(48*time.Hour))
	var names []string
	for i := range 30 {
		n := fmt.Sprintf("Distributor %02d", i)
		names = append(names, n)
		h.f.voteAs(c.ID, h.a.group, pid, n, 0)
	}
	h.drain()
	h.a.convo.showVoters(0)
	rows := h.a.lastDialog.members
	if rows == nil || len(rows.Objects) == 0 {
		t.Fatal("no voters listed")
	}
	rt := rows.Objects[0].(*widget.RichText)
	lines := shownLines(rt)
	if len(lines) < 3 {
		t.Fatalf("30 voters shown on %d lines: %q", len(lines), lines)
	}
	shown := strings.Join(lines, " ")
	for _, n := range names {
		if !strings.Contains(shown, n) {
			t.Fatalf("%s is not shown among the voters: %q", n, lines)
		}
	}
	for _, o := range test.WidgetRenderer(rt).Objects() {
		if tx, ok := o.(*canvas.Text); ok && tx.Visible() && tx.Text != "" {
			if right := o.Position().X + tx.MinSize().Width; right > rt.Size().Width+1 {
				t.Errorf("%q ends at %.0f, past the dialog's text width %.0f", tx.Text, right, rt.Size().Width)
			}
		}
	}
}

// TestHoverChipStaysInItsRow: hovering a poll shows its "☺ +" chip inside
// the poll's row, not over the next message's author.
func TestHoverChipStaysInItsRow(t *testing.T) {
	h := newHarness(t, newFake())
	c := h.community("Glow Team", "owner", 4, "General")
	h.f.CreatePoll(context.Background(), c.ID, h.a.group, "Which day suits the training call?", []string{"Monday", "Friday"}, false, h.f.clock.Add(48*time.Hour))
	h.f.deliver(c.ID, h.a.group, "Ben", "Monday works for me", false)
	h.drain()
	poll := h.row(0)
	poll.MouseIn(nil)
	poll, next := h.row(0), h.row(1)
	if !poll.addChip.Visible() {
		t.Fatal("hovering the poll shows no ☺ + chip")
	}
	c0, c1 := absRect(poll.addChip)
	n0, _ := absRect(next)
	if c1.Y > n0.Y {
		t.Fatalf("the ☺ + chip (%v–%v) reaches into the next message (top %v)", c0, c1, n0)
	}
	r0, r1 := absRect(poll)
	if c1.Y > r1.Y || c0.Y < r0.Y {
		t.Fatalf("the ☺ + chip (%v–%v) lies outside its row (%v–%v)", c0, c1, r0, r1)
	}
	poll.MouseOut()
	h.row(1)
}

// TestLatestDoesNotCoverMessages: the Latest button lies outside the
// message list, so it covers no message's text.
func TestLatestDoesNotCoverMessages(t *testing.T) {
	h := newHarness(t, newFake())
	c := h.community("Glow Team", "owner", 4, "General")
	h.f.fill(c.ID, h.a.group, 60)
	h.drain()
	cv := h.a.convo
	cv.list.scrollToRow(20)
	if !cv.jump.Visible() {
		t.Fatal("no Latest button while scrolled up")
	}
	h.w.Resize(h.w.Canvas().Size().AddWidthHeight(0, 1)) // lay everything out afresh
	j0, j1 := absRect(cv.jump)
	l0, l1 := absRect(cv.list)
	if overlaps(j0, j1, l0, l1) {
		t.Fatalf("the Latest button (%v–%v) lies over the message list (%v–%v)", j0, j1, l0, l1)
	}
}

// TestSwitcherShowsCommunityNames: Ctrl+K's rows show each group's
// community by name, not "···".
func TestSwitcherShowsCommunityNames(t *testing.T) {
	h := newHarness(t, newFake())
	h.community("Glow Team", "owner", 4, "General")
	h.a.showSwitcher()
	texts := screenTexts(h.a.lastDialog.holder)
	if !slices.Contains(texts, "Glow Team") {
		t.Fatalf("the switcher's rows show %q; want the community's name, Glow Team", texts)
	}
}

// TestClosingSearchLeavesNoBand: after the search bar closes, the message
// list starts where it did before it opened.
func TestClosingSearchLeavesNoBand(t *testing.T) {
	h := newHarness(t, newFake())
	c := h.community("Glow Team", "owner", 4, "General")
	id := h.f.deliver(c.ID, h.a.group, "Chloe", "Spring promo: 20% off starter kits until Sunday", false)
	h.f.Pin(context.Background(), c.ID, h.a.group, id, true)
	h.drain()
	h.w.Canvas().Refresh(h.w.Content())
	before, _ := absRect(h.a.convo.list)
	h.a.convo.toggleSearch()
	open, _ := absRect(h.a.convo.list)
	if open.Y <= before.Y {
		t.Fatalf("the open search bar does not push the list down (%v, then %v)", before, open)
	}
	h.a.convo.closeSearch()
	after, _ := absRect(h.a.convo.list)
	if after.Y != before.Y {
		t.Fatalf("after closing search the list starts at %v; before opening it, at %v", after, before)
	}
}

// TestInfoPaneShowsRoles: in the info pane a member's role is shown whole
// beside a long name, which is cut rather than the role.
func TestInfoPaneShowsRoles(t *testing.T) {
	h := newHarness(t, newFake())
	c := h.community("Glow Team", "owner", 2, "General")
	h.f.mu.Lock()
	cm := h.f.comm(c.ID)
	cm.members[1].Name, cm.members[1].Role = "Alexandra Montgomery-Fitzgerald", "admin"
	h.f.mu.Unlock()
	h.typeShortcut(fyne.KeyI)
	texts := screenTexts(h.a.info.root)
	for _, want := range []string{"Leader", "Admin"} {
		if !slices.ContainsFunc(texts, func(s string) bool { return s == want || strings.HasSuffix(s, " "+want) }) {
			t.Errorf("the info pane shows %q; want the role %s whole", texts, want)
		}
	}
}
