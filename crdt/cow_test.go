package crdt

import (
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// TestCloneIsIndependent: a clone shares its records with the original
// (cow.go), yet ops applied to either one leave the other as it was. Ops
// of random communities (role changes, profiles, group joins, decisions,
// removals, invites used, revoked and lapsed, progress logs) are applied
// one by one in their resolved order, to the original or to the clone in
// turn, each time after cloning; the state not applied to must equal a
// deep copy taken before.
func TestCloneIsIndependent(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 10
	}
	applied := 0
	for seed := range seeds {
		w := randomWorld(t, rand.New(rand.NewPCG(uint64(seed), 9)), 40, map[string]int{})
		c, err := Load(Opened{Op: w.genesis}, clearOps(w.all))
		if err != nil {
			t.Fatal(err)
		}
		order := resolve(c.control, c.body, c.ancestors, c.proofs, 1, false).seq
		s := newState()
		for i, o := range order {
			kept := s.Clone()
			live := s
			if i%2 == 1 {
				live, kept = kept, live
			}
			before := deepState(kept)
			if live.Apply(o) == nil {
				applied++
			}
			if !reflect.DeepEqual(kept, before) {
				t.Fatalf("seed %d: applying %s to one copy of a state changed the other", seed, o.Kind)
			}
			s = live
		}
	}
	if applied < seeds*20 {
		t.Fatalf("only %d ops applied over %d seeds", applied, seeds)
	}
}

// deepState copies s record by record, sharing nothing that ops change.
func deepState(s *State) *State {
	c := *s
	c.Members = make(map[PublicKey]*Member, len(s.Members))
	for k, m := range s.Members {
		mm := *m
		c.Members[k] = &mm
	}
	c.Groups = make(map[ID]*Group, len(s.Groups))
	for k, g := range s.Groups {
		gg := *g
		gg.Members, gg.Requests, gg.Left = maps.Clone(g.Members), maps.Clone(g.Requests), maps.Clone(g.Left)
		c.Groups[k] = &gg
	}
	c.Invites = make(map[ID]*Invite, len(s.Invites))
	for k, v := range s.Invites {
		vv := *v
		c.Invites[k] = &vv
	}
	c.Requests, c.Rejected, c.Names, c.Departed = maps.Clone(s.Requests), maps.Clone(s.Rejected), maps.Clone(s.Names), maps.Clone(s.Departed)
	c.Prekeys, c.Epochs, c.Current, c.Exposed = maps.Clone(s.Prekeys), maps.Clone(s.Epochs), maps.Clone(s.Current), maps.Clone(s.Exposed)
	c.Progress, c.Invited, c.Relays = maps.Clone(s.Progress), maps.Clone(s.Invited), maps.Clone(s.Relays)
	c.Audit, c.EpochOrder, c.GroupOrder = slices.Clone(s.Audit), slices.Clone(s.EpochOrder), slices.Clone(s.GroupOrder)
	return &c
}

// TestSnapshotStaysStill: a community's Snapshot does not change as ops
// are added afterwards, one by one, in random orders (which take every
// path: ops that come last, commuting joins, resumed and full
// resolutions), and each equals the community's state when it was taken.
func TestSnapshotStaysStill(t *testing.T) {
	seeds := 30
	if testing.Short() {
		seeds = 8
	}
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 11))
		w := randomWorld(t, rng, 40, map[string]int{})
		ops := slices.Clone(w.all)
		rng.Shuffle(len(ops), func(i, j int) { ops[i], ops[j] = ops[j], ops[i] })
		c, _ := NewCommunity(w.genesis, nil)
		c.every = 1 + rng.IntN(3)
		type taken struct{ snap, copy *State }
		var snaps []taken
		for len(ops) > 0 {
			var parked []*Op
			for _, o := range ops {
				if err := c.Add(o, nil); err != nil {
					parked = append(parked, o)
					continue
				}
				if s := c.Snapshot(); rng.IntN(3) == 0 {
					snaps = append(snaps, taken{s, deepState(c.State())})
				}
			}
			if len(parked) == len(ops) {
				t.Fatalf("seed %d: stuck", seed)
			}
			ops = parked
		}
		for i, s := range snaps {
			want := s.copy
			want.own, want.proofs = nil, nil
			if !reflect.DeepEqual(s.snap, want) {
				t.Fatalf("seed %d: snapshot %d of %d changed after it was taken", seed, i, len(snaps))
			}
		}
	}
}
