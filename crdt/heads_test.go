package crdt

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// capHeadsBySort is capHeads as it was before heads were kept ranked: it
// sorts every head by height for each op drafted. The property test holds
// the ranked version to its output.
func capHeadsBySort(c *Community, heads []ID, limit int, height func(ID) uint64, anchors []ID) []ID {
	if len(heads) <= limit {
		return slices.Clone(heads)
	}
	hs := slices.Clone(heads)
	slices.SortFunc(hs, func(a, b ID) int {
		if ha, hb := height(a), height(b); ha != hb {
			if ha > hb {
				return -1
			}
			return 1
		}
		return a.Compare(b)
	})
	var out []ID
	for _, a := range anchors {
		if slices.ContainsFunc(out, func(h ID) bool { return c.reaches(h, a) }) {
			continue
		}
		for _, h := range hs {
			if c.reaches(h, a) {
				out = append(out, h)
				break
			}
		}
	}
	for _, h := range hs {
		if len(out) >= limit {
			break
		}
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return SortIDs(out[:min(len(out), limit)])
}

// anchorsByScan is anchors as it was before each author's heads were
// kept: a scan of every control head.
func anchorsByScan(c *Community, author PublicKey, log ID) []ID {
	st := c.State()
	m := st.Members[author]
	if m == nil {
		return nil
	}
	out := []ID{m.Since, m.RoleBy}
	if g := st.Groups[log]; g != nil {
		if id, ok := g.Members[author]; ok {
			out = append(out, id)
		} else if g.Progress() && st.MayRead(author, log) {
			out = append(out, g.ID)
		}
	}
	for _, l := range []ID{ZeroID, log} {
		if e := st.Current[l]; e != nil {
			out = append(out, e.Last)
		}
	}
	for _, h := range c.heads.ids {
		if c.control[h].Author == author {
			out = append(out, h)
		}
	}
	return slices.DeleteFunc(out, func(id ID) bool { return id.IsZero() || c.control[id] == nil })
}

// checkHeads holds c's kept heads to what a scan of its ops says, and
// capHeads and anchors to the sorting and scanning versions, for every
// member and group and several limits.
func checkHeads(t *testing.T, seed int, c *Community, rng *rand.Rand) (capped int) {
	t.Helper()
	if want := headsOf(c.control); !slices.Equal(c.heads.ids, want) {
		t.Fatalf("seed %d: control heads %v, want %v", seed, c.heads.ids, want)
	}
	ranked := slices.Clone(c.heads.ids)
	slices.SortFunc(ranked, func(a, b ID) int {
		return compareRanked(rankedHead{c.control[a].Height, a}, rankedHead{c.control[b].Height, b})
	})
	for i, r := range c.heads.rank(func(id ID) uint64 { return c.control[id].Height }) {
		if r.id != ranked[i] || r.height != c.control[r.id].Height {
			t.Fatalf("seed %d: ranked head %d is %s at %d, want %s", seed, i, r.id.Short(), r.height, ranked[i].Short())
		}
	}
	ctrlHeight := func(id ID) uint64 { return c.control[id].Height }
	logs := append([]ID{ZeroID}, c.ContentLogs()...)
	for k := range c.State().Members {
		for _, log := range logs {
			anchors := c.anchors(k, log)
			if want := anchorsByScan(c, k, log); !slices.Equal(anchors, want) {
				t.Fatalf("seed %d: anchors %v, want %v", seed, anchors, want)
			}
			limit := 1 + rng.IntN(3)
			got := c.capHeads(&c.heads, limit, ctrlHeight, anchors)
			if want := capHeadsBySort(c, c.heads.ids, limit, ctrlHeight, anchors); !slices.Equal(got, want) {
				t.Fatalf("seed %d: %d of %d control heads: %v, by sorting %v", seed, limit, len(c.heads.ids), got, want)
			}
			if len(c.heads.ids) > limit {
				capped++
			}
		}
	}
	for _, log := range c.ContentLogs() {
		tl := c.groups[log]
		if want := headsOfTimeline(tl); !slices.Equal(tl.heads.ids, want) {
			t.Fatalf("seed %d: group heads %v, want %v", seed, tl.heads.ids, want)
		}
		limit := 1 + rng.IntN(2)
		height := func(id ID) uint64 { return tl.ops.get(id).Op.Height }
		got := c.capHeads(&tl.heads, limit, height, nil)
		want := capHeadsBySort(c, tl.heads.ids, limit, height, nil)
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d: %d of %d group heads: %v, by sorting %v", seed, limit, len(tl.heads.ids), got, want)
		}
	}
	return capped
}

