package crdt

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// TestFoldMatchesView: a Fold kept across the arrival of every op, in the
// order they were written and in random orders, always equals the view
// folded afresh, and it is extended rather than rebuilt when ops come in
// order.
func TestFoldMatchesView(t *testing.T) {
	seeds := 60
	if testing.Short() {
		seeds = 20
	}
	var reused, rebuilt int
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 9))
		w := randomWorld(t, rng, 60, map[string]int{})
		for _, shuffle := range []bool{false, true} {
			ops := slices.Clone(w.all)
			if shuffle {
				rng.Shuffle(len(ops), func(i, j int) { ops[i], ops[j] = ops[j], ops[i] })
			}
			c, err := NewCommunity(w.genesis, nil)
			if err != nil {
				t.Fatal(err)
			}
			folds := map[ID]*Fold{}
			check := func() {
				for _, g := range c.ContentLogs() {
					prev := folds[g]
					f := c.Fold(g, prev)
					if prev != nil && f == prev {
						reused++
					} else {
						rebuilt++
					}
					folds[g] = f
					want := c.View(g)
					if !reflect.DeepEqual(f.View(), want) {
						t.Fatalf("seed %d (shuffled %v): the kept fold differs from a fresh view\nkept:  %s\nfresh: %s", seed, shuffle, describe(f.View()), describe(want))
					}
					for i, p := range want.Posts {
						if f.Index(p.ID) != i {
							t.Fatalf("seed %d: index of post %d is %d", seed, i, f.Index(p.ID))
						}
					}
				}
			}
			for len(ops) > 0 {
				var parked []*Op
				for _, o := range ops {
					if err := c.Add(o, nil); errors.Is(err, ErrMissingDeps) {
						parked = append(parked, o)
						continue
					} else if err != nil {
						t.Fatalf("deliver %s: %v", o.Kind, err)
					}
					check()
				}
				if len(parked) == len(ops) {
					t.Fatalf("stuck with %d parked ops", len(parked))
				}
				ops = parked
			}
		}
	}
	t.Logf("folds extended %d times, rebuilt %d times", reused, rebuilt)
	if reused == 0 || rebuilt == 0 {
		t.Fatal("the test did not exercise both extending and rebuilding")
	}
}

func describe(v *GroupView) string {
	out := ""
	for _, p := range v.Posts {
		out += p.ID.Short() + " " + p.Text
		if p.Deleted {
			out += " deleted"
		}
		if p.Hidden != nil {
			out += " hidden"
		}
		if p.Pinned {
			out += " pinned"
		}
		for _, r := range p.Reactions {
			out += " " + r.Emoji
		}
		if p.Poll != nil {
			out += " poll"
		}
		out += "; "
	}
	return out
}
