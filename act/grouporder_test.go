package act

import (
	"errors"
	"slices"
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// groupNames lists community cid's groups as Groups returns them.
func (w *world) groupNames(t *testing.T) []string {
	t.Helper()
	gs, err := w.act.Groups(w.cid)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, g := range gs {
		out = append(out, g.Name)
	}
	return out
}

// TestOrderGroups: Groups lists groups by name until an admin orders
// them, and then in that order; an unknown group is refused before
// anything is written.
func TestOrderGroups(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	wins, err := w.act.CreateGroup(ctx, w.cid, "Wins", "", "open")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.act.CreateGroup(ctx, w.cid, "Training", "", "open"); err != nil {
		t.Fatal(err)
	}
	if got, want := w.groupNames(t), []string{"Announcements", "General", "Training", "Wins"}; !slices.Equal(got, want) {
		t.Fatalf("before ordering: %q, want %q", got, want)
	}
	if err := w.act.OrderGroups(ctx, w.cid, []crdt.ID{wins.ID, w.general}); err != nil {
		t.Fatal(err)
	}
	if got, want := w.groupNames(t), []string{"Announcements", "Wins", "General", "Training"}; !slices.Equal(got, want) {
		t.Fatalf("after ordering: %q, want %q", got, want)
	}
	n := len(w.journal)
	if err := w.act.OrderGroups(ctx, w.cid, []crdt.ID{{7}}); !errors.Is(err, api.ErrUnknownGroup) {
		t.Fatalf("ordering an unknown group: %v", err)
	}
	if len(w.journal) != n {
		t.Fatal("a refused order was written")
	}
}
