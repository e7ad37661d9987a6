package crdt

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// names lists the groups of st in the order members see them.
func groupNames(st *State) []string {
	var out []string
	for _, g := range st.SortedGroups() {
		out = append(out, g.Name)
	}
	return out
}

// orderOf is a group.order body naming groups first to last.
func orderOf(groups ...ID) *GroupOrderBody {
	b := &GroupOrderBody{Time: 9}
	for _, g := range groups {
		b.Groups = append(b.Groups, idb(g))
	}
	return b
}

// TestGroupOrder: without an order, groups follow the announcement group
// by name; an admin's order puts them where it says, and groups it does
// not name follow by name; only admins order, only existing regular
// groups, each once.
func TestGroupOrder(t *testing.T) {
	w, general := setup(t, "ann", "cal")
	w.promote("olivia", "ann", RoleAdmin)
	wins := w.do("olivia", ZeroID, KindGroupCreate, &GroupCreateBody{Name: "Wins"}).ID()
	w.do("olivia", ZeroID, KindGroupCreate, &GroupCreateBody{Name: "training"})
	w.syncAll()
	if got, want := groupNames(w.reps["ann"].State()), []string{"Announcements", "General", "training", "Wins"}; !slices.Equal(got, want) {
		t.Fatalf("unordered groups %q, want %q", got, want)
	}
	for _, tc := range []struct {
		name string
		by   string
		body *GroupOrderBody
		want error
	}{
		{"member", "cal", orderOf(wins, general), ErrUnauthorized},
		{"announcements", "ann", &GroupOrderBody{Groups: [][]byte{idb(w.cid())}}, ErrInvalid},
		{"unknown group", "ann", &GroupOrderBody{Groups: [][]byte{make([]byte, 32)}}, ErrInvalid},
		{"twice", "ann", orderOf(wins, wins), ErrInvalid},
		{"short id", "ann", &GroupOrderBody{Groups: [][]byte{{1, 2}}}, ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := w.try(tc.by, ZeroID, KindGroupOrder, tc.body); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.want == ErrUnauthorized && w.reps[tc.by].State().Permits(w.pub(tc.by), Action{Kind: KindGroupOrder}) {
				t.Fatal("the judge permits what the community refuses")
			}
		})
	}
	if !w.reps["ann"].State().Permits(w.pub("ann"), Action{Kind: KindGroupOrder}) {
		t.Fatal("the judge refuses an admin's order")
	}
	w.do("ann", ZeroID, KindGroupOrder, orderOf(wins, general))
	w.syncAll()
	// A group made after the order follows the ordered ones by name.
	w.do("olivia", ZeroID, KindGroupCreate, &GroupCreateBody{Name: "Alpha"})
	st := w.final(rng()).State()
	if got, want := groupNames(st), []string{"Announcements", "Wins", "General", "Alpha", "training"}; !slices.Equal(got, want) {
		t.Fatalf("ordered groups %q, want %q", got, want)
	}
}

// TestConcurrentGroupOrdersConverge: two admins reorder at once; every
// replica, whatever order it receives the ops in, shows the same order,
// the one of the op the deterministic order replays last. An order by
// an admin demoted concurrently falls.
func TestConcurrentGroupOrdersConverge(t *testing.T) {
	w, _ := setup(t, "ann", "ben")
	w.promote("olivia", "ann", RoleAdmin)
	w.promote("olivia", "ben", RoleAdmin)
	a := w.do("olivia", ZeroID, KindGroupCreate, &GroupCreateBody{Name: "A"}).ID()
	b := w.do("olivia", ZeroID, KindGroupCreate, &GroupCreateBody{Name: "B"}).ID()
	c := w.do("olivia", ZeroID, KindGroupCreate, &GroupCreateBody{Name: "C"}).ID()
	w.syncAll()
	byAnn := w.do("ann", ZeroID, KindGroupOrder, orderOf(c, b, a))
	byBen := w.do("ben", ZeroID, KindGroupOrder, orderOf(b, a, c))
	final := w.final(rand.New(rand.NewPCG(1, 2)))
	got := groupNames(final.State())
	if !slices.Equal(got, []string{"Announcements", "C", "B", "A", "General"}) && !slices.Equal(got, []string{"Announcements", "B", "A", "C", "General"}) {
		t.Fatalf("converged on %q, neither admin's order", got)
	}
	for seed := range uint64(20) {
		if h := w.final(rand.New(rand.NewPCG(seed, 3))).Hash(); h != final.Hash() {
			t.Fatalf("seed %d diverged", seed)
		}
	}
	// Olivia, having seen neither order, demotes the admin whose order
	// won: it falls, and the other admin's order stands.
	winner, loser := "ann", byBen
	if got[1] == "B" {
		winner, loser = "ben", byAnn
	}
	w.reps["olivia"] = w.copyOf("olivia")
	w.promote("olivia", winner, RoleMember)
	st := w.final(rng()).State()
	if _, fell := st.Rejected[loser.ID()]; fell {
		t.Fatalf("the order of %v, who kept the rank, fell", loser.Author)
	}
	want := []string{"Announcements", "C", "B", "A", "General"}
	if winner == "ann" {
		want = []string{"Announcements", "B", "A", "C", "General"}
	}
	if got := groupNames(st); !slices.Equal(got, want) {
		t.Fatalf("after %s's demotion the order is %q, want %q", winner, got, want)
	}
}
