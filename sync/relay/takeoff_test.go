package relay

import (
	"cmp"
	"crypto/ed25519"
	"slices"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// takeoff drives an open relay holding Olivia's team: forged ops are
// signed by any key on top of the newest op the relay holds.
type takeoff struct {
	t   *testing.T
	tm  *team
	st  OpStore
	r   *Relay
	tip *crdt.Op
}

// newTakeoff: if register, Olivia registered the relay; else Ben did.
func newTakeoff(t *testing.T, register bool) *takeoff {
	t.Helper()
	tm := newTeam(t, register)
	x := &takeoff{t: t, tm: tm, st: store.NewMemory()}
	x.r = openRelay(t, tm.relayKey.pub(), x.st, 0)
	if register {
		x.pull()
	} else {
		x.push(tm.ben.k)
	}
	return x
}

// pull takes what Olivia holds (the relay is registered, so a member
// serves it) and makes its newest control op the tip.
func (x *takeoff) pull() {
	x.t.Helper()
	if _, err := x.r.Pull(x.t.Context(), x.tm.olivia.remote(x.tm.relayKey.pub()), x.tm.olivia.cid); err != nil {
		x.t.Fatal(err)
	}
	x.tip = nil
	for _, o := range x.control() {
		if x.tip == nil || o.Height > x.tip.Height {
			x.tip = o
		}
	}
}

// control returns Olivia's control log, parents before children.
func (x *takeoff) control() []*crdt.Op {
	var ops []*crdt.Op
	_ = x.tm.olivia.rep.View(x.tm.olivia.cid, func(c *crdt.Community) error {
		c.EachOp(crdt.ZeroID, func(o *crdt.Op) { ops = append(ops, o) })
		return nil
	})
	slices.SortFunc(ops, func(a, b *crdt.Op) int { return cmp.Compare(a.Height, b.Height) })
	return ops
}

// push gives the relay, unregistered, Olivia's control log with a
// registration by k on top, in one batch, as a member's push would.
func (x *takeoff) push(k key) {
	x.t.Helper()
	ops := x.control()
	x.tip = ops[len(ops)-1]
	rk := x.tm.relayKey.pub()
	reg := x.signed(k, crdt.KindRelay, &crdt.RelayBody{Peer: rk[:], Addrs: []string{"/ip4/10.0.0.7/tcp/4001"}})
	var raw [][]byte
	for _, o := range append(ops, reg) {
		raw = append(raw, o.Bytes())
	}
	errs, err := x.r.Ingest(x.t.Context(), x.tm.olivia.cid, raw)
	if err != nil {
		x.t.Fatal(err)
	}
	for i, e := range errs {
		if e != nil {
			x.t.Fatalf("push op %d: %v", i, e)
		}
	}
	x.tip = reg
}

// signed has k sign an op of kind on the tip.
func (x *takeoff) signed(k key, kind crdt.Kind, body any) *crdt.Op {
	x.t.Helper()
	op, err := crdt.Sign(crdt.Op{Community: x.tm.olivia.cid, Kind: kind, Parents: []crdt.ID{x.tip.ID()}, Height: x.tip.Height + 1, Body: enc(x.t, body)}, k)
	if err != nil {
		x.t.Fatal(err)
	}
	return op
}

// sign has k sign an op of kind on the tip, gives it to the relay and
// makes it the tip.
func (x *takeoff) sign(k key, kind crdt.Kind, body any) {
	x.t.Helper()
	op := x.signed(k, kind, body)
	errs, err := x.r.Ingest(x.t.Context(), x.tm.olivia.cid, [][]byte{op.Bytes()})
	if err != nil || errs[0] != nil {
		x.t.Fatalf("ingest %s: %v %v", kind, errs, err)
	}
	x.tip = op
}

// relayOp has k sign a relay op naming the relay.
func (x *takeoff) relayOp(k key, remove bool) {
	x.t.Helper()
	rk := x.tm.relayKey.pub()
	b := &crdt.RelayBody{Peer: rk[:], Remove: remove}
	if !remove {
		b.Addrs = []string{"/ip4/10.0.0.7/tcp/4001"}
	}
	x.sign(k, crdt.KindRelay, b)
}

// leak has a stranger join by the team's invite link.
func (x *takeoff) leak(k key) {
	x.t.Helper()
	cid := x.tm.olivia.cid
	x.sign(k, crdt.KindJoin, &crdt.JoinBody{Invite: x.tm.invite.ID().Bytes(),
		Proof: ed25519.Sign(x.tm.invitePr, crdt.JoinProofMessage(cid, x.tm.invite.ID(), k.pub())), Name: "Mal", Time: 3})
}

// kept reports whether the relay keeps the community, after dropping
// the unregistered and after a restart from its store.
func (x *takeoff) kept() bool {
	x.t.Helper()
	ctx := x.t.Context()
	cid := x.tm.olivia.cid
	keeps := x.r.Keeps(cid)
	n, err := x.r.DropUnregistered(ctx)
	if err != nil {
		x.t.Fatal(err)
	}
	if keeps && n > 0 {
		x.t.Fatalf("keeps the community but dropped %d ops", n)
	}
	if again := openRelay(x.t, x.tm.relayKey.pub(), x.st, 0).Keeps(cid); again != keeps {
		x.t.Fatalf("keeps %v, after a restart %v", keeps, again)
	}
	return keeps
}

// TestOpenRelayTakeoff: on an open relay (no allow list), while a
// community is registered only the genesis's author or the registrant
// takes the relay off or registers it anew; a plain member, a removed
// member or a joiner by a leaked link cannot make it drop the community.
func TestOpenRelayTakeoff(t *testing.T) {
	mal, sue := newKey(21), newKey(22)
	cases := []struct {
		name     string
		register bool // Olivia registers the relay
		steps    func(x *takeoff)
		kept     bool
	}{
		{"plain member", true, func(x *takeoff) { x.relayOp(x.tm.ben.k, true) }, true},
		{"removed member", true, func(x *takeoff) {
			b := x.tm.ben.k.pub()
			x.tm.olivia.author(crdt.ZeroID, crdt.KindRemove, &crdt.RemoveBody{Member: b[:], Time: 4})
			x.pull()
			x.relayOp(x.tm.ben.k, true)
		}, true},
		{"leaked-link joiner", true, func(x *takeoff) { x.leak(mal); x.relayOp(mal, true) }, true},
		{"leaked-link joiner registers then takes off", true, func(x *takeoff) {
			x.leak(mal)
			x.relayOp(mal, false)
			x.relayOp(mal, true)
		}, true},
		{"genesis author", true, func(x *takeoff) { x.relayOp(x.tm.olivia.k, true) }, false},
		{"genesis author after a member's registration", true, func(x *takeoff) {
			x.relayOp(x.tm.ben.k, false)
			x.relayOp(x.tm.olivia.k, true)
		}, false},
		{"registrant", false, func(x *takeoff) { x.relayOp(x.tm.ben.k, true) }, false},
		{"another member than the registrant", false, func(x *takeoff) {
			x.leak(sue)
			x.relayOp(sue, false)
			x.relayOp(sue, true)
		}, true},
		{"genesis author over a member's registration", false, func(x *takeoff) {
			x.relayOp(x.tm.olivia.k, true)
		}, false},
		{"a member registers again after the genesis author took it off", true, func(x *takeoff) {
			x.relayOp(x.tm.olivia.k, true)
			x.relayOp(x.tm.ben.k, false)
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := newTakeoff(t, tc.register)
			if !x.r.Keeps(x.tm.olivia.cid) {
				t.Fatal("not registered before")
			}
			tc.steps(x)
			if got := x.kept(); got != tc.kept {
				t.Fatalf("kept %v, want %v", got, tc.kept)
			}
		})
	}
}
