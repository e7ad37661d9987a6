package keys

import (
	"slices"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// The rotation policy, on hand-built states.

func pk(b byte) crdt.PublicKey { return crdt.PublicKey{b, 0xee} }

// policyState has an owner (1), an admin (2) and a member (3), a group
// every member is in and a group member 3 created alone; the control
// log's epoch is e0, made at time 0.
func policyState() (*crdt.State, crdt.ID, crdt.ID, *crdt.Epoch) {
	st := &crdt.State{Members: map[crdt.PublicKey]*crdt.Member{}, Groups: map[crdt.ID]*crdt.Group{},
		Epochs: map[crdt.EpochID]*crdt.Epoch{}, Current: map[crdt.ID]*crdt.Epoch{}, Exposed: map[crdt.EpochID]bool{}}
	for k, r := range map[byte]crdt.Role{1: crdt.RoleOwner, 2: crdt.RoleAdmin, 3: crdt.RoleMember} {
		st.Members[pk(k)] = &crdt.Member{Key: pk(k), Role: r}
	}
	all, own := crdt.ID{0xa1}, crdt.ID{0xb2}
	st.Groups[all] = &crdt.Group{ID: all, Policy: crdt.PolicyEveryone, Creator: pk(1)}
	st.Groups[own] = &crdt.Group{ID: own, Policy: crdt.PolicyOpen, Creator: pk(3), Members: map[crdt.PublicKey]crdt.ID{pk(3): {}}}
	e0 := &crdt.Epoch{ID: crdt.EpochID{1}, Parts: 0, Wraps: map[crdt.PublicKey]crdt.Wrap{}}
	st.Epochs[e0.ID], st.Current[crdt.ZeroID] = e0, e0
	return st, all, own, e0
}

func TestAdminTurn(t *testing.T) {
	st, all, own, e0 := policyState()
	t.Run("admins take distinct turns", func(t *testing.T) {
		turns := []int{AdminTurn(st, crdt.ZeroID, e0, pk(1)), AdminTurn(st, crdt.ZeroID, e0, pk(2))}
		slices.Sort(turns)
		if !slices.Equal(turns, []int{0, 1}) {
			t.Fatalf("turns %v, want 0 and 1", turns)
		}
	})
	t.Run("a member has no turn", func(t *testing.T) {
		if got := AdminTurn(st, crdt.ZeroID, e0, pk(3)); got != -1 {
			t.Fatalf("member's turn %d", got)
		}
	})
	t.Run("the order depends on the epoch", func(t *testing.T) {
		differs := false
		for i := range 16 {
			e := &crdt.Epoch{ID: crdt.EpochID{byte(i), 9}}
			differs = differs || AdminTurn(st, crdt.ZeroID, e, pk(1)) != AdminTurn(st, crdt.ZeroID, e0, pk(1))
		}
		if !differs {
			t.Fatal("the same admin is first for every epoch")
		}
	})
	t.Run("a member who created a group gives it its first epoch", func(t *testing.T) {
		if got := AdminTurn(st, own, nil, pk(3)); got != 0 {
			t.Fatalf("creator's turn %d, want 0", got)
		}
		if got := AdminTurn(st, own, nil, pk(1)); got != -1 {
			t.Fatalf("an admin outside the group has turn %d", got)
		}
		if got := AdminTurn(st, all, nil, pk(3)); got != -1 {
			t.Fatalf("a member has turn %d in a group it did not create", got)
		}
	})
}

func TestDuties(t *testing.T) {
	now := time.UnixMilli(0).Add(time.Hour)
	base := policy{self: pk(1), now: now, rotateAfter: 2 * time.Hour, rotateEvery: 10, opsIn: func(crdt.EpochID) int { return 0 }}
	type want struct {
		log    string
		reason uint8
	}
	for _, tc := range []struct {
		name  string
		setup func(st *crdt.State, all crdt.ID, e0 *crdt.Epoch, p *policy)
		want  []want
	}{
		{"a group with no epoch gets its first", nil, []want{{"all", crdt.RekeyInitial}}},
		{"not while its first rotation is under way", func(st *crdt.State, all crdt.ID, _ *crdt.Epoch, _ *policy) {
			st.Epochs[crdt.EpochID{7}] = &crdt.Epoch{ID: crdt.EpochID{7}, Log: all, Parts: 2}
		}, nil},
		{"a suggested group waits for approval", func(st *crdt.State, all crdt.ID, _ *crdt.Epoch, _ *policy) {
			st.Groups[all].Suggested = true
		}, nil},
		{"a stale epoch is healed", func(st *crdt.State, all crdt.ID, e0 *crdt.Epoch, _ *policy) {
			markDone(st, all)
			e0.Wraps[pk(9)] = crdt.Wrap{} // wrapped to one who is no member
		}, []want{{"control", crdt.RekeyHeal}}},
		{"an exposed epoch is healed", func(st *crdt.State, all crdt.ID, e0 *crdt.Epoch, _ *policy) {
			markDone(st, all)
			st.Exposed[e0.ID] = true
		}, []want{{"control", crdt.RekeyHeal}}},
		{"an old epoch ends", func(st *crdt.State, all crdt.ID, _ *crdt.Epoch, p *policy) {
			markDone(st, all)
			p.now = p.now.Add(2 * time.Hour)
		}, []want{{"control", crdt.RekeyTimer}, {"all", crdt.RekeyTimer}}},
		{"a long epoch ends", func(st *crdt.State, all crdt.ID, e0 *crdt.Epoch, p *policy) {
			markDone(st, all)
			p.opsIn = func(e crdt.EpochID) int {
				if e == e0.ID {
					return 10
				}
				return 0
			}
		}, []want{{"control", crdt.RekeyTimer}}},
		{"a young short epoch stays", func(st *crdt.State, all crdt.ID, _ *crdt.Epoch, _ *policy) {
			markDone(st, all)
		}, nil},
		{"nothing in a deactivated community", func(st *crdt.State, _ crdt.ID, _ *crdt.Epoch, _ *policy) {
			st.Deactivated = true
		}, nil},
		{"nothing for one who is not a member", func(_ *crdt.State, _ crdt.ID, _ *crdt.Epoch, p *policy) {
			p.self = pk(9)
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, all, _, e0 := policyState()
			p := base
			if tc.setup != nil {
				tc.setup(st, all, e0, &p)
			}
			var got []want
			for _, d := range duties(st, p) {
				name := map[crdt.ID]string{crdt.ZeroID: "control", all: "all"}[d.log]
				if name == "" {
					name = d.log.Short()
				}
				if d.turn != AdminTurn(st, d.log, st.Current[d.log], p.self) {
					t.Errorf("duty for %s has turn %d", name, d.turn)
				}
				got = append(got, want{name, d.reason})
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("duties %v, want %v", got, tc.want)
			}
		})
	}
}

// markDone gives log a fresh complete epoch, so it owes nothing.
func markDone(st *crdt.State, log crdt.ID) {
	e := &crdt.Epoch{ID: crdt.EpochID{0xdd}, Log: log, Time: 0, Wraps: map[crdt.PublicKey]crdt.Wrap{}}
	st.Epochs[e.ID], st.Current[log] = e, e
	for _, cur := range st.Current {
		cur.Time = 0
	}
}

// TestRekeyBodies: wraps are split by the budget into numbered parts that
// share the epoch, the reason and the commitment; each member can open
// its own wrap.
func TestRekeyBodies(t *testing.T) {
	var targets []Target
	var prekeys []*e2ee.Prekey
	for i := range 5 {
		p, err := e2ee.NewPrekey(e2ee.X25519, 0)
		if err != nil {
			t.Fatal(err)
		}
		prekeys = append(prekeys, p)
		targets = append(targets, Target{pk(byte(i)), &crdt.Prekey{Op: crdt.ID{byte(i)}, KEM: uint16(e2ee.X25519), Key: p.Public}})
	}
	cid, log := crdt.ID{1}, crdt.ID{2}
	id, secret := e2ee.NewEpoch()
	for _, tc := range []struct {
		name   string
		budget int
		parts  int
	}{{"one op", DefaultWrapBudget, 1}, {"one wrap per op", 1, 5}} {
		t.Run(tc.name, func(t *testing.T) {
			bodies, err := RekeyBodies(targets, cid, log, id, secret, crdt.RekeyTimer, 42, tc.budget)
			if err != nil {
				t.Fatal(err)
			}
			if len(bodies) != tc.parts {
				t.Fatalf("%d parts, want %d", len(bodies), tc.parts)
			}
			n := 0
			for i, b := range bodies {
				if int(b.Part) != i+1 || int(b.Parts) != tc.parts || crdt.EpochID(b.Epoch) != id || crdt.ID(b.Log) != log || b.Reason != crdt.RekeyTimer || b.Time != 42 {
					t.Fatalf("part %d: %+v", i+1, b)
				}
				for _, w := range b.Wraps {
					k := crdt.PublicKey(w.Member)
					got, err := prekeys[k[0]].Unwrap(e2ee.WrapInfo(cid, log, id, k), w.Secret)
					if err != nil || string(got) != string(secret) {
						t.Fatalf("member %d cannot open its wrap: %v", k[0], err)
					}
					n++
				}
			}
			if n != len(targets) {
				t.Fatalf("%d wraps, want %d", n, len(targets))
			}
		})
	}
}

// TestTargetsExclude: a rotation for a removal leaves the removed member
// and members without a prekey out.
func TestTargetsExclude(t *testing.T) {
	st, _, _, _ := policyState()
	st.Prekeys = map[crdt.PublicKey]*crdt.Prekey{pk(1): {}, pk(2): {}}
	ex := pk(2)
	var got []crdt.PublicKey
	for _, tg := range Targets(st, crdt.ZeroID, &ex) {
		got = append(got, tg.Member)
	}
	if !slices.Equal(got, []crdt.PublicKey{pk(1)}) {
		t.Fatalf("targets %v", got)
	}
}

// TestSecrets: the first topic secret wins, is stored, and is announced
// once; a malformed one is refused; a corrupt stored one is ignored (and
// asked for again).
func TestSecrets(t *testing.T) {
	w := newWorld(t)
	olivia := w.add("olivia", 1, nil)
	cid := olivia.found("Glow")
	s, _ := olivia.m.Secret(cid)
	if err := olivia.m.SetSecret(t.Context(), cid, make([]byte, wire.SecretSize)); err != nil {
		t.Fatal(err)
	}
	if got, _ := olivia.m.Secret(cid); string(got) != string(s) {
		t.Fatal("a second secret replaced the first")
	}
	if len(olivia.secrets) != 1 {
		t.Fatalf("listener told %d times", len(olivia.secrets))
	}
	if err := olivia.m.SetSecret(t.Context(), crdt.ID{9}, []byte{1}); err == nil {
		t.Fatal("a short secret is taken")
	}
	ben := w.add("ben", 2, nil)
	olivia.admit(cid, ben)
	if err := ben.m.FetchSecret(t.Context(), olivia.id, cid); err != nil {
		t.Fatal(err)
	}
	if got, ok := ben.m.Secret(cid); !ok || string(got) != string(s) {
		t.Fatal("Ben did not get the secret")
	}
	olivia.m.Close()
	if err := olivia.meta.PutMeta(t.Context(), secretKey(cid), []byte("short")); err != nil {
		t.Fatal(err)
	}
	again := w.open("olivia", 1, olivia.meta, nil)
	if _, ok := again.m.Secret(cid); ok {
		t.Fatal("a corrupt stored secret is used")
	}
}

// TestRetryBacksOff: while keys are lacking, asks are retried from
// keyAskInterval, doubling, up to maxKeyRetry; once none lack, the
// back-off starts again.
func TestRetryBacksOff(t *testing.T) {
	w := newWorld(t)
	ben := w.add("ben", 2, nil)
	cid := crdt.ID{5} // not held: a joiner lacks its keys
	var got []time.Duration
	for range 9 {
		ben.m.retryKeys(cid)
		ben.m.mu.Lock()
		got = append(got, ben.m.retry[cid])
		if !ben.m.retryOn[cid] {
			t.Fatal("no retry scheduled")
		}
		delete(ben.m.retryOn, cid) // as if it ran
		ben.m.mu.Unlock()
	}
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	if !slices.Equal(got, want) {
		t.Fatalf("back-off %v, want %v", got, want)
	}
}

// TestCloseStopsWork: Close is idempotent, ends the scheduled retries, and
// nothing starts after it.
func TestCloseStopsWork(t *testing.T) {
	w := newWorld(t)
	ben := w.add("ben", 2, nil)
	ben.m.retryKeys(crdt.ID{5}) // a timer goroutine waiting minutes
	ben.m.Close()
	ben.m.Close()
	ben.m.Kick(crdt.ID{5})
	ben.m.mu.Lock()
	kicked := ben.m.kicked[crdt.ID{5}]
	ben.m.mu.Unlock()
	if kicked {
		t.Fatal("a kick was scheduled after Close")
	}
	ben.m.wg.Wait()
}
