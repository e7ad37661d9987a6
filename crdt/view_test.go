package crdt

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"runtime"
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
						if got := f.Post(i); !reflect.DeepEqual(&got, p) {
							t.Fatalf("seed %d: post %d read alone differs from a fresh view", seed, i)
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

// TestFoldKeepsLittlePerMessage: a fold of a group of plain messages keeps
// a few tens of bytes per message (its place in the list and in the index
// by id), not a Post of its own (352 bytes), and its posts read back as a
// fresh view has them.
func TestFoldKeepsLittlePerMessage(t *testing.T) {
	const n = 3000
	f := newFixture(t)
	general := f.op(f.owner, ZeroID, KindGroupCreate, &GroupCreateBody{Name: "General", Policy: PolicyEveryone}).ID()
	var first ID
	for i := range n {
		b := &MessageBody{Text: "hello", Time: int64(i + 1)}
		if i%10 == 1 {
			b.ReplyTo = idb(first)
			b.Mentions = [][]byte{f.owner.pubBytes()}
		}
		o := f.op(f.owner, general, KindMessage, b)
		if i == 0 {
			first = o.ID()
		}
	}
	f.c.Entries(general) // the timeline's order and verdicts, which the timeline keeps anyway
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fold := f.c.Fold(general, nil)
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	t.Logf("the fold keeps %d bytes per message", per)
	if per > 128 {
		t.Fatalf("the fold keeps %d bytes per message, want at most 128", per)
	}
	if fold.Len() != n {
		t.Fatalf("%d posts, want %d", fold.Len(), n)
	}
	want := f.c.View(general)
	for i, p := range want.Posts {
		if got := fold.Post(i); !reflect.DeepEqual(&got, p) {
			t.Fatalf("post %d: %+v, want %+v", i, got, *p)
		}
		if a, at := fold.Said(i); a != p.Author || at != p.Time {
			t.Fatalf("post %d said by %s at %d, want %s at %d", i, a, at, p.Author, p.Time)
		}
	}
	replies := 0
	for _, p := range want.Posts {
		if len(p.Mentions) == 1 && p.Mentions[0] == f.owner.pub() && p.ReplyTo == first {
			replies++
		}
	}
	if replies != n/10 {
		t.Fatalf("%d replies with their mention, want %d", replies, n/10)
	}
	runtime.KeepAlive(fold)
}
