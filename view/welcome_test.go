package view

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestNewcomerWelcomed: a newcomer counts as welcomed once an admin or
// owner mentions them in a message that stands, whoever's device it came
// from; a member's mention, a deleted welcome and a mention of someone
// else do not count.
func TestNewcomerWelcomed(t *testing.T) {
	w := newWorld(t, "Glow")
	chloe, dev, ben, sam := member(1), member(2), member(3), member(4)
	w.join(chloe, "Chloe")
	w.write(w.owner, crdt.ZeroID, crdt.KindRole, &crdt.RoleBody{Member: []byte(chloe.PublicKey()), Role: crdt.RoleAdmin})
	b := stepsBody("Welcome {name}!", "Watch", "Call")
	b.Time = w.now()
	w.write(w.owner, crdt.ZeroID, crdt.KindSteps, b)
	w.join(dev, "Dev")
	w.join(ben, "Ben")
	w.join(sam, "Sam")

	welcomed := func() map[string]bool {
		t.Helper()
		ns, err := w.views(w.owner).Newcomers(w.cid)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, n := range ns {
			out[n.Name] = n.Welcomed
		}
		return out
	}
	if got := welcomed(); got["Dev"] || got["Ben"] || got["Sam"] || len(got) != 3 {
		t.Fatalf("before any welcome: %v", got)
	}
	w.post(ben, w.general, "hi @Dev", dev)                  // a member's mention
	gone := w.post(w.owner, w.general, "Welcome @Sam", sam) // deleted below
	w.write(w.owner, w.general, crdt.KindDelete, &crdt.DeleteBody{Target: gone.Bytes()})
	w.post(chloe, w.general, "Welcome to the team, @Ben!", ben) // an admin's
	if got := welcomed(); got["Dev"] || !got["Ben"] || got["Sam"] {
		t.Fatalf("after Chloe welcomed Ben: %v", got)
	}
	// What Chloe posted counts on Olivia's device and on her own.
	if ns, _ := w.views(chloe).Newcomers(w.cid); len(ns) != 3 {
		t.Fatalf("chloe sees %d newcomers", len(ns))
	} else {
		for _, n := range ns {
			if n.Name == "Ben" && !n.Welcomed {
				t.Fatal("chloe's own welcome does not count for her")
			}
		}
	}
}
