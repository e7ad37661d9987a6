package ui

import (
	"context"
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// OrderGroups records the admins' order of groups, as the community does,
// after asking crdt whether the local member may.
func (f *fakeBackend) OrderGroups(_ context.Context, cid crdt.ID, groups []crdt.ID) error {
	f.mu.Lock()
	err := f.enter("OrderGroups")
	if err == nil {
		c := f.comm(cid)
		if err = f.judge(c, crdt.Action{Kind: crdt.KindGroupOrder}); err == nil {
			c.order = slices.Clone(groups)
			f.logAudit(c, "group.order", "", "")
		}
	}
	f.mu.Unlock()
	if err == nil {
		f.emit(api.Event{Kind: api.EventGroups, Community: cid})
	}
	return err
}

// sortByOrder puts the groups order names first, in its order, keeping
// the rest as they are after them.
func sortByOrder(gs []api.Group, order []crdt.ID) {
	rank := func(g api.Group) int {
		if i := slices.Index(order, g.ID); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(gs, func(a, b api.Group) int { return rank(a) - rank(b) })
}

// groupOrderDialog opens the order dialog from the community's ⋮ menu.
func (h *harness) groupOrderDialog() *groupOrderView {
	h.t.Helper()
	h.choose(h.a.home.menu(), "Order of groups")
	v, ok := h.a.lastDialog.handles.(*groupOrderView)
	if !ok {
		h.t.Fatalf("the order dialog has handles %T", h.a.lastDialog.handles)
	}
	return v
}

func (v *groupOrderView) names() []string {
	var out []string
	for _, r := range v.rows {
		out = append(out, r.name)
	}
	return out
}

// orderedHarness is an admin's community with groups General, Product
// questions (from the fake), Training and Wins.
func orderedHarness(t *testing.T, role string) (*harness, api.Community) {
	h, c := adminHarness(t, role)
	h.f.addGroup(c.ID, "Wins", "open", true)
	h.f.addGroup(c.ID, "Training", "open", true)
	h.drain()
	return h, c
}

// TestOrderGroups: an admin moves groups up and down in Order of groups
// and saves; the home lists them in that order. A member has no such
// menu item, because crdt says no.
func TestOrderGroups(t *testing.T) {
	h, _ := orderedHarness(t, "admin")
	v := h.groupOrderDialog()
	before := v.names()
	if len(before) < 3 || before[len(before)-1] != "Wins" {
		t.Fatalf("the dialog lists %q", before)
	}
	if !v.save.Disabled() || !v.rows[0].up.Disabled() || !v.rows[len(v.rows)-1].down.Disabled() {
		t.Fatal("Save, the first Up or the last Down is enabled before any move")
	}
	// Wins to the top, then the first group down one.
	for i := len(v.rows) - 1; i > 0; i-- {
		test.Tap(v.rows[i].up)
	}
	test.Tap(v.rows[1].down)
	want := append([]string{"Wins", before[1], before[0]}, before[2:len(before)-1]...)
	if got := v.names(); !slices.Equal(got, want) {
		t.Fatalf("after the moves the dialog lists %q, want %q", got, want)
	}
	test.Tap(v.save)
	h.drain()
	if v.d.open {
		t.Fatalf("the dialog stayed open: %q", v.d.errLabel.Text)
	}
	var home []string
	for _, r := range h.homeRows() {
		if r[0] != '#' && r != "Announcements" {
			home = append(home, r)
		}
	}
	if !slices.Equal(home, want) {
		t.Fatalf("the home lists %q, want %q", home, want)
	}

	m, _ := orderedHarness(t, "member")
	if slices.Contains(menuLabels(m.a.home.menu()), "Order of groups") {
		t.Fatal("a member is offered to order the groups")
	}
}

// TestGoldenGroupOrder renders the order dialog after a move, light and
// dark.
func TestGoldenGroupOrder(t *testing.T) {
	for _, tv := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(tv.name, func(t *testing.T) {
			h, _ := orderedHarness(t, "owner")
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(tv.v))
			v := h.groupOrderDialog()
			test.Tap(v.rows[len(v.rows)-1].up)
			test.AssertImageMatches(t, "grouporder_"+tv.name+".png", h.w.Canvas().Capture())
		})
	}
}
