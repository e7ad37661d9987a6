package node

import (
	"encoding/hex"
	"errors"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// TestProgressIsForTheMemberAndTheAdmins: Olivia (the owner) sets the
// first steps; Chloe joins and ticks one. Olivia sees Chloe's progress in
// the newcomers, with who invited her; Ben, a third member, is refused
// the newcomers, holds no key to Chloe's progress log (handed its ops, his
// node parks them unopened) and nothing his store keeps contains the
// tick's clear body, while Chloe's own store does.
func TestProgressIsForTheMemberAndTheAdmins(t *testing.T) {
	var outsider, member []crdt.Opened
	var step crdt.StepID
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, c, comm := ownerAndMember(t)
		if err := a.SetSteps(ctx, comm.ID, []api.StepDraft{{Title: "Watch the welcome video"}, {Title: "Join the Monday call"}}, "Welcome {name}!"); err != nil {
			t.Fatal(err)
		}
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
		waitFor(t, c.Node, "c to get the steps", func() bool { fs, _ := c.Steps(comm.ID); return len(fs.Steps) == 2 })
		if err := c.TickStep(ctx, comm.ID, 2, true); err != nil {
			t.Fatal(err)
		}
		fs, err := c.Steps(comm.ID)
		if err != nil || fs.Welcome != "Welcome Chloe!" || fs.Done != 1 || !fs.Steps[1].Done || !fs.Newcomer {
			t.Fatalf("c's steps %+v, %v", fs, err)
		}
		if raw, err := hex.DecodeString(fs.Steps[1].ID); err != nil || copy(step[:], raw) != crdt.StepIDSize {
			t.Fatalf("step id %q: %v", fs.Steps[1].ID, err)
		}
		waitFor(t, a.Node, "a to see c's progress", func() bool {
			ns, _ := a.Newcomers(comm.ID)
			return slices.ContainsFunc(ns, func(n api.Newcomer) bool { return n.Name == "Chloe" && n.Done == 1 && n.Total == 2 })
		})
		ns, _ := a.Newcomers(comm.ID)
		for _, n := range ns {
			if n.Name == "Chloe" && (n.InvitedBy != a.Self().PeerID || n.LastStepTime == nil) {
				t.Fatalf("c as a's newcomer %+v", n)
			}
		}
		waitFor(t, b.Node, "b to see c", func() bool { ms, _ := b.Members(comm.ID); return len(ms) == 3 })
		if _, err := b.Newcomers(comm.ID); !errors.Is(err, crdt.ErrUnauthorized) {
			t.Fatalf("b sees the newcomers: %v", err)
		}
		var log crdt.ID
		_ = c.rep.View(comm.ID, func(cc *crdt.Community) error { log = cc.State().Progress[c.selfKey()]; return nil })
		waitFor(t, b.Node, "b to hold c's progress log", func() bool {
			known := false
			_ = b.rep.View(comm.ID, func(cc *crdt.Community) error { known = cc.State().Progress[c.selfKey()] == log; return nil })
			return known
		})
		if err := b.rep.View(comm.ID, func(cc *crdt.Community) error {
			if cc.State().MayRead(b.selfKey(), log) {
				t.Error("b may read c's progress log")
			}
			if p := cc.Progress(c.selfKey()); len(p.Done) != 0 {
				t.Errorf("b reads c's progress %+v", p)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, o := range allOps(t, c.Node, comm.ID) {
			if o.Log != log {
				continue
			}
			res, err := b.rep.Ingest(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != replica.Parked {
				t.Fatalf("b's node took %s op %s as %v: it cannot open it", o.Kind, o.ID().Short(), res.Outcome)
			}
			outsider = append(outsider, crdt.Opened{Op: o})
		}
		if len(outsider) == 0 {
			t.Fatal("no op of c's progress log to hand b")
		}
		outsider = append(outsider, storedOps(t, b, comm.ID)...)
		member = storedOps(t, c, comm.ID)
	})
	// The tick's clear body holds the step's id (key 1, a byte string)
	// and then done (key 2, true); in the steps list, which every member
	// reads, the id is followed by the title (key 2, a text string).
	tick := string(append(append([]byte{0x01, 0x48}, step[:]...), 0x02, 0xf5))
	if step == (crdt.StepID{}) {
		t.Fatal("no step id")
	}
	scan := func(ops []crdt.Opened) []string {
		dir := t.TempDir()
		st, err := store.OpenBadger(dir, store.BadgerOptions{NoCompression: true})
		if err != nil {
			t.Fatal(err)
		}
		slices.SortStableFunc(ops, func(x, y crdt.Opened) int { return int(x.Op.Height) - int(y.Op.Height) })
		if err := st.PutBatch(t.Context(), ops); err != nil {
			t.Fatal(err)
		}
		st.Close()
		return filesContaining(t, dir, tick)
	}
	if found := scan(outsider); len(found) > 0 {
		t.Fatalf("the third member's store holds the tick in %v", found)
	}
	if found := scan(member); len(found) == 0 {
		t.Fatal("the member's own store scan found no tick: the scan does not work")
	}
}
