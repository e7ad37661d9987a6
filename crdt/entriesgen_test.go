package crdt

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// TestEntriesGen: on random communities delivered op by op in random
// orders, whenever EntriesGen stays the same from one read of a group's
// Entries to the next, the later order extends the earlier one: the same
// entries first, each with the same Hidden mark. What views that extend
// themselves by new entries (Fold, view's unread counts) rely on to skip
// checking what they hold.
func TestEntriesGen(t *testing.T) {
	seeds := 100
	if testing.Short() {
		seeds = 30
	}
	type seen struct {
		gen     uint64
		entries []*Entry
		hidden  []Hidden // by position; the zero Hidden: none
	}
	var kept, rewritten, hiddenChanged, spurious int
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 11))
		w := randomWorld(t, rng, 40, map[string]int{})
		c, err := NewCommunity(w.genesis, nil)
		if err != nil {
			t.Fatal(err)
		}
		last := map[ID]seen{}
		pending := slices.Clone(w.all)
		rng.Shuffle(len(pending), func(i, j int) { pending[i], pending[j] = pending[j], pending[i] })
		for len(pending) > 0 {
			var parked []*Op
			for _, o := range pending {
				switch err := c.Add(o, nil); {
				case errors.Is(err, ErrMissingDeps):
					parked = append(parked, o)
					continue
				case err != nil:
					t.Fatalf("seed %d: add %s: %v", seed, o.Kind, err)
				}
				for g := range c.groups {
					es := c.Entries(g)
					gen := c.EntriesGen(g)
					now := seen{gen: gen, entries: slices.Clone(es), hidden: make([]Hidden, len(es))}
					for i, e := range es {
						if e.Hidden != nil {
							now.hidden[i] = *e.Hidden
						}
					}
					was, ok := last[g]
					last[g] = now
					if !ok {
						continue
					}
					extends := len(now.entries) >= len(was.entries) &&
						slices.Equal(now.entries[:len(was.entries)], was.entries) &&
						slices.Equal(now.hidden[:len(was.hidden)], was.hidden)
					switch {
					case gen == was.gen && !extends:
						t.Fatalf("seed %d: after %s, group %s's entries changed (%d before, %d now) but EntriesGen stayed %d",
							seed, o.Kind, g.Short(), len(was.entries), len(now.entries), gen)
					case gen == was.gen:
						kept++
					case extends:
						spurious++ // allowed, but it costs the views a pass
					case len(now.entries) >= len(was.entries) && slices.Equal(now.entries[:len(was.entries)], was.entries):
						hiddenChanged++
						rewritten++
					default:
						rewritten++
					}
				}
			}
			if len(parked) == len(pending) {
				t.Fatalf("seed %d: stuck with %d parked ops", seed, len(parked))
			}
			pending = parked
		}
	}
	t.Logf("reads of a group's entries: %d kept their number, %d after a rewrite (%d of them of hidden marks only), %d changed it for nothing",
		kept, rewritten, hiddenChanged, spurious)
	if kept == 0 || rewritten == 0 || hiddenChanged == 0 {
		t.Error("the random communities do not exercise both kinds of change")
	}
}

// TestDropEncodings: a community whose content ops dropped their encodings
// (as a node's after start) keeps the same state and views, and takes new
// ops on top of them as one that kept them does.
func TestDropEncodings(t *testing.T) {
	content := 0
	for seed := range 10 {
		rng := rand.New(rand.NewPCG(uint64(seed), 5))
		w := randomWorld(t, rng, 40, map[string]int{})
		cut := len(w.all) * 2 / 3
		// Fresh copies: dropping changes the ops themselves.
		fresh := func(ops []*Op) []Opened {
			out := make([]Opened, len(ops))
			for i, o := range ops {
				c, err := DecodeOp(o.Bytes())
				if err != nil {
					t.Fatal(err)
				}
				out[i] = Opened{Op: c}
			}
			return out
		}
		kept, err := Load(Opened{Op: w.genesis}, fresh(w.all[:cut]))
		if err != nil {
			t.Fatal(err)
		}
		dropped, err := Load(Opened{Op: w.genesis}, fresh(w.all[:cut]))
		if err != nil {
			t.Fatal(err)
		}
		dropped.DropEncodings()
		for _, g := range dropped.ContentLogs() {
			for _, e := range dropped.Entries(g) {
				if content++; e.Op.Encoded() || e.Op.Bytes() != nil {
					t.Fatalf("seed %d: content op %s keeps its encoding", seed, e.Op.ID().Short())
				}
			}
		}
		for _, x := range fresh(w.all[cut:]) {
			errKept := kept.Add(x.Op, nil)
			if errDropped := dropped.Add(x.Op, nil); (errKept == nil) != (errDropped == nil) {
				t.Fatalf("seed %d: add %s: %v, and %v to the community that kept its encodings", seed, x.Op.Kind, errDropped, errKept)
			}
		}
		if kept.Hash() != dropped.Hash() {
			t.Fatalf("seed %d: the hash differs once encodings are dropped", seed)
		}
		for _, g := range kept.ContentLogs() {
			if !reflect.DeepEqual(kept.View(g), dropped.View(g)) {
				t.Fatalf("seed %d: group %s's view differs once encodings are dropped", seed, g.Short())
			}
		}
	}
	if content == 0 {
		t.Fatal("no content op dropped its encoding")
	}
}
