package crdt

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// TestIncrementalResolution is the property of incremental.go: random
// communities (randomWorld: joins through links whose makers lose their
// rank, promotions, demotions, concurrent removals, group adds and
// removals, the team kinds) delivered to a replica in random orders, one
// op or a few at a time, with checkpoints every few places so that most
// control ops that are not last resume from one. After every step the
// replica's control state must equal a full replay of its control ops
// from scratch, and its hash and every group's view those of a replica
// that got the same ops in the same order and replayed in full, and of a
// replica rebuilt with Load from the ops accepted so far.
func TestIncrementalResolution(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 40
	}
	var resumed, full int
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		w := randomWorld(t, rng, 40, map[string]int{})
		for round := range 2 {
			c, err := NewCommunity(w.genesis, nil)
			if err != nil {
				t.Fatal(err)
			}
			c.every = 1 + rng.IntN(4)
			c.res = resolve(c.control, c.body, c.ancestors, c.proofs, c.every, true)
			ref, _ := NewCommunity(w.genesis, nil)
			ref.every = 0
			ref.res = resolve(ref.control, ref.body, ref.ancestors, ref.proofs, 0, false)
			pending := slices.Clone(w.all)
			rng.Shuffle(len(pending), func(i, j int) { pending[i], pending[j] = pending[j], pending[i] })
			var accepted []*Op
			for len(pending) > 0 {
				batch := 1 + rng.IntN(3)
				if round == 0 {
					batch = 1
				}
				var parked []*Op
				progress := false
				for _, o := range pending {
					if batch == 0 {
						parked = append(parked, o)
						continue
					}
					wasLast := slices.Equal(c.heads.ids, o.Parents)
					switch err := c.Add(o, nil); {
					case errors.Is(err, ErrMissingDeps):
						parked = append(parked, o)
						continue
					case err != nil:
						t.Fatalf("seed %d: add %s: %v", seed, o.Kind, err)
					}
					accepted = append(accepted, o)
					if err := ref.Add(o, nil); err != nil {
						t.Fatalf("seed %d: reference add %s: %v", seed, o.Kind, err)
					}
					progress = true
					batch--
					if !o.Kind.IsContent() && !wasLast {
						if c.res.from > 0 {
							resumed++
						} else {
							full++
						}
					}
				}
				if !progress {
					t.Fatalf("seed %d: stuck with %d parked ops", seed, len(parked))
				}
				pending = parked
				checkAgainstReplay(t, seed, c, ref)
				checkAgainstLoad(t, seed, c, w.genesis, accepted)
			}
		}
	}
	t.Logf("control ops not last: %d resumed from a checkpoint, %d replayed in full", resumed, full)
	if resumed == 0 {
		t.Error("no resolution resumed from a checkpoint")
	}
}

// checkAgainstReplay compares c with a full replay of its control ops
// from scratch, and with ref, which received the same ops in the same
// order but resolves every control op that is not last in full.
func checkAgainstReplay(t *testing.T, seed int, c, ref *Community) {
	t.Helper()
	full := resolve(c.control, c.body, c.ancestors, c.proofs, 0, false)
	if !reflect.DeepEqual(full.state, c.res.state) {
		t.Fatalf("seed %d: after %d control ops the state differs from a full replay", seed, len(c.control))
	}
	if ref.Hash() != c.Hash() {
		t.Fatalf("seed %d: after %d control ops the hash differs from a replica that replays in full", seed, len(c.control))
	}
	for _, g := range ref.ContentLogs() {
		if !reflect.DeepEqual(ref.View(g), c.View(g)) {
			t.Fatalf("seed %d: after %d control ops group %s's view differs from a replica that replays in full", seed, len(c.control), g.Short())
		}
	}
}

// checkAgainstLoad compares c, which accepted ops one by one or a few at
// a time, with a replica rebuilt with Load from the same ops: the same
// hash, and every group's view the same, each post hidden or not alike.
func checkAgainstLoad(t *testing.T, seed int, c *Community, genesis *Op, accepted []*Op) {
	t.Helper()
	l, err := Load(Opened{Op: genesis}, clearOps(accepted))
	if err != nil {
		t.Fatalf("seed %d: load: %v", seed, err)
	}
	for _, g := range l.ContentLogs() {
		lv, cv := l.View(g), c.View(g)
		if !reflect.DeepEqual(lv, cv) {
			for i := range min(len(lv.Posts), len(cv.Posts)) {
				if lp, cp := lv.Posts[i], cv.Posts[i]; (lp.Hidden == nil) != (cp.Hidden == nil) {
					t.Errorf("seed %d: post %s: hidden %v after Load, %v one by one", seed, lp.ID.Short(), lp.Hidden, cp.Hidden)
				}
			}
			t.Fatalf("seed %d: after %d ops group %s's view differs from a replica rebuilt with Load", seed, len(accepted), g.Short())
		}
	}
	if l.Hash() != c.Hash() {
		t.Fatalf("seed %d: after %d ops the hash differs from a replica rebuilt with Load", seed, len(accepted))
	}
}
