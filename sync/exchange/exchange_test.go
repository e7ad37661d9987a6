package exchange

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
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

// recorder is an Observer that records what it hears.
type recorder struct {
	mu       sync.Mutex
	ingested int
	admitted []bool // recorded, per admission
}

func (r *recorder) Ingested(replica.Result) { r.mu.Lock(); r.ingested++; r.mu.Unlock() }
func (r *recorder) Admitted(_ crdt.PublicKey, _ *crdt.Op, recorded bool) {
	r.mu.Lock()
	r.admitted = append(r.admitted, recorded)
	r.mu.Unlock()
}

// world is Olivia's replica of Glow Team: General (everyone), Leaders
// (approval, with a post only its members may read), and an invite whose
// secret the test holds.
type world struct {
	t        testing.TB
	owner    key
	st       *store.DS // rep's
	rep      *replica.Replica
	srv      *Server
	obs      *recorder
	now      time.Time
	cid      crdt.ID
	general  crdt.ID
	leaders  crdt.ID
	secret   crdt.ID // the Leaders post
	invite   *crdt.Op
	invitePr ed25519.PrivateKey
}

func newWorld(t testing.TB) *world { return newWorldOn(t, store.NewMemory()) }

// newWorldOn is newWorld with the owner's replica over st.
func newWorldOn(t testing.TB, st *store.DS) *world {
	t.Helper()
	ctx := t.Context()
	w := &world{t: t, owner: newKey(1), obs: &recorder{}, now: time.Unix(1_700_000_000, 0)}
	w.st = st
	var err error
	if w.rep, err = replica.Open(ctx, w.st, nil); err != nil {
		t.Fatal(err)
	}
	g, err := crdt.Sign(crdt.Op{Kind: crdt.KindGenesis, Height: 1, Body: enc(t, &crdt.GenesisBody{Name: "Glow Team"})}, w.owner)
	if err != nil {
		t.Fatal(err)
	}
	w.cid = g.ID()
	w.rep.Expect(w.cid)
	if _, err := w.rep.Ingest(ctx, g); err != nil {
		t.Fatal(err)
	}
	w.general = w.author(w.owner, crdt.ZeroID, crdt.KindGroupCreate, &crdt.GroupCreateBody{Name: "General", Policy: crdt.PolicyEveryone}).ID()
	w.leaders = w.author(w.owner, crdt.ZeroID, crdt.KindGroupCreate, &crdt.GroupCreateBody{Name: "Leaders", Policy: crdt.PolicyApproval}).ID()
	w.secret = w.author(w.owner, w.leaders, crdt.KindMessage, &crdt.MessageBody{Text: "bonus numbers"}).ID()
	w.author(w.owner, w.general, crdt.KindMessage, &crdt.MessageBody{Text: "hello everyone"})
	w.invitePr = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	w.invite = w.author(w.owner, crdt.ZeroID, crdt.KindInvite, &crdt.InviteBody{Key: w.invitePr.Public().(ed25519.PublicKey), Role: crdt.RoleMember, MaxUses: 2, Name: "Glow Team"})
	w.srv = New(Config{Replica: w.rep, Self: w.owner.pub(), Now: func() time.Time { return w.now }, Observer: w.obs})
	return w
}

