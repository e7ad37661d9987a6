package crdt

import "testing"

// TestLateConcurrentPostIsHiddenLive: Ann posts while Olivia, who has not
// seen it, posts too and removes her. When Ann's post reaches Olivia's
// replica it does not follow Olivia's heads, so the group is re-ordered;
// it is hidden by the removal there at once, as it is on a replica that
// replays everything from scratch.
func TestLateConcurrentPostIsHiddenLive(t *testing.T) {
	w, general := setup(t, "ann")
	w.post("olivia", general, "a")
	w.syncAll()
	late := w.post("ann", general, "b") // concurrent with:
	w.post("olivia", general, "c")
	w.remove("olivia", "ann")
	live := w.reps["olivia"]
	live.Entries(general) // verdicts given before Ann's post arrives
	w.sync("olivia", "ann")
	hidden := func(c *Community) bool {
		for _, e := range c.Entries(general) {
			if e.Op.ID() == late.ID() {
				return e.Hidden != nil
			}
		}
		t.Fatal("the late post is not in the group")
		return false
	}
	if !hidden(w.final(rng())) {
		t.Fatal("a replay shows the post concurrent with its author's removal")
	}
	if !hidden(live) {
		t.Fatal("the live replica shows the post concurrent with its author's removal; a replay hides it")
	}
}
