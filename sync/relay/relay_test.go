package relay

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/exchange"
	"github.com/umbrella-p2p/umbrella/sync/p2p"
	"github.com/umbrella-p2p/umbrella/sync/reconcile"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

type key struct{ priv ed25519.PrivateKey }

func newKey(b byte) key                    { return key{ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, 32))} }
func (k key) PublicKey() ed25519.PublicKey { return k.priv.Public().(ed25519.PublicKey) }
func (k key) Sign(m []byte) []byte         { return ed25519.Sign(k.priv, m) }
func (k key) pub() (p crdt.PublicKey)      { copy(p[:], k.PublicKey()); return p }

func enc(t testing.TB, v any) []byte {
	t.Helper()
	b, err := crdt.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pipeRemote reaches a responder over net.Pipe with sync/p2p's own
// handlers and requesters, as peer from: the protocols members use.
type pipeRemote struct {
	from crdt.PublicKey
	rec  p2p.ReconcileResponder
	sync p2p.SyncResponder
}

func (p pipeRemote) String() string { return "pipe" }

func (p pipeRemote) run(handle func(io.ReadWriteCloser) error, ask func(io.ReadWriteCloser) error) error {
	a, b := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- handle(b); b.Close() }()
	err := ask(a)
	a.Close()
	<-done
	return err
}

func (p pipeRemote) Reconcile(_ context.Context, cid crdt.ID, set *reconcile.Set) (need []reconcile.Item, sent int, err error) {
	err = p.run(func(rw io.ReadWriteCloser) error {
		return p2p.HandleReconcile(rw, p.from, p.rec, p2p.NewSessionSlots(4, 4))
	}, func(rw io.ReadWriteCloser) error {
		var err error
		need, sent, err = p2p.Reconcile(rw, cid, set)
		return err
	})
	return need, sent, err
}

func (p pipeRemote) Fetch(_ context.Context, cid crdt.ID, ids []crdt.ID) ([][]byte, error) {
	var resp wire.Response
	err := p.run(func(rw io.ReadWriteCloser) error {
		return p2p.HandleSync(rw, p.from, p.sync)
	}, func(rw io.ReadWriteCloser) error {
		return p2p.Call(rw, &wire.Request{Kind: wire.KindFetch, Community: cid[:], IDs: wire.FromIDs(ids)}, &resp)
	})
	if err == nil && resp.Error != "" {
		err = errors.New(resp.Error)
	}
	return resp.Ops, err
}

// member is one member's replica and exchange server.
type member struct {
	t   testing.TB
	k   key
	rep *replica.Replica
	srv *exchange.Server
	cid crdt.ID
}