func openReplica(t testing.TB) *replica.Replica {
	t.Helper()
	r, err := replica.Open(t.Context(), store.NewMemory(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (w *world) author(k key, log crdt.ID, kind crdt.Kind, body any) *crdt.Op {
	w.t.Helper()
	op, err := w.rep.Author(w.t.Context(), k, w.cid, log, kind, enc(w.t, body))
	if err != nil {
		w.t.Fatalf("author %s: %v", kind, err)
	}
	return op
}

// joinOp is k's join op by the world's invite.
func (w *world) joinOp(k key) *crdt.Op {
	w.t.Helper()
	jb := enc(w.t, &crdt.JoinBody{Invite: w.invite.ID().Bytes(), Proof: ed25519.Sign(w.invitePr, crdt.JoinProofMessage(w.cid, w.invite.ID(), k.pub())), Name: "Ben", Time: w.now.UnixMilli()})
	j, err := crdt.Sign(crdt.Op{Community: w.cid, Kind: crdt.KindJoin, Parents: []crdt.ID{w.invite.ID()}, Height: w.invite.Height + 1, Body: jb}, k)
	if err != nil {
		w.t.Fatal(err)
	}
	return j
}

// admit has the world admit k, and fails the test unless it does.
func (w *world) admit(k key) {
	w.t.Helper()
	resp := w.srv.AnswerJoin(w.t.Context(), k.pub(), &wire.JoinRequest{Invite: w.invite.Bytes(), Join: w.joinOp(k).Bytes()})
	if resp.Error != "" || resp.Pending {
		w.t.Fatalf("join of %s: %+v", k.pub(), resp)
	}
}

// direct is a Remote that reaches a Server in-process, as peer self.
type direct struct {
	srv  *Server
	self crdt.PublicKey
	// garbage, when set, is what Fetch answers instead.
	garbage [][]byte
}

func (d direct) String() string { return "direct" }

func (d direct) Reconcile(_ context.Context, cid crdt.ID, set *reconcile.Set) ([]reconcile.Item, int, error) {
	theirs, err := d.srv.ReconcileSet(cid, d.self)
	if err != nil {
		return nil, 0, err
	}
	var need []reconcile.Item
	msg, sent := set.Initiate(), 0
	for range wire.MaxTurns {
		sent++
		reply, _, err := theirs.Process(msg)
		if err != nil {
			return nil, sent, err
		}
		next, res, err := set.Process(reply)
		if err != nil {
			return nil, sent, err
		}
		need = append(need, res.Need...)
		if next.Done() {
			return need, sent, nil
		}
		msg = next
	}
	return nil, sent, errors.New("did not end")
}

func (d direct) Fetch(_ context.Context, cid crdt.ID, ids []crdt.ID) ([][]byte, error) {
	if d.garbage != nil {
		return d.garbage, nil
	}
	resp := d.srv.AnswerSync(d.self, &wire.Request{Kind: wire.KindFetch, Community: cid[:], IDs: wire.FromIDs(ids)})
	if resp.Error != "" {
		return nil, errors.New(resp.Error)
	}
	return resp.Ops, nil
}

// member is a second replica, of member k, with its own Server.
func (w *world) member(k key) (*replica.Replica, *Server) {
	rep := openReplica(w.t)
	rep.Expect(w.cid)
	return rep, New(Config{Replica: rep, Self: k.pub()})
}

func holds(t *testing.T, r *replica.Replica, cid, id crdt.ID) bool {
	t.Helper()
	has := false
	_ = r.View(cid, func(c *crdt.Community) error { has = c.Has(id); return nil })
	return has
}

// TestAnswerSyncRefusesStrangers: a stranger is told "not a member" for
// every kind but Nudge, and a malformed community id is refused.
func TestAnswerSyncRefusesStrangers(t *testing.T) {
	w := newWorld(t)
	x := newKey(7).pub()
	for _, kind := range []uint8{wire.KindFetch, wire.KindSecret, wire.KindPeers, wire.KindKeys} {
		resp := w.srv.AnswerSync(x, &wire.Request{Kind: kind, Community: w.cid[:], IDs: wire.FromIDs([]crdt.ID{w.cid})})
		if resp.Error != ErrNotMember.Error() || len(resp.Ops) != 0 {
			t.Errorf("kind %d from a stranger: %+v", kind, resp)
		}
	}
	if resp := w.srv.AnswerSync(x, &wire.Request{Kind: wire.KindNudge, Community: w.cid[:]}); resp.Error != "" {
		t.Errorf("nudge: %+v", resp)
	}
	if resp := w.srv.AnswerSync(w.owner.pub(), &wire.Request{Kind: wire.KindFetch, Community: w.cid[:3]}); resp.Error == "" {
		t.Error("a malformed community id was answered")
	}
	if _, err := w.srv.ReconcileSet(w.cid, x); !errors.Is(err, ErrNotMember) {
		t.Errorf("a stranger may reconcile: %v", err)
	}
}

// TestPullBringsWhatAMemberMayRead: a member's replica that pulls from the
// owner's gets the control log and General, not Leaders, which it is not
// in; a second pull finds nothing missing.
func TestPullBringsWhatAMemberMayRead(t *testing.T) {
	w := newWorld(t)
	ben := newKey(2)
	w.admit(ben)
	rep, srv := w.member(ben)
	var got []int
	st, err := srv.Pull(t.Context(), direct{srv: w.srv, self: ben.pub()}, w.cid, &Progress{Report: func(n int) { got = append(got, n) }})
	if err != nil {
		t.Fatal(err)
	}
	if st.Sessions == 0 || st.Missing == 0 || len(got) == 0 {
		t.Fatalf("stats %+v, progress %v", st, got)
	}
	if holds(t, rep, w.cid, w.secret) {
		t.Fatal("a member outside Leaders pulled its post")
	}
	if rep.Role(w.cid, ben.pub()) != crdt.RoleMember || w.srv.ReadableSet(w.cid, ben.pub()).Len() != srv.ReadableSet(w.cid, ben.pub()).Len() {
		t.Fatal("the pull did not bring everything the member may read")
	}
	// Asked for by id, the Leaders post is still not served.
	if resp := w.srv.AnswerSync(ben.pub(), &wire.Request{Kind: wire.KindFetch, Community: w.cid[:], IDs: wire.FromIDs([]crdt.ID{w.secret})}); len(resp.Ops) != 0 {
		t.Fatal("a fetch by id served a group the member is not in")
	}
	if st, err := srv.Pull(t.Context(), direct{srv: w.srv, self: ben.pub()}, w.cid, nil); err != nil || st.Missing != 0 {
		t.Fatalf("second pull: %+v, %v", st, err)
	}
}

// TestPullRejectsBadOps: ops that do not verify, or of another community,
// fail the pull with ErrBadPeer, so the caller drops the peer.
func TestPullRejectsBadOps(t *testing.T) {
	w := newWorld(t)
	ben := newKey(2)
	w.admit(ben)
	g, err := crdt.Sign(crdt.Op{Kind: crdt.KindGenesis, Height: 1, Body: enc(t, &crdt.GenesisBody{Name: "Other"})}, w.owner)
	if err != nil {
		t.Fatal(err)
	}
	for name, garbage := range map[string][][]byte{
		"junk":            {[]byte("not an op")},
		"other community": {g.Bytes()},
	} {
		_, srv := w.member(ben)
		_, err := srv.Pull(t.Context(), direct{srv: w.srv, self: ben.pub(), garbage: garbage}, w.cid, nil)
		if !errors.Is(err, ErrBadPeer) {
			t.Errorf("%s: %v, want ErrBadPeer", name, err)
		}
	}
}

// TestAdmit: a joiner with a valid invite is admitted and its join
// recorded; asking again answers admitted and records nothing; a join
// signed by someone else, or past the invite's uses or expiry, is
// refused with the reason.
func TestAdmit(t *testing.T) {
	ctx := t.Context()
	w := newWorld(t)
	ben := newKey(2)
	w.admit(ben)
	w.admit(ben)
	if !slices.Equal(w.obs.admitted, []bool{true, false}) {
		t.Fatalf("admissions recorded %v, want [true false]", w.obs.admitted)
	}
	if w.rep.Role(w.cid, ben.pub()) != crdt.RoleMember {
		t.Fatal("Ben is not a member")
	}
	chloe, dev, eve := newKey(3), newKey(4), newKey(5)
	if resp := w.srv.AnswerJoin(ctx, eve.pub(), &wire.JoinRequest{Invite: w.invite.Bytes(), Join: w.joinOp(chloe).Bytes()}); !strings.Contains(resp.Error, "not signed by the connecting peer") {
		t.Fatalf("a join presented by another peer: %+v", resp)
	}
	w.now = w.now.Add(time.Hour)
	w.admit(chloe) // the second use
	if resp := w.srv.AnswerJoin(ctx, dev.pub(), &wire.JoinRequest{Invite: w.invite.Bytes(), Join: w.joinOp(dev).Bytes()}); resp.Reason != wire.JoinReasonUsedUp {
		t.Fatalf("a third use of a two-use invite: %+v", resp)
	}

	x := newWorld(t)
	exp := x.author(x.owner, crdt.ZeroID, crdt.KindInvite, &crdt.InviteBody{Key: x.invitePr.Public().(ed25519.PublicKey), Role: crdt.RoleMember, Expires: x.now.Unix() + 60, Name: "Glow Team"})
	x.invite = exp
	x.now = x.now.Add(2 * time.Minute)
	if resp := x.srv.AnswerJoin(ctx, ben.pub(), &wire.JoinRequest{Invite: exp.Bytes(), Join: x.joinOp(ben).Bytes()}); resp.Reason != wire.JoinReasonExpired {
		t.Fatalf("an expired invite: %+v", resp)
	}
	if resp := x.srv.AnswerJoin(ctx, ben.pub(), &wire.JoinRequest{Invite: []byte("junk"), Join: x.joinOp(ben).Bytes()}); resp.Error == "" || resp.Reason != 0 {
		t.Fatalf("a malformed invite: %+v", resp)
	}
}

// TestFormerMemberLearnsOnlyThatItWent: a removed member may reconcile,
// but its set and its fetches hold only the control ops in the causal
// past of its removal: nothing posted, nothing after; and a pull from it
// takes only control ops.
func TestFormerMemberLearnsOnlyThatItWent(t *testing.T) {
	ctx := t.Context()
	w := newWorld(t)
	ben := newKey(2)
	w.admit(ben)
	rm := w.author(w.owner, crdt.ZeroID, crdt.KindRemove, &crdt.RemoveBody{Member: ben.PublicKey()})
	after := w.author(w.owner, crdt.ZeroID, crdt.KindGroupCreate, &crdt.GroupCreateBody{Name: "After"})
	if !w.srv.IsFormer(w.cid, ben.pub()) || w.srv.IsMember(w.cid, ben.pub()) || !w.srv.MayReconcile(w.cid, ben.pub()) {
		t.Fatal("Ben is not a former member")
	}
	rep, srv := w.member(ben)
	if err := srv.PullControl(ctx, direct{srv: w.srv, self: ben.pub()}, w.cid); err != nil {
		t.Fatal(err)
	}
	if !holds(t, rep, w.cid, rm.ID()) || holds(t, rep, w.cid, after.ID()) {
		t.Fatal("a former member did not get its removal, or got what came after")
	}
	for _, id := range []crdt.ID{w.general, after.ID()} {
		resp := w.srv.AnswerSync(ben.pub(), &wire.Request{Kind: wire.KindFetch, Community: w.cid[:], IDs: wire.FromIDs([]crdt.ID{id})})
		if id == w.general && len(resp.Ops) != 1 || id != w.general && len(resp.Ops) != 0 {
			t.Errorf("fetch of %s: %d ops", id.Short(), len(resp.Ops))
		}
	}
	if resp := w.srv.AnswerSync(ben.pub(), &wire.Request{Kind: wire.KindSecret, Community: w.cid[:]}); resp.Error != ErrNotMember.Error() {
		t.Errorf("a former member asked for the secret: %+v", resp)
	}
	set := w.srv.ReadableSet(w.cid, ben.pub())
	var control int
	_ = w.rep.View(w.cid, func(c *crdt.Community) error {
		c.EachOp(crdt.ZeroID, func(o *crdt.Op) {
			if c.InPastOf(rm.ID(), o.ID()) {
				control++
			}
		})
		return nil
	})
	if set.Len() != control {
		t.Fatalf("a former member's set holds %d ops, want the %d in its removal's past", set.Len(), control)
	}
}

// TestLookupInvite: a short link's lookup brings the signed invite op by
// its key, and any other key, or a malformed lookup, gets the same answer
// whether or not the replica holds communities.
func TestLookupInvite(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	key := []byte(w.invitePr.Public().(ed25519.PublicKey))
	resp := w.srv.AnswerJoin(ctx, newKey(7).pub(), &wire.JoinRequest{Lookup: key})
	if resp.Error != "" || !bytes.Equal(resp.Invite, w.invite.Bytes()) {
		t.Fatalf("lookup of the invite's key: %+v", resp)
	}
	empty := New(Config{Replica: openReplica(t)})
	want := wire.JoinResponse{Error: wire.UnknownInvite}
	for name, c := range map[string]struct {
		srv *Server
		req wire.JoinRequest
	}{
		"other key":        {w.srv, wire.JoinRequest{Lookup: bytes.Repeat([]byte{3}, 32)}},
		"community's key":  {w.srv, wire.JoinRequest{Lookup: w.owner.PublicKey()}},
		"short key":        {w.srv, wire.JoinRequest{Lookup: key[:31]}},
		"lookup with join": {w.srv, wire.JoinRequest{Lookup: key, Join: []byte{1}}},
		"empty replica":    {empty, wire.JoinRequest{Lookup: key}},
	} {
		if got := c.srv.AnswerJoin(ctx, newKey(7).pub(), &c.req); !reflect.DeepEqual(*got, want) {
			t.Errorf("%s: got %+v, want %+v", name, got, want)
		}
	}
}

// TestRegisteredRelayReadsEveryLogSealed: a relay an admin registered may
// reconcile and fetch every log, the approval group's too; before its
// registration and after its removal it is refused like any stranger.
func TestRegisteredRelayReadsEveryLogSealed(t *testing.T) {
	w := newWorld(t)
	relay := newKey(7)
	rk := relay.pub()
	if _, err := w.srv.ReconcileSet(w.cid, rk); !errors.Is(err, ErrNotMember) {
		t.Fatalf("an unregistered relay may reconcile: %v", err)
	}
	w.author(w.owner, crdt.ZeroID, crdt.KindRelay, &crdt.RelayBody{Peer: rk[:], Addrs: []string{"/ip4/10.0.0.7/tcp/4001"}})
	if _, err := w.srv.ReconcileSet(w.cid, rk); err != nil {
		t.Fatalf("a registered relay may not reconcile: %v", err)
	}
	resp := w.srv.AnswerSync(rk, &wire.Request{Kind: wire.KindFetch, Community: w.cid[:], IDs: wire.FromIDs([]crdt.ID{w.secret})})
	if resp.Error != "" || len(resp.Ops) != 1 {
		t.Fatalf("the relay's fetch of the Leaders post: %+v", resp)
	}
	if resp := w.srv.AnswerSync(rk, &wire.Request{Kind: wire.KindSecret, Community: w.cid[:]}); resp.Error == "" {
		t.Fatal("a relay was given the topic secret")
	}
	w.author(w.owner, crdt.ZeroID, crdt.KindRelay, &crdt.RelayBody{Peer: rk[:], Remove: true})
	if _, err := w.srv.ReconcileSet(w.cid, rk); !errors.Is(err, ErrNotMember) {
		t.Fatalf("a removed relay may reconcile: %v", err)
	}
}

// TestAdmitTellsADeniedRequester: in a community that admits by approval,
// a requester that asks again with its request is told it still waits,
// then that an admin declined; a new request waits again, and once it is
// approved the requester is admitted.
func TestAdmitTellsADeniedRequester(t *testing.T) {
	ctx := t.Context()
	w := newWorld(t)
	w.author(w.owner, crdt.ZeroID, crdt.KindSettings, &crdt.SettingsBody{Name: "Glow Team", JoinPolicy: crdt.JoinByApproval})
	ben := newKey(2)
	ask := func(j *crdt.Op) *wire.JoinResponse {
		return w.srv.AnswerJoin(ctx, ben.pub(), &wire.JoinRequest{Invite: w.invite.Bytes(), Join: j.Bytes()})
	}
	first := w.joinOp(ben)
	for range 2 {
		if resp := ask(first); resp.Error != "" || !resp.Pending {
			t.Fatalf("a request, asked again while it waits: %+v", resp)
		}
	}
	w.author(w.owner, crdt.ZeroID, crdt.KindDecide, &crdt.DecideBody{Member: ben.PublicKey(), Approve: false})
	if resp := ask(first); resp.Reason != wire.JoinReasonDenied || resp.Pending {
		t.Fatalf("the declined request, asked again: %+v; want reason denied", resp)
	}
	w.now = w.now.Add(time.Minute)
	again := w.joinOp(ben) // asks anew
	if resp := ask(again); resp.Error != "" || !resp.Pending {
		t.Fatalf("a new request after a denial: %+v", resp)
	}
	w.author(w.owner, crdt.ZeroID, crdt.KindDecide, &crdt.DecideBody{Member: ben.PublicKey(), Approve: true})
	if resp := ask(again); resp.Error != "" || resp.Pending {
		t.Fatalf("the approved request, asked again: %+v; want admitted", resp)
	}
}

// TestServesRebuiltOpsFromStore: a node restarted on its store keeps its
// content ops without their encodings and serves them from the store by
// log key: a member's pull gets them byte for byte, and a group the member
// is not in is still not served.
func TestServesRebuiltOpsFromStore(t *testing.T) {
	w := newWorld(t)
	ben := newKey(2)
	w.admit(ben)
	sent := map[crdt.ID][]byte{}
	for i := range 20 {
		op := w.author(w.owner, w.general, crdt.KindMessage, &crdt.MessageBody{Text: fmt.Sprintf("tip %d", i)})
		sent[op.ID()] = op.Bytes()
	}
	restarted, err := replica.Open(t.Context(), w.st, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = restarted.View(w.cid, func(c *crdt.Community) error {
		for _, e := range c.Entries(w.general) {
			if e.Op.Encoded() {
				t.Errorf("a content op rebuilt from the store keeps its encoding")
			}
		}
		return nil
	})
	srv := New(Config{Replica: restarted, Self: w.owner.pub()})
	rep, mine := w.member(ben)
	if _, err := mine.Pull(t.Context(), direct{srv: srv, self: ben.pub()}, w.cid, nil); err != nil {
		t.Fatal(err)
	}
	for id, raw := range sent {
		got, err := rep.Get(t.Context(), id)
		if err != nil || !bytes.Equal(got.Bytes(), raw) {
			t.Fatalf("message %s pulled from the restarted node: %v", id.Short(), err)
		}
	}
	if holds(t, rep, w.cid, w.secret) {
		t.Fatal("the restarted node served a group the member is not in")
	}
	ids := []crdt.ID{w.secret}
	for id := range sent {
		ids = append(ids, id)
	}
	resp := srv.AnswerSync(ben.pub(), &wire.Request{Kind: wire.KindFetch, Community: w.cid[:], IDs: wire.FromIDs(ids)})
	if len(resp.Ops) != len(sent) {
		t.Fatalf("a fetch of %d messages and the Leaders post served %d ops", len(sent), len(resp.Ops))
	}
	for i, raw := range resp.Ops {
		if !bytes.Equal(raw, sent[ids[i+1]]) {
			t.Fatalf("op %d served out of order or changed", i)
		}
	}
}
