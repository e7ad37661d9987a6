package crdt

import (
	"crypto/ed25519"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// world simulates a community's members, each with their own replica, who
// write ops on what they have seen and sync with each other when told to.
// It is how tests build concurrent histories without a network.
type world struct {
	t       testing.TB
	genesis *Op
	all     []*Op
	keys    map[string]testKey
	reps    map[string]*Community
	names   []string
	invKey  ed25519.PrivateKey
	invKeys map[ID]ed25519.PrivateKey // every invite's key, by invite op
}

func newWorld(t testing.TB, owner string) *world {
	k := newKey(1)
	g := mustSign(t, Op{Kind: KindGenesis, Height: 1, Body: mustBody(t, &GenesisBody{Name: "Glow Team", Time: 1})}, k)
	c, err := NewCommunity(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, genesis: g, keys: map[string]testKey{owner: k}, reps: map[string]*Community{owner: c}, names: []string{owner},
		invKeys: map[ID]ed25519.PrivateKey{}}
}

func (w *world) pub(name string) PublicKey { return w.keys[name].pub() }
func (w *world) pk(name string) []byte     { p := w.pub(name); return p[:] }
func (w *world) cid() ID                   { return w.genesis.ID() }

// try drafts an op by name on name's replica and adds it there.
func (w *world) try(name string, log ID, kind Kind, body interface{ check() error }) (*Op, error) {
	w.t.Helper()
	c := w.reps[name]
	b, err := EncodeBody(body)
	if err != nil {
		return nil, err
	}
	o, err := Sign(c.Draft(w.keys[name].pub(), log, kind, b), w.keys[name])
	if err != nil {
		return nil, err
	}
	if err := c.Add(o, nil); err != nil {
		return o, err
	}
	w.all = append(w.all, o)
	return o, nil
}

// do is try that must succeed.
func (w *world) do(name string, log ID, kind Kind, body interface{ check() error }) *Op {
	w.t.Helper()
	o, err := w.try(name, log, kind, body)
	if err != nil {
		w.t.Fatalf("%s %s: %v", name, kind, err)
	}
	return o
}

// invite makes an invite by name (an admin) and keeps its key for joins.
func (w *world) invite(name string) *Op {
	w.t.Helper()
	priv := ed25519.NewKeyFromSeed(append(make([]byte, 31), byte(len(w.all))))
	w.invKey = priv
	inv := w.do(name, ZeroID, KindInvite, &InviteBody{Key: priv.Public().(ed25519.PublicKey), Role: RoleMember, Name: "Glow Team", Time: 1})
	w.invKeys[inv.ID()] = priv
	return inv
}

// joinVia has a newcomer join with invite inv, made earlier by anyone, on a
// copy of at's replica: at is the member whose node admits the join.
func (w *world) joinVia(name, at string, inv *Op) (*Op, error) {
	w.t.Helper()
	key, ok := w.invKeys[inv.ID()]
	if !ok {
		w.t.Fatalf("no key for invite %s", inv.ID().Short())
	}
	return w.join(name, at, inv, key)
}

// join creates a new member who joins with inv (made by inviter) on a copy
// of the inviter's replica.
func (w *world) join(name, inviter string, inv *Op, invKey ed25519.PrivateKey) (*Op, error) {
	w.t.Helper()
	k := newKey(byte(10 + len(w.keys)))
	w.keys[name] = k
	w.names = append(w.names, name)
	w.reps[name] = w.copyOf(inviter)
	return w.try(name, ZeroID, KindJoin, &JoinBody{Invite: idb(inv.ID()), Proof: ed25519.Sign(invKey, JoinProofMessage(w.cid(), inv.ID(), k.pub())), Name: name, Time: 100_000})
}

// member adds a member through a fresh invite by the owner-side actor by.
func (w *world) member(name, by string) {
	w.t.Helper()
	inv := w.invite(by)
	if _, err := w.join(name, by, inv, w.invKey); err != nil {
		w.t.Fatalf("join %s: %v", name, err)
	}
	w.syncAll()
}

func (w *world) copyOf(name string) *Community {
	w.t.Helper()
	c, err := NewCommunity(w.genesis, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	deliverAll(w.t, c, w.opsOf(w.reps[name]))
	return c
}

// opsOf lists the ops replica c holds, from the world's record.
func (w *world) opsOf(c *Community) []*Op {
	var out []*Op
	for _, o := range w.all {
		if c.Has(o.ID()) {
			out = append(out, o)
		}
	}
	return out
}

// sync gives a and b everything either holds.
func (w *world) sync(a, b string) {
	w.t.Helper()
	ra, rb := w.reps[a], w.reps[b]
	oa, ob := w.opsOf(ra), w.opsOf(rb)
	deliverAll(w.t, ra, ob)
	deliverAll(w.t, rb, oa)
}

func (w *world) syncAll() {
	w.t.Helper()
	for _, n := range w.names {
		deliverAll(w.t, w.reps[n], w.all)
	}
}

// final delivers every op to a fresh replica, checks that more fresh
// replicas in other orders (with duplicates) and a bulk Load agree with it,
// and returns it.
func (w *world) final(rng *rand.Rand) *Community {
	w.t.Helper()
	c, err := NewCommunity(w.genesis, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	deliverAll(w.t, c, w.all)
	want := c.Hash()
	for r := range 3 {
		d := slices.Clone(w.all)
		d = append(d, w.all[rng.IntN(len(w.all))], w.all[rng.IntN(len(w.all))])
		rng.Shuffle(len(d), func(i, j int) { d[i], d[j] = d[j], d[i] })
		cc, _ := NewCommunity(w.genesis, nil)
		deliverAll(w.t, cc, d)
		if cc.Hash() != want {
			w.t.Fatalf("replica %d that received the ops in another order diverged", r)
		}
	}
	l, err := Load(Opened{Op: w.genesis}, clearOps(w.all))
	if err != nil {
		w.t.Fatalf("load: %v", err)
	}
	if l.Hash() != want {
		w.t.Fatal("a replica rebuilt with Load diverged from one that added ops one by one")
	}
	return c
}

// deliverAll adds ops to c in the given order, parking and retrying the
// ones whose parents have not arrived, as the replica's pending buffer does.
// Every op must be accepted in the end.
func deliverAll(t testing.TB, c *Community, ops []*Op) {
	t.Helper()
	for len(ops) > 0 {
		var parked []*Op
		for _, o := range ops {
			if err := c.Add(o, nil); errors.Is(err, ErrMissingDeps) {
				parked = append(parked, o)
			} else if err != nil {
				t.Fatalf("deliver %s %s: %v", o.Kind, o.ID().Short(), err)
			}
		}
		if len(parked) == len(ops) {
			t.Fatalf("stuck with %d parked ops", len(parked))
		}
		ops = parked
	}
}

// post finds name's post with text in group's view.
func findPost(t testing.TB, c *Community, group, id ID) *Post {
	t.Helper()
	for _, p := range c.View(group).Posts {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("post %s not in view", id.Short())
	return nil
}

// clearOps pairs ops whose bodies are in clear with no opened body, as Load
// takes them.
func clearOps(ops []*Op) []Opened {
	out := make([]Opened, len(ops))
	for i, o := range ops {
		out[i] = Opened{Op: o}
	}
	return out
}
