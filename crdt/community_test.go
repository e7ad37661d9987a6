package crdt

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// fixture builds ops of one community by hand.
type fixture struct {
	t       testing.TB
	owner   testKey
	genesis *Op
	c       *Community // the author's replica, to draft ops on
}

func newFixture(t testing.TB) *fixture {
	owner := newKey(10)
	g := mustSign(t, Op{Kind: KindGenesis, Height: 1, Body: mustBody(t, &GenesisBody{Name: "Glow Team", Time: 1})}, owner)
	c, err := NewCommunity(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, owner: owner, genesis: g, c: c}
}

// op drafts, signs and adds an op on the fixture's replica.
func (f *fixture) op(k testKey, log ID, kind Kind, body interface{ check() error }) *Op {
	f.t.Helper()
	op := mustSign(f.t, f.c.Draft(k.pub(), log, kind, mustBody(f.t, body)), k)
	if err := f.c.Add(op, nil); err != nil {
		f.t.Fatalf("add %s: %v", kind, err)
	}
	return op
}

// invite creates an invite by k and returns it with its private key.
func (f *fixture) invite(k testKey, expires int64, maxUses uint32) (*Op, ed25519.PrivateKey) {
	seed := make([]byte, 32)
	seed[0], seed[1], seed[2] = byte(expires), byte(maxUses), byte(len(f.c.control))
	priv := ed25519.NewKeyFromSeed(seed)
	ipub := priv.Public().(ed25519.PublicKey)
	op := f.op(k, ZeroID, KindInvite, &InviteBody{Key: ipub, Role: RoleMember, Expires: expires, MaxUses: maxUses, Name: "Glow Team"})
	return op, priv
}

// joinOp builds a join by k redeeming inv, with the invite as only parent,
// as a joiner who holds nothing but the link does.
func (f *fixture) joinOp(k testKey, inv *Op, invKey ed25519.PrivateKey, name string, at int64) *Op {
	f.t.Helper()
	body := mustBody(f.t, &JoinBody{Invite: idb(inv.ID()), Proof: ed25519.Sign(invKey, JoinProofMessage(f.genesis.ID(), inv.ID(), k.pub())), Name: name, Time: at})
	return mustSign(f.t, Op{Community: f.genesis.ID(), Kind: KindJoin, Parents: []ID{inv.ID()}, Height: inv.Height + 1, Body: body}, k)
}

// joinOnTop builds the same join written on top of everything f.c holds.
func (f *fixture) joinOnTop(k testKey, inv *Op, invKey ed25519.PrivateKey, name string, at int64) *Op {
	f.t.Helper()
	body := mustBody(f.t, &JoinBody{Invite: idb(inv.ID()), Proof: ed25519.Sign(invKey, JoinProofMessage(f.genesis.ID(), inv.ID(), k.pub())), Name: name, Time: at})
	return mustSign(f.t, f.c.Draft(k.pub(), ZeroID, KindJoin, body), k)
}

func idb(id ID) []byte { return id[:] }

func TestJoinAndPost(t *testing.T) {
	f := newFixture(t)
	cid := f.genesis.ID()
	f.op(f.owner, ZeroID, KindProfile, &ProfileBody{Name: "Olivia"})
	general := f.op(f.owner, ZeroID, KindGroupCreate, &GroupCreateBody{Name: "General", Policy: PolicyEveryone})
	inv, ik := f.invite(f.owner, 2000, 0)
	dana := newKey(11)
	join := f.joinOp(dana, inv, ik, "Dana", 1000_000)
	if err := f.c.Add(join, nil); err != nil {
		t.Fatalf("join: %v", err)
	}
	st := f.c.State()
	if st.Role(dana.pub()) != RoleMember || st.Members[dana.pub()].Name != "Dana" {
		t.Fatalf("dana: role %v name %q", st.Role(dana.pub()), st.Members[dana.pub()].Name)
	}
	if st.Role(f.owner.pub()) != RoleOwner || st.Members[f.owner.pub()].Name != "Olivia" {
		t.Fatal("owner lost")
	}
	if g := st.Groups[cid]; g == nil || !g.Announcement {
		t.Fatal("announcement group missing")
	}
	m1 := f.op(f.owner, general.ID(), KindMessage, &MessageBody{Text: "Welcome!"})
	m2 := f.op(dana, general.ID(), KindMessage, &MessageBody{Text: "Thanks"})
	got := f.c.Entries(general.ID())
	if len(got) != 2 || got[0].Op.ID() != m1.ID() || got[1].Op.ID() != m2.ID() {
		t.Fatalf("timeline order wrong: %v", got)
	}
	if txt := got[1].Body.(*MessageBody).Text; txt != "Thanks" {
		t.Fatalf("body %q", txt)
	}
}