func newMember(t testing.TB, k key, cid crdt.ID) *member {
	t.Helper()
	rep, err := replica.Open(t.Context(), store.NewMemory(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cid.IsZero() {
		rep.Expect(cid)
	}
	return &member{t: t, k: k, rep: rep, srv: exchange.New(exchange.Config{Replica: rep, Self: k.pub()}), cid: cid}
}

func (m *member) author(log crdt.ID, kind crdt.Kind, body any) *crdt.Op {
	m.t.Helper()
	op, err := m.rep.Author(m.t.Context(), m.k, m.cid, log, kind, enc(m.t, body))
	if err != nil {
		m.t.Fatalf("author %s: %v", kind, err)
	}
	return op
}

// remote is how peer from reaches m.
func (m *member) remote(from crdt.PublicKey) pipeRemote {
	return pipeRemote{from: from, rec: m.srv, sync: m.srv}
}

// reach is how peer from reaches relay r.
func reach(r *Relay, from crdt.PublicKey) pipeRemote {
	return pipeRemote{from: from, rec: r, sync: Answerer{Relay: r}}
}

// team is Olivia's community: General for everyone, a post, an invite,
// Ben joined by it, and (if register) the relay registered by Olivia.
type team struct {
	olivia, ben *member
	relayKey    key
	general     crdt.ID
	invite      *crdt.Op
	invitePr    ed25519.PrivateKey
}

func newTeam(t testing.TB, register bool) *team { return newNamedTeam(t, "Glow Team", register) }

func newNamedTeam(t testing.TB, name string, register bool) *team {
	t.Helper()
	olivia := newMember(t, newKey(1), crdt.ZeroID)
	g, err := crdt.Sign(crdt.Op{Kind: crdt.KindGenesis, Height: 1, Body: enc(t, &crdt.GenesisBody{Name: name})}, olivia.k)
	if err != nil {
		t.Fatal(err)
	}
	olivia.cid = g.ID()
	olivia.rep.Expect(g.ID())
	if _, err := olivia.rep.Ingest(t.Context(), g); err != nil {
		t.Fatal(err)
	}
	tm := &team{olivia: olivia, relayKey: newKey(7)}
	tm.general = olivia.author(crdt.ZeroID, crdt.KindGroupCreate, &crdt.GroupCreateBody{Name: "General", Policy: crdt.PolicyEveryone}).ID()
	olivia.author(tm.general, crdt.KindMessage, &crdt.MessageBody{Text: "Monday call at 7", Time: 1})
	tm.invitePr = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	tm.invite = olivia.author(crdt.ZeroID, crdt.KindInvite, &crdt.InviteBody{Key: tm.invitePr.Public().(ed25519.PublicKey), Role: crdt.RoleMember, Name: "Glow Team"})
	ben := newKey(2)
	jb := enc(t, &crdt.JoinBody{Invite: tm.invite.ID().Bytes(), Proof: ed25519.Sign(tm.invitePr, crdt.JoinProofMessage(g.ID(), tm.invite.ID(), ben.pub())), Name: "Ben", Time: 2})
	j, err := crdt.Sign(crdt.Op{Community: g.ID(), Kind: crdt.KindJoin, Parents: []crdt.ID{tm.invite.ID()}, Height: tm.invite.Height + 1, Body: jb}, ben)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := olivia.rep.Ingest(t.Context(), j); err != nil {
		t.Fatal(err)
	}
	if register {
		p := tm.relayKey.pub()
		olivia.author(crdt.ZeroID, crdt.KindRelay, &crdt.RelayBody{Peer: p[:], Addrs: []string{"/ip4/127.0.0.1/tcp/4001"}})
	}
	tm.ben = newMember(t, ben, g.ID())
	return tm
}

func openRelay(t testing.TB, self crdt.PublicKey, st OpStore, share int64) *Relay {
	t.Helper()
	r, err := Open(t.Context(), Config{Self: self, Store: st, CommunityShare: share})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// posts returns the texts of community cid's posts in group g, as m sees them.
func posts(t testing.TB, m *member, g crdt.ID) []string {
	t.Helper()
	var out []string
	err := m.rep.View(m.cid, func(c *crdt.Community) error {
		for _, e := range c.Entries(g) {
			if b, ok := e.Body.(*crdt.MessageBody); ok {
				out = append(out, b.Text)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Olivia and Ben are never reachable at the same time: everything goes
// through the relay, over the protocols members use with each other.
func TestMembersExchangeThroughTheRelay(t *testing.T) {
	ctx := t.Context()
	tm := newTeam(t, true)
	rk := tm.relayKey.pub()
	r := openRelay(t, rk, store.NewMemory(), 0)

	// Olivia is online; the relay pulls from her (after her nudge).
	st, err := r.Pull(ctx, tm.olivia.remote(rk), tm.olivia.cid)
	if err != nil || st.Refused != 0 || st.Stored == 0 {
		t.Fatalf("relay pull from Olivia: %+v, %v", st, err)
	}
	if !r.Keeps(tm.olivia.cid) {
		t.Fatal("the relay does not keep the community Olivia registered it with")
	}

	// Olivia is gone; Ben pulls from the relay alone.
	if _, err := tm.ben.srv.Pull(ctx, reach(r, tm.ben.k.pub()), tm.ben.cid, nil); err != nil {
		t.Fatalf("Ben's pull from the relay: %v", err)
	}
	if got := posts(t, tm.ben, tm.general); len(got) != 1 || got[0] != "Monday call at 7" {
		t.Fatalf("Ben sees %q", got)
	}
	tm.ben.author(tm.general, crdt.KindMessage, &crdt.MessageBody{Text: "see you there", Time: 3})

	// Ben is online alone; the relay pulls from him (Ben's replica lets
	// the registered relay reconcile).
	if st, err := r.Pull(ctx, tm.ben.remote(rk), tm.ben.cid); err != nil || st.Stored != 1 {
		t.Fatalf("relay pull from Ben: %+v, %v", st, err)
	}

	// Olivia comes back alone.
	if _, err := tm.olivia.srv.Pull(ctx, reach(r, tm.olivia.k.pub()), tm.olivia.cid, nil); err != nil {
		t.Fatal(err)
	}
	if got := posts(t, tm.olivia, tm.general); len(got) != 2 || got[1] != "see you there" {
		t.Fatalf("Olivia sees %q", got)
	}
}

func TestRelayAcceptanceRules(t *testing.T) {
	ctx := t.Context()
	tm := newTeam(t, true)
	rk := tm.relayKey.pub()
	cid := tm.olivia.cid
	r := openRelay(t, rk, store.NewMemory(), 0)
	if _, err := r.Pull(ctx, tm.olivia.remote(rk), cid); err != nil {
		t.Fatal(err)
	}
	head := tm.olivia.author(crdt.ZeroID, crdt.KindProfile, &crdt.ProfileBody{Name: "Olivia"})
	if _, err := r.Ingest(ctx, cid, [][]byte{head.Bytes()}); err != nil {
		t.Fatal(err)
	}
	sign := func(k key, o crdt.Op) []byte {
		t.Helper()
		op, err := crdt.Sign(o, k)
		if err != nil {
			t.Fatal(err)
		}
		return op.Bytes()
	}
	stranger := newKey(66)
	profile := enc(t, &crdt.ProfileBody{Name: "Eve"})
	forged := bytes.Clone(sign(tm.olivia.k, crdt.Op{Community: cid, Kind: crdt.KindProfile, Parents: []crdt.ID{head.ID()}, Height: head.Height + 1, Body: profile}))
	forged[len(forged)-1] ^= 1
	other := newNamedTeam(t, "Other Team", false) // another community: never registered
	otherOp := other.olivia.author(crdt.ZeroID, crdt.KindProfile, &crdt.ProfileBody{Name: "O"})

	cases := []struct {
		name string
		raw  []byte
		want error
	}{
		{"forged signature", forged, ErrForged},
		{"oversized", make([]byte, crdt.MaxOpSize+1), ErrForged},
		{"another community's op", otherOp.Bytes(), ErrRouting},
		{"non-member author", sign(stranger, crdt.Op{Community: cid, Kind: crdt.KindProfile, Parents: []crdt.ID{head.ID()}, Height: head.Height + 1, Body: profile}), ErrUnknownAuthor},
		{"non-member's join without a proof", sign(stranger, crdt.Op{Community: cid, Kind: crdt.KindJoin, Parents: []crdt.ID{tm.invite.ID()}, Height: tm.invite.Height + 1,
			Body: enc(t, &crdt.JoinBody{Invite: tm.invite.ID().Bytes(), Proof: make([]byte, 64), Name: "Eve"})}), ErrUnknownAuthor},
		{"parent not held", sign(tm.olivia.k, crdt.Op{Community: cid, Kind: crdt.KindProfile, Parents: []crdt.ID{{1}}, Height: 2, Body: profile}), ErrBrokenLink},
		{"height that does not follow", sign(tm.olivia.k, crdt.Op{Community: cid, Kind: crdt.KindProfile, Parents: []crdt.ID{head.ID()}, Height: head.Height + 5, Body: profile}), ErrBrokenLink},
		{"content dep not held", sign(tm.olivia.k, crdt.Op{Community: cid, Log: tm.general, Kind: crdt.KindMessage, Height: 1, Deps: []crdt.ID{{2}}, Body: enc(t, &crdt.MessageBody{Text: "x"})}), ErrBrokenLink},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errs, err := r.Ingest(ctx, cid, [][]byte{c.raw})
			if err != nil {
				t.Fatal(err)
			}
			if !errors.Is(errs[0], c.want) {
				t.Fatalf("got %v, want %v", errs[0], c.want)
			}
		})
	}

	// A community that never registered the relay: the whole probe is
	// refused and nothing of it is kept or served.
	st, err := r.Pull(ctx, other.olivia.remote(rk), other.olivia.cid)
	if err == nil {
		t.Fatalf("pull of an unregistered community: %+v", st)
	}
	// (Other's Olivia refuses the relay, which no op there names; offer
	// its ops directly instead.)
	var raws [][]byte
	_ = other.olivia.rep.View(other.olivia.cid, func(c *crdt.Community) error {
		c.EachOp(crdt.ZeroID, func(o *crdt.Op) { raws = append(raws, o.Bytes()) })
		return nil
	})
	errs, err := r.Ingest(ctx, other.olivia.cid, sortedControlFirst(t, raws))
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range errs {
		if !errors.Is(e, ErrNotRegistered) {
			t.Fatalf("op %d of an unregistered community: %v", i, e)
		}
	}
	if len(r.Communities()) != 1 || r.holds(other.olivia.cid) {
		t.Fatalf("the relay keeps %v", r.Communities())
	}

	// Serving: a stranger is told nothing.
	if _, err := r.ReconcileSet(cid, stranger.pub()); !errors.Is(err, ErrNotMember) {
		t.Fatalf("reconcile by a stranger: %v", err)
	}
	if resp := (Answerer{Relay: r}).AnswerSync(stranger.pub(), &wire.Request{Kind: wire.KindFetch, Community: cid[:], IDs: wire.FromIDs([]crdt.ID{head.ID()})}); resp.Error == "" || len(resp.Ops) > 0 {
		t.Fatalf("fetch by a stranger: %+v", resp)
	}
	if resp := (Answerer{Relay: r}).AnswerSync(tm.ben.k.pub(), &wire.Request{Kind: wire.KindSecret, Community: cid[:]}); resp.Error == "" {
		t.Fatal("a relay answered a topic secret request")
	}

	// The removal of the registration stops the relay taking more.
	p := rk
	off := tm.olivia.author(crdt.ZeroID, crdt.KindRelay, &crdt.RelayBody{Peer: p[:], Remove: true})
	if errs, _ := r.Ingest(ctx, cid, [][]byte{off.Bytes()}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	post := tm.olivia.author(tm.general, crdt.KindMessage, &crdt.MessageBody{Text: "after", Time: 9})
	if errs, _ := r.Ingest(ctx, cid, [][]byte{post.Bytes()}); !errors.Is(errs[0], ErrNotRegistered) {
		t.Fatalf("op after the relay's removal: %v", errs[0])
	}
}

func TestRelayQuotaRefusesWithReason(t *testing.T) {
	ctx := t.Context()
	tm := newTeam(t, true)
	rk := tm.relayKey.pub()
	cid := tm.olivia.cid
	r := openRelay(t, rk, store.NewMemory(), 0)
	if _, err := r.Pull(ctx, tm.olivia.remote(rk), cid); err != nil {
		t.Fatal(err)
	}
	// A relay with a share just above what the community holds.
	held := r.comms[cid].bytes
	var raws [][]byte
	items, err := r.items(ctx, cid, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		op, err := r.cfg.Store.Get(ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, op.Bytes())
	}
	small := openRelay(t, rk, store.NewMemory(), held+10)
	// The control log first (the probe), then the rest.
	raws = sortedControlFirst(t, raws)
	control := 0
	for _, raw := range raws {
		if op, _ := crdt.DecodeOp(raw); op.Log.IsZero() {
			control++
		}
	}
	for _, part := range [][][]byte{raws[:control], raws[control:]} {
		if errs, err := small.Ingest(ctx, cid, part); err != nil || firstErr(errs) != nil {
			t.Fatalf("ingest: %v %v", err, firstErr(errs))
		}
	}
	post := tm.olivia.author(tm.general, crdt.KindMessage, &crdt.MessageBody{Text: "one more", Time: 9})
	errs, err := small.Ingest(ctx, cid, [][]byte{post.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(errs[0], ErrQuota) || !strings.Contains(errs[0].Error(), "share") {
		t.Fatalf("op over the share: %v", errs[0])
	}
	resp := (Answerer{Relay: small}).AnswerSync(tm.olivia.k.pub(), &wire.Request{Kind: wire.KindNudge, Community: cid[:]})
	if !strings.Contains(resp.Error, ErrQuota.Error()) {
		t.Fatalf("nudge at the quota answered %q", resp.Error)
	}
	if err := r.Full(cid); err != nil {
		t.Fatalf("a relay under its quota says %v", err)
	}
}

func firstErr(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// sortedControlFirst orders raws as a pull fetches them.
func sortedControlFirst(t testing.TB, raws [][]byte) [][]byte {
	t.Helper()
	var items []reconcile.Item
	byID := map[crdt.ID][]byte{}
	for _, raw := range raws {
		op, err := crdt.DecodeOp(raw)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, reconcile.Item{Key: reconcile.Rank(!op.Log.IsZero(), op.Height), ID: op.ID()})
		byID[op.ID()] = raw
	}
	reconcile.Sort(items)
	out := make([][]byte, len(items))
	for i, x := range items {
		out[i] = byID[x.ID]
	}
	return out
}

// The relay keeps what it stored across a restart (Badger on disk).
func TestRelayRestartKeepsTheStore(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	tm := newTeam(t, true)
	rk := tm.relayKey.pub()
	cid := tm.olivia.cid
	ds, err := store.OpenBadger(dir, store.BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := openRelay(t, rk, ds, 0)
	if _, err := r.Pull(ctx, tm.olivia.remote(rk), cid); err != nil {
		t.Fatal(err)
	}
	before := r.comms[cid].ops
	if err := ds.Close(); err != nil {
		t.Fatal(err)
	}
	ds, err = store.OpenBadger(dir, store.BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ds.Close() })
	r = openRelay(t, rk, ds, 0)
	if !r.Keeps(cid) || r.comms[cid].ops != before || !r.Known(cid, tm.ben.k.pub()) {
		t.Fatalf("after a restart the relay keeps %v with %d ops", r.Keeps(cid), r.comms[cid].ops)
	}
	if _, err := tm.ben.srv.Pull(ctx, reach(r, tm.ben.k.pub()), cid, nil); err != nil {
		t.Fatal(err)
	}
	if got := posts(t, tm.ben, tm.general); len(got) != 1 {
		t.Fatalf("Ben sees %q after the relay restarted", got)
	}
}

// TestNudgePulls: a member's nudge (its push) makes the relay pull from
// it; a stranger's nudge for a community the relay keeps dials no one.
func TestNudgePulls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tm := newTeam(t, true)
		rk := tm.relayKey.pub()
		cid := tm.olivia.cid
		r := openRelay(t, rk, store.NewMemory(), 0)
		var dialled []crdt.PublicKey
		p := NewPuller(t.Context(), r, func(k crdt.PublicKey) (exchange.Remote, error) {
			dialled = append(dialled, k)
			return tm.olivia.remote(rk), nil
		}, nil)
		defer p.Close()
		p.Nudged(cid, tm.olivia.k.pub())
		synctest.Wait()
		if !r.Keeps(cid) {
			t.Fatal("a member's nudge did not make the relay pull")
		}
		p.Nudged(cid, newKey(66).pub())
		synctest.Wait()
		if len(dialled) != 1 {
			t.Fatalf("dialled %d peers, want only the member", len(dialled))
		}
		// A nudge's answer waits for the pull: when it comes, the relay
		// holds what the member wrote.
		post := tm.olivia.author(tm.general, crdt.KindMessage, &crdt.MessageBody{Text: "new", Time: 8})
		if resp := (Answerer{Relay: r, Nudges: p, Wait: time.Minute}).AnswerSync(tm.olivia.k.pub(), &wire.Request{Kind: wire.KindNudge, Community: cid[:]}); resp.Error != "" {
			t.Fatalf("nudge answered %q", resp.Error)
		}
		if ops, _ := r.Serve(t.Context(), cid, []crdt.ID{post.ID()}); len(ops) != 1 {
			t.Fatal("the nudge was answered before the relay took the post")
		}
		if len(dialled) != 2 {
			t.Fatalf("a nudge through the answerer dialled %d times in all, want 2", len(dialled))
		}
	})
}

// TestSealedGenesisRegisters: the founder's genesis, like every op but the
// key-management and relay kinds, may carry a sealed body; the relay
// still knows its author as the first owner, and takes the probe.
func TestSealedGenesisRegisters(t *testing.T) {
	ctx := t.Context()
	owner, rk := newKey(1), newKey(7)
	sealed := func(b byte) []byte {
		body, err := crdt.EncodeSealed(crdt.EpochID{b}, 0, bytes.Repeat([]byte{b}, 40))
		if err != nil {
			t.Fatal(err)
		}
		return body
	}
	sign := func(o crdt.Op) *crdt.Op {
		t.Helper()
		op, err := crdt.Sign(o, owner)
		if err != nil {
			t.Fatal(err)
		}
		return op
	}
	g := sign(crdt.Op{Kind: crdt.KindGenesis, Height: 1, Body: sealed(1)})
	cid := g.ID()
	p := rk.pub()
	reg := sign(crdt.Op{Community: cid, Kind: crdt.KindRelay, Parents: []crdt.ID{g.ID()}, Height: 2,
		Body: enc(t, &crdt.RelayBody{Peer: p[:], Addrs: []string{"/ip4/10.0.0.7/tcp/4001"}})})
	post := sign(crdt.Op{Community: cid, Log: cid, Kind: crdt.KindMessage, Height: 1, Deps: []crdt.ID{reg.ID()}, Body: sealed(2)})
	r := openRelay(t, rk.pub(), store.NewMemory(), 0)
	errs, err := r.Ingest(ctx, cid, [][]byte{g.Bytes(), reg.Bytes()})
	if err != nil || firstErr(errs) != nil {
		t.Fatalf("probe with a sealed genesis: %v %v", err, firstErr(errs))
	}
	if errs, _ := r.Ingest(ctx, cid, [][]byte{post.Bytes()}); errs[0] != nil {
		t.Fatalf("a sealed post by the founder: %v", errs[0])
	}
	if !r.Keeps(cid) || !r.Known(cid, owner.pub()) {
		t.Fatal("the relay does not keep the community or know its founder")
	}
	r = openRelay(t, rk.pub(), r.cfg.Store, 0)
	if !r.Keeps(cid) || !r.Known(cid, owner.pub()) {
		t.Fatal("reopened, the relay does not keep the community or know its founder")
	}
}

// TestReopenTakesOpsInLogOrder: an op refused once (its author was not
// known yet) and taken later, after a rotation made its author known,
// sits before that rotation in its log; the relay reopens over it, knows
// the same authors, and counts each op once. A relay taken off keeps
// taking the control log, and takes everything again once registered
// again.
func TestReopenTakesOpsInLogOrder(t *testing.T) {
	ctx := t.Context()
	owner, carl, rk := newKey(1), newKey(3), newKey(7)
	sign := func(k key, o crdt.Op) *crdt.Op {
		t.Helper()
		op, err := crdt.Sign(o, k)
		if err != nil {
			t.Fatal(err)
		}
		return op
	}
	g := sign(owner, crdt.Op{Kind: crdt.KindGenesis, Height: 1, Body: enc(t, &crdt.GenesisBody{Name: "Glow"})})
	cid := g.ID()
	p := rk.pub()
	relayOp := func(parent *crdt.Op, remove bool) *crdt.Op {
		b := &crdt.RelayBody{Peer: p[:], Addrs: []string{"/ip4/10.0.0.7/tcp/4001"}, Remove: remove}
		if remove {
			b.Addrs = nil
		}
		return sign(owner, crdt.Op{Community: cid, Kind: crdt.KindRelay, Parents: []crdt.ID{parent.ID()}, Height: parent.Height + 1, Body: enc(t, b)})
	}
	reg := relayOp(g, false)
	profile := sign(carl, crdt.Op{Community: cid, Kind: crdt.KindProfile, Parents: []crdt.ID{reg.ID()}, Height: 3, Body: enc(t, &crdt.ProfileBody{Name: "Carl"})})
	ck := carl.pub()
	rekey := sign(owner, crdt.Op{Community: cid, Kind: crdt.KindRekey, Parents: []crdt.ID{reg.ID()}, Height: 3, Body: enc(t, &crdt.RekeyBody{
		Epoch: make([]byte, crdt.EpochIDSize), Part: 1, Parts: 1, Check: make([]byte, 32),
		Wraps: []crdt.Wrap{{Member: ck[:], KEM: crdt.KEMX25519, Prekey: make([]byte, 8), Secret: []byte{1}}}})})
	ds := store.NewMemory()
	r := openRelay(t, rk.pub(), ds, 0)
	errs, err := r.Ingest(ctx, cid, [][]byte{g.Bytes(), reg.Bytes(), profile.Bytes(), rekey.Bytes()})
	if err != nil || errs[0] != nil || errs[1] != nil || !errors.Is(errs[2], ErrUnknownAuthor) || errs[3] != nil {
		t.Fatalf("first ingest: %v %v", errs, err)
	}
	if errs, _ := r.Ingest(ctx, cid, [][]byte{profile.Bytes()}); errs[0] != nil {
		t.Fatalf("Carl's profile once the rotation made him known: %v", errs[0])
	}
	total := r.total
	r2 := openRelay(t, rk.pub(), ds, 0)
	if !r2.Keeps(cid) || !r2.Known(cid, ck) || r2.total != total || r2.comms[cid].bytes != total {
		t.Fatalf("reopened: keeps %v, knows Carl %v, %d bytes (want %d)", r2.Keeps(cid), r2.Known(cid, ck), r2.total, total)
	}

	// Taken off: control ops still come, content does not.
	off := relayOp(rekey, true)
	post := sign(owner, crdt.Op{Community: cid, Log: cid, Kind: crdt.KindMessage, Height: 1, Deps: []crdt.ID{off.ID()}, Body: enc(t, &crdt.MessageBody{Text: "x"})})
	if errs, _ := r2.Ingest(ctx, cid, [][]byte{off.Bytes(), post.Bytes()}); errs[0] != nil || !errors.Is(errs[1], ErrNotRegistered) {
		t.Fatalf("after the removal: %v", errs)
	}
	again := relayOp(off, false)
	if errs, _ := r2.Ingest(ctx, cid, [][]byte{again.Bytes(), post.Bytes()}); errs[0] != nil || errs[1] != nil {
		t.Fatalf("registered again: %v", errs)
	}
}

// TestNudgeDuringPullQueuesAnother: a nudge that comes while a pull from
// the same member runs gets a pull of its own after it (the running one
// may have reconciled before what the nudge announces was written).
func TestNudgeDuringPullQueuesAnother(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tm := newTeam(t, true)
		rk := tm.relayKey.pub()
		cid := tm.olivia.cid
		r := openRelay(t, rk, store.NewMemory(), 0)
		gate := make(chan struct{})
		dials := 0
		p := NewPuller(t.Context(), r, func(crdt.PublicKey) (exchange.Remote, error) {
			dials++
			<-gate
			return tm.olivia.remote(rk), nil
		}, nil)
		defer p.Close()
		first := p.Nudged(cid, tm.olivia.k.pub())
		synctest.Wait() // the first pull runs, held at its dial
		second := p.Nudged(cid, tm.olivia.k.pub())
		if first == second {
			t.Fatal("a nudge during a pull waits for that pull only")
		}
		close(gate)
		<-second.Done()
		if dials != 2 {
			t.Fatalf("%d pulls, want 2", dials)
		}
	})
}