// TestCapHeadsKeptRanked is the property of heads.go: random communities
// (randomWorld) delivered in random orders, so that heads pile up and
// merge; after every op, the heads kept as ops arrive are those a scan
// finds, and Draft's choice of heads within a limit (capHeads, anchors)
// is the one sorting every head gave, for every member and log.
func TestCapHeadsKeptRanked(t *testing.T) {
	seeds := 60
	if testing.Short() {
		seeds = 15
	}
	capped := 0
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 22))
		w := randomWorld(t, rng, 40, map[string]int{})
		c, err := NewCommunity(w.genesis, nil)
		if err != nil {
			t.Fatal(err)
		}
		pending := slices.Clone(w.all)
		rng.Shuffle(len(pending), func(i, j int) { pending[i], pending[j] = pending[j], pending[i] })
		for len(pending) > 0 {
			var parked []*Op
			for _, o := range pending {
				if err := c.Add(o, nil); errors.Is(err, ErrMissingDeps) {
					parked = append(parked, o)
					continue
				} else if err != nil {
					t.Fatalf("seed %d: add %s: %v", seed, o.Kind, err)
				}
				capped += checkHeads(t, seed, c, rng)
			}
			if len(parked) == len(pending) {
				t.Fatalf("seed %d: stuck with %d parked ops", seed, len(parked))
			}
			pending = parked
		}
		l, err := Load(Opened{Op: w.genesis}, clearOps(w.all))
		if err != nil {
			t.Fatal(err)
		}
		checkHeads(t, seed, l, rng)
	}
	t.Logf("%d drafts had more control heads than their limit", capped)
	if capped == 0 {
		t.Error("no draft had more heads than its limit")
	}
}

// BenchmarkDraftManyHeads drafts a control op and a post, as the owner
// and as a newcomer, in a community where 5,000 joins on one invite are
// not merged yet (5,000 control heads): kept picks the heads from the
// ranked heads as Draft ships, sorted as it did before by sorting every
// head for each op (capHeadsBySort, anchorsByScan).
func BenchmarkDraftManyHeads(b *testing.B) {
	const members = 5000
	f := buildMergeFixture(b, members)
	c, err := NewCommunity(f.genesis, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, o := range f.ops[:1+members] { // the invite and the joins
		if err := c.Add(o, nil); err != nil {
			b.Fatal(err)
		}
	}
	if len(c.heads.ids) != members {
		b.Fatalf("%d heads, want %d", len(c.heads.ids), members)
	}
	owner, newcomer := f.genesis.Author, f.ops[members/2].Author
	height := func(id ID) uint64 { return c.control[id].Height }
	b.Run("kept", func(b *testing.B) {
		for b.Loop() {
			for _, k := range []PublicKey{owner, newcomer} {
				c.Draft(k, ZeroID, KindProfile, nil)
				c.Draft(k, c.id, KindReaction, nil)
			}
		}
	})
	b.Run("sorted", func(b *testing.B) {
		for b.Loop() {
			for _, k := range []PublicKey{owner, newcomer} {
				capHeadsBySort(c, c.heads.ids, MaxParents, height, anchorsByScan(c, k, ZeroID))
				capHeadsBySort(c, c.heads.ids, MaxDeps, height, anchorsByScan(c, k, c.id))
			}
		}
	})
}
