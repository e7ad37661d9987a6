package act

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// actionsOf returns the actions of member s in the world, recording into
// the world's journal.
func (w *world) actionsOf(t *testing.T, s signer) *Actions {
	t.Helper()
	a, err := New(Config{Author: fakeAuthor{w.rep, s, &w.journal}, Replica: w.rep, Views: w.views, Names: testNames{},
		Keys: fakeKeys{&w.journal}, Self: s.Key(), Now: func() time.Time { return w.now }})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// state is the world's community state now.
func (w *world) state(t *testing.T) (st *crdt.State, c *crdt.Community) {
	t.Helper()
	if err := w.rep.View(w.cid, func(cc *crdt.Community) error { st, c = cc.State(), cc; return nil }); err != nil {
		t.Fatal(err)
	}
	return st, c
}

// TestSetStepsAndTick: an admin sets the steps; a step keeps its id (and
// so its ticks) while it keeps its title; a member's first tick opens its
// progress log and gives it keys, later ticks write the step (and ask for keys while it has none); a step
// out of range is refused before anything is written; a member may not
// set steps.
func TestSetStepsAndTick(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	drafts := []api.StepDraft{{Title: "Watch the welcome video", Group: &w.general}, {Title: "Join the Monday call"}, {Title: "Write your list of 20"}}
	if err := w.act.SetSteps(ctx, w.cid, drafts, " Welcome {name}! "); err != nil {
		t.Fatal(err)
	}
	st, _ := w.state(t)
	if st.Steps == nil || len(st.Steps.List) != 3 || st.Steps.Welcome != "Welcome {name}!" || st.Steps.List[0].Group != w.general {
		t.Fatalf("steps %+v", st.Steps)
	}
	first := st.Steps.List[1].ID
	bo := w.actionsOf(t, member(1))
	w.journal = nil
	if err := bo.TickStep(ctx, w.cid, 2, true); err != nil {
		t.Fatal(err)
	}
	st, c := w.state(t)
	log := st.Progress[member(1).Key()]
	if log.IsZero() || !slices.Equal(w.journal, []string{"progress", "rotate " + log.Short() + " reason 0 excluding false", "step"}) {
		t.Fatalf("journal %q", w.journal)
	}
	w.journal = nil
	if err := bo.TickStep(ctx, w.cid, 3, true); err != nil {
		t.Fatal(err)
	}
	// The fake keys wrote no epoch, so the log still has none: the tick
	// asks for one again, but opens no second log.
	if !slices.Equal(w.journal, []string{"rotate " + log.Short() + " reason 0 excluding false", "step"}) {
		t.Fatalf("second tick wrote %q", w.journal)
	}
	if err := bo.TickStep(ctx, w.cid, 4, true); !errors.Is(err, crdt.ErrInvalid) || len(w.journal) != 2 {
		t.Fatalf("step 4 of 3: %v, journal %q", err, w.journal)
	}
	if got := len(c.Progress(member(1).Key()).Done); got != 2 {
		t.Fatalf("%d steps done, want 2", got)
	}
	// Reordered and one renamed: the kept titles keep their ids.
	drafts = []api.StepDraft{{Title: "Join the Monday call"}, {Title: "Watch the video"}, {Title: "Write your list of 20"}}
	if err := w.act.SetSteps(ctx, w.cid, drafts, "Hi"); err != nil {
		t.Fatal(err)
	}
	st, c = w.state(t)
	if st.Steps.List[0].ID != first {
		t.Fatal("a step that kept its title got a new id")
	}
	if got := len(c.Progress(member(1).Key()).Done); got != 2 {
		t.Fatalf("after the edit %d steps done, want 2", got)
	}
	if err := bo.SetSteps(ctx, w.cid, drafts, "Mine"); !errors.Is(err, crdt.ErrUnauthorized) {
		t.Fatalf("a member sets steps: %v", err)
	}
	if err := w.act.SetSteps(ctx, w.cid, []api.StepDraft{{Title: "x", Message: &w.general}}, ""); !errors.Is(err, crdt.ErrInvalid) {
		t.Fatalf("a message link without its group: %v", err)
	}
}