func TestRulesAtReceipt(t *testing.T) {
	f := newFixture(t)
	cid := f.genesis.ID()
	general := f.op(f.owner, ZeroID, KindGroupCreate, &GroupCreateBody{Name: "General", Policy: PolicyEveryone})
	inv, ik := f.invite(f.owner, 2000, 1)
	dana, eve, mallory := newKey(11), newKey(12), newKey(13)
	if err := f.c.Add(f.joinOp(dana, inv, ik, "Dana", 1_000_000), nil); err != nil {
		t.Fatal(err)
	}
	sign := func(k testKey, log ID, kind Kind, body interface{ check() error }) *Op {
		return mustSign(t, f.c.Draft(k.pub(), log, kind, mustBody(t, body)), k)
	}
	otherKey := ed25519.NewKeyFromSeed(make([]byte, 32))
	cases := []struct {
		name string
		op   *Op
		want error
	}{
		{"non-member posts", sign(mallory, general.ID(), KindMessage, &MessageBody{Text: "spam"}), ErrUnauthorized},
		{"member posts an announcement", sign(dana, cid, KindMessage, &MessageBody{Text: "buy now"}), ErrUnauthorized},
		{"member creates an invite", sign(dana, ZeroID, KindInvite, &InviteBody{Key: make([]byte, 32), Role: RoleMember, Name: "x"}), ErrUnauthorized},
		{"member removes the owner", sign(dana, ZeroID, KindRemove, &RemoveBody{Member: f.owner.pubBytes()}), ErrUnauthorized},
		{"non-member sets a profile", sign(mallory, ZeroID, KindProfile, &ProfileBody{Name: "M"}), ErrUnauthorized},
		{"invite past max uses", f.joinOnTop(eve, inv, ik, "Eve", 1_000_000), ErrUnauthorized},
		{"join with wrong invite key", f.joinOp(mallory, inv, otherKey, "M", 1_000_000), ErrUnauthorized},
		{"post to unknown group", sign(dana, ID{9}, KindMessage, &MessageBody{Text: "?"}), ErrInvalid},
		{"message with missing deps", mustSign(t, Op{Community: cid, Log: general.ID(), Kind: KindMessage, Deps: []ID{{7}}, Height: 1, Body: mustBody(t, &MessageBody{Text: "x"})}, dana), ErrMissingDeps},
		{"control op with wrong height", mustSign(t, Op{Community: cid, Kind: KindProfile, Parents: f.c.ControlHeads(), Height: 99, Body: mustBody(t, &ProfileBody{Name: "D"})}, dana), ErrMalformed},
		{"malformed body", mustSign(t, Op{Community: cid, Kind: KindProfile, Parents: f.c.ControlHeads(), Height: f.c.Draft(dana.pub(), ZeroID, KindProfile, nil).Height, Body: []byte{0xff}}, dana), ErrMalformed},
		{"second genesis", mustSign(t, Op{Kind: KindGenesis, Height: 1, Body: mustBody(t, &GenesisBody{Name: "x"})}, dana), ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := f.c.State().Clone()
			err := f.c.Add(tc.op, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Add = %v, want %v", err, tc.want)
			}
			if f.c.Has(tc.op.ID()) || len(f.c.State().Members) != len(before.Members) {
				t.Fatal("rejected op changed the state")
			}
		})
	}

	// An expired invite: the join's own time is past the expiry.
	inv2, ik2 := f.invite(f.owner, 10, 0)
	if err := f.c.Add(f.joinOp(eve, inv2, ik2, "Eve", 11_000), nil); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("expired invite: %v", err)
	}
}

// TestConcurrentJoinsPastMaxUses: two joins that each saw the invite unused
// are both accepted at receipt (each is valid in its causal past), and the
// deterministic order admits exactly one, the same one on every replica.
func TestConcurrentJoinsPastMaxUses(t *testing.T) {
	f := newFixture(t)
	inv, ik := f.invite(f.owner, 0, 1)
	a, b := newKey(11), newKey(12)
	ja, jb := f.joinOp(a, inv, ik, "A", 1), f.joinOp(b, inv, ik, "B", 1)
	var winners []PublicKey
	for _, order := range [][]*Op{{ja, jb}, {jb, ja}} {
		c, _ := NewCommunity(f.genesis, nil)
		if err := c.Add(inv, nil); err != nil {
			t.Fatal(err)
		}
		for _, o := range order {
			if err := c.Add(o, nil); err != nil {
				t.Fatalf("concurrent join refused at receipt: %v", err)
			}
		}
		st := c.State()
		in := []bool{st.Role(a.pub()) == RoleMember, st.Role(b.pub()) == RoleMember}
		if in[0] == in[1] {
			t.Fatalf("want exactly one of two concurrent joins admitted, got %v", in)
		}
		if len(st.Rejected) != 1 {
			t.Fatalf("want the other join recorded as rejected, got %v", st.Rejected)
		}
		w := a.pub()
		if in[1] {
			w = b.pub()
		}
		winners = append(winners, w)
	}
	if winners[0] != winners[1] {
		t.Fatal("replicas that saw the joins in different orders admitted different members")
	}
}

// TestMessageJudgedInCausalPast: a message whose deps predate its author's
// join is refused even by a replica that has since seen the join, so every
// replica reaches the same verdict.
func TestMessageJudgedInCausalPast(t *testing.T) {
	f := newFixture(t)
	general := f.op(f.owner, ZeroID, KindGroupCreate, &GroupCreateBody{Name: "General", Policy: PolicyEveryone})
	before := f.c.ControlHeads()
	inv, ik := f.invite(f.owner, 0, 0)
	dana := newKey(11)
	if err := f.c.Add(f.joinOp(dana, inv, ik, "Dana", 1), nil); err != nil {
		t.Fatal(err)
	}
	early := mustSign(t, Op{Community: f.genesis.ID(), Log: general.ID(), Kind: KindMessage, Deps: before, Height: 1, Body: mustBody(t, &MessageBody{Text: "sneaky"})}, dana)
	if err := f.c.Add(early, nil); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("message written before joining: %v", err)
	}
}

// TestConvergenceAnyOrder delivers the same ops to replicas in random
// orders, with duplicates, retrying parked ones, and checks every replica
// ends with the same members, names, groups and message order.
func TestConvergenceAnyOrder(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 50
	}
	for seed := range seeds {
		f := newFixture(t)
		rng := rand.New(rand.NewPCG(uint64(seed), 1))
		ops := []*Op{f.op(f.owner, ZeroID, KindGroupCreate, &GroupCreateBody{Name: "General", Policy: PolicyEveryone})}
		general := ops[0].ID()
		inv, ik := f.invite(f.owner, 0, 0)
		ops = append(ops, inv)
		keys := []testKey{f.owner}
		for i := range 4 {
			k := newKey(byte(20 + i))
			j := f.joinOp(k, inv, ik, "M", 1)
			if err := f.c.Add(j, nil); err != nil {
				t.Fatal(err)
			}
			ops = append(ops, j)
			keys = append(keys, k)
		}
		// Concurrent messages: each author writes on a random earlier
		// message (or none), as if it had not seen the rest.
		var msgs []*Op
		for range 20 {
			k := keys[rng.IntN(len(keys))]
			o := Op{Community: f.genesis.ID(), Log: general, Kind: KindMessage, Deps: f.c.ControlHeads(), Height: 1, Body: mustBody(t, &MessageBody{Text: "hi"})}
			if len(msgs) > 0 && rng.IntN(4) > 0 {
				p := msgs[rng.IntN(len(msgs))]
				o.Parents, o.Height = []ID{p.ID()}, p.Height+1
			}
			m := mustSign(t, o, k)
			if err := f.c.Add(m, nil); err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, m)
			ops = append(ops, m)
		}
		want := summary(f.c, general)
		for r := range 3 {
			c, _ := NewCommunity(f.genesis, nil)
			deliver := slices.Clone(ops)
			deliver = append(deliver, ops[rng.IntN(len(ops))]) // a duplicate
			rng.Shuffle(len(deliver), func(i, j int) { deliver[i], deliver[j] = deliver[j], deliver[i] })
			for len(deliver) > 0 {
				var parked []*Op
				for _, o := range deliver {
					if err := c.Add(o, nil); errors.Is(err, ErrMissingDeps) {
						parked = append(parked, o)
					} else if err != nil {
						t.Fatalf("seed %d replica %d: %v", seed, r, err)
					}
				}
				if len(parked) == len(deliver) {
					t.Fatalf("seed %d replica %d: stuck with %d parked ops", seed, r, len(parked))
				}
				deliver = parked
			}
			if got := summary(c, general); !slices.Equal(got, want) {
				t.Fatalf("seed %d replica %d diverged:\n got %v\nwant %v", seed, r, got, want)
			}
		}
	}
}

func summary(c *Community, group ID) []string {
	var out []string
	st := c.State()
	for k, m := range st.Members {
		out = append(out, "member "+k.String()+" "+m.Role.String()+" "+m.Name)
	}
	for id, g := range st.Groups {
		out = append(out, "group "+id.String()+" "+g.Name)
	}
	slices.Sort(out)
	for _, e := range c.Entries(group) {
		out = append(out, "msg "+e.Op.ID().String())
	}
	return out
}

// TestWaveOfJoins: after more concurrent joins than an op may cite, every
// joiner can still post: the deps it cites carry its own admission.
func TestWaveOfJoins(t *testing.T) {
	f := newFixture(t)
	general := f.op(f.owner, ZeroID, KindGroupCreate, &GroupCreateBody{Name: "General", Policy: PolicyEveryone})
	inv, ik := f.invite(f.owner, 0, 0)
	var keys []testKey
	for i := range 3 * MaxDeps {
		k := newKey(byte(40 + i))
		keys = append(keys, k)
		if err := f.c.Add(f.joinOp(k, inv, ik, fmt.Sprintf("Distributor %d", i), 1_000_000), nil); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.c.ControlHeads()) <= MaxDeps {
		t.Fatalf("only %d control heads; the test needs more than %d", len(f.c.ControlHeads()), MaxDeps)
	}
	for i, k := range keys {
		o := mustSign(t, f.c.Draft(k.pub(), general.ID(), KindMessage, mustBody(t, &MessageBody{Text: "Hi team!"})), k)
		if len(o.Deps) > MaxDeps {
			t.Fatalf("draft cites %d deps", len(o.Deps))
		}
		if err := f.c.Check(o, nil); err != nil {
			t.Fatalf("joiner %d cannot post after a wave of joins: %v", i, err)
		}
		p := mustSign(t, f.c.Draft(k.pub(), ZeroID, KindProfile, mustBody(t, &ProfileBody{Name: "New name"})), k)
		if err := f.c.Check(p, nil); err != nil {
			t.Fatalf("joiner %d cannot change its profile after a wave of joins: %v", i, err)
		}
	}
}
