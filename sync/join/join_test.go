package join

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/sync/exchange"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

type key struct{ priv ed25519.PrivateKey }

func newKey(b byte) key                    { return key{ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, 32))} }
func (k key) PublicKey() ed25519.PublicKey { return k.priv.Public().(ed25519.PublicKey) }
func (k key) Sign(m []byte) []byte         { return ed25519.Sign(k.priv, m) }
func (k key) peer(t *testing.T) peer.ID {
	p, err := peerkey.FromPublicKey(k.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var now = time.Unix(1_700_000_000, 0)

// link makes an invite link to a community, signed by owner, naming the
// addresses of members and expiring at exp (none if zero).
func link(t *testing.T, owner key, exp time.Time, members ...key) (string, crdt.ID) {
	t.Helper()
	seed := bytes.Repeat([]byte{9}, 32)
	body := &crdt.InviteBody{Key: ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey), Role: crdt.RoleMember, Name: "Glow Team"}
	if !exp.IsZero() {
		body.Expires = exp.Unix()
	}
	for _, m := range members {
		body.Addrs = append(body.Addrs, "/ip4/192.0.2.1/tcp/4001/p2p/"+m.peer(t).String())
	}
	b, err := crdt.EncodeBody(body)
	if err != nil {
		t.Fatal(err)
	}
	cid := crdt.ID{1}
	op, err := crdt.Sign(crdt.Op{Community: cid, Kind: crdt.KindInvite, Parents: []crdt.ID{cid}, Height: 2, Body: b}, owner)
	if err != nil {
		t.Fatal(err)
	}
	return identity.InviteLink{Capability: op.Bytes(), Secret: seed}.String(), op.CommunityID()
}

// fake is every peer, the peer book, the replica and the node, in memory.
type fake struct {
	t        *testing.T
	j        *Joiner
	answer   map[peer.ID]*wire.JoinResponse // nil: the dial fails
	lookup   map[peer.ID]*wire.JoinResponse // answers to invite lookups
	member   bool                           // the node holds the community as a member
	pullMade bool                           // a pull makes the node a member
	undone   bool                           // the pull says the join was undone: it never makes a member
	parks    bool                           // the replica parks the joiner's ops (it lacks the genesis)
	hang     map[peer.ID]bool               // dialling the peer waits until cancelled
	mu       sync.Mutex                     // guards calls while lookups run at once
	calls    []string
	ingested []crdt.Kind
	joining  bool
	pending  []crdt.ID
	entered  bool
	running  bool               // Running reported the join while it pulled
	saved    map[crdt.ID][]byte // requests kept across restarts
}

func newFake(t *testing.T) *fake {
	f := &fake{t: t, answer: map[peer.ID]*wire.JoinResponse{}, lookup: map[peer.ID]*wire.JoinResponse{}}
	f.j = New(Config{Self: newKey(2).peer(t), ID: newKey(2), Dialer: f, Syncer: f, Book: f, Replica: f, Local: f,
		Now: func() time.Time { return now }})
	return f
}

var (
	_ Dialer  = (*fake)(nil)
	_ Syncer  = (*fake)(nil)
	_ Book    = (*fake)(nil)
	_ Replica = (*fake)(nil)
	_ Local   = (*fake)(nil)
)

// call records a call to the fake.
func (f *fake) call(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
}

func (f *fake) Connect(ctx context.Context, ai peer.AddrInfo) error {
	f.call("dial")
	if f.hang[ai.ID] {
		<-ctx.Done()
		return ctx.Err()
	}
	if f.answer[ai.ID] == nil {
		return errors.New("unreachable")
	}
	return nil
}

func (f *fake) Join(_ context.Context, p peer.ID, req *wire.JoinRequest) (*wire.JoinResponse, error) {
	if len(req.Lookup) > 0 {
		f.call("lookup")
		if len(req.Invite) > 0 || len(req.Join) > 0 {
			f.t.Fatalf("a lookup carries an invite or a join")
		}
		return f.lookup[p], nil
	}
	f.call("join")
	op, err := crdt.DecodeOp(req.Join)
	if err != nil || op.Kind != crdt.KindJoin || op.Author != crdt.PublicKey(newKey(2).PublicKey()) {
		f.t.Fatalf("join request carries %v, %v", op, err)
	}
	return f.answer[p], nil
}

func (f *fake) FetchKeys(context.Context, peer.ID, crdt.ID) error {
	f.call("keys")
	return nil
}

func (f *fake) OpenInviteKeys(_ context.Context, _ *crdt.Op, seed []byte, ops [][]byte) error {
	f.call("invitekeys")
	if len(seed) != ed25519.SeedSize || len(ops) == 0 {
		f.t.Fatalf("invite keys opened with a %d-byte secret and %d ops", len(seed), len(ops))
	}
	return nil
}

func (f *fake) Pull(_ context.Context, _ peer.ID, cid crdt.ID, rc *exchange.Progress) error {
	f.call("pull")
	f.running = f.j.Running(cid)
	rc.Report(3)
	f.member = f.member || f.pullMade
	return nil
}

func (f *fake) FetchSecret(context.Context, peer.ID, crdt.ID) error {
	f.call("secret")
	return nil
}

func (f *fake) Pending() []crdt.ID { return f.pending }
func (f *fake) SetPending(cid crdt.ID, on bool) {
	f.pending = slices.DeleteFunc(f.pending, func(c crdt.ID) bool { return c == cid })
	if on {
		f.pending = append(f.pending, cid)
	}
}
func (f *fake) SetJoining(_ crdt.ID, on bool, _ time.Time) { f.joining = on }
func (f *fake) Remember(peer.AddrInfo)                     {}
func (f *fake) SetRequest(cid crdt.ID, data []byte) {
	if f.saved == nil {
		f.saved = map[crdt.ID][]byte{}
	}
	if data == nil {
		delete(f.saved, cid)
	} else {
		f.saved[cid] = data
	}
}
func (f *fake) Requests() map[crdt.ID][]byte { return maps.Clone(f.saved) }
func (f *fake) AddRelays([]peer.AddrInfo)    {}
func (f *fake) Expect(crdt.ID)               {}

func (f *fake) Ingest(_ context.Context, op *crdt.Op) (replica.Result, error) {
	f.ingested = append(f.ingested, op.Kind)
	if f.parks {
		return replica.Result{Outcome: replica.Parked}, nil
	}
	if op.Kind == crdt.KindJoin && !f.undone {
		f.member = true
	}
	return replica.Result{Outcome: replica.Accepted}, nil
}

func (f *fake) Community(cid crdt.ID) (api.Community, error) {
	if !f.member {
		return api.Community{ID: cid, Role: crdt.RoleNone.String(), JoinUndone: f.undone}, nil
	}
	return api.Community{ID: cid, Name: "Glow Team", Role: crdt.RoleMember.String()}, nil
}

func (f *fake) Name() string { return "Ben" }

func (f *fake) Entered(context.Context, crdt.ID) error {
	f.entered = true
	return nil
}

// TestJoinAdmitted: past an unreachable address, a member admits the
// joiner, which fetches keys, pulls, adds its own join when the pull did
// not bring it, fetches the topic secret and enters, reporting each stage.
func TestJoinAdmitted(t *testing.T) {
	for _, resumed := range []bool{false, true} {
		f := newFake(t)
		f.pullMade = resumed // the pull brings the join that admitted it before
		a, b := newKey(3), newKey(4)
		l, cid := link(t, newKey(1), time.Time{}, a, b)
		f.answer[b.peer(t)] = &wire.JoinResponse{}
		var stages []api.JoinStage
		c, err := f.j.Join(t.Context(), l, func(p api.JoinProgress) {
			if p.Community != "Glow Team" {
				t.Errorf("progress names %q", p.Community)
			}
			stages = append(stages, p.Stage)
		})
		if err != nil || c.ID != cid || c.Role != crdt.RoleMember.String() {
			t.Fatalf("join: %+v, %v", c, err)
		}
		want := []string{"dial", "dial", "join", "keys", "pull", "secret"}
		if !slices.Equal(f.calls, want) {
			t.Fatalf("calls %v, want %v", f.calls, want)
		}
		wantStages := []api.JoinStage{api.JoinChecking, api.JoinConnecting, api.JoinConnecting, api.JoinAdmitted, api.JoinSyncing, api.JoinSyncing}
		if !slices.Equal(stages, wantStages) {
			t.Fatalf("stages %v, want %v", stages, wantStages)
		}
		if ingested := len(f.ingested) > 0; ingested == resumed {
			t.Fatalf("resumed %v: ingested its own ops %v", resumed, f.ingested)
		}
		if !f.entered || f.joining || !f.running || f.j.Running(cid) {
			t.Fatalf("entered %v, still joining %v, running while pulling %v, after %v", f.entered, f.joining, f.running, f.j.Running(cid))
		}
	}
}

// TestJoinRefusedSaysWhy: a member's refusal carries its reason, and ends
// the join.
func TestJoinRefusedSaysWhy(t *testing.T) {
	for reason, want := range reasons {
		f := newFake(t)
		a := newKey(3)
		l, _ := link(t, newKey(1), time.Time{}, a)
		f.answer[a.peer(t)] = &wire.JoinResponse{Error: "no", Reason: reason}
		_, err := f.j.Join(t.Context(), l, nil)
		if !errors.Is(err, api.ErrJoinRefused) || !errors.Is(err, want) {
			t.Fatalf("reason %d: %v, want %v", reason, err, want)
		}
		if f.joining {
			t.Fatal("a refused join is still in flight")
		}
	}
}

// TestJoinUnanswered: when no member answers, the join stays in flight for
// the node to resume.
func TestJoinUnanswered(t *testing.T) {
	f := newFake(t)
	l, _ := link(t, newKey(1), time.Time{}, newKey(3))
	if _, err := f.j.Join(t.Context(), l, nil); !errors.Is(err, api.ErrNoPeer) {
		t.Fatalf("join: %v, want ErrNoPeer", err)
	}
	if !f.joining {
		t.Fatal("an unanswered join is no longer in flight")
	}
}

// TestJoinPending: a community that admits by approval records a request;
// the joiner parks its own ops and waits.
func TestJoinPending(t *testing.T) {
	f := newFake(t)
	a := newKey(3)
	l, cid := link(t, newKey(1), time.Time{}, a)
	f.answer[a.peer(t)] = &wire.JoinResponse{Pending: true}
	f.parks = true
	c, err := f.j.Join(t.Context(), l, nil)
	if err != nil || c.Role != api.RoleRequested {
		t.Fatalf("join: %+v, %v", c, err)
	}
	if !slices.Equal(f.pending, []crdt.ID{cid}) || f.joining || !slices.Equal(f.ingested, []crdt.Kind{crdt.KindInvite, crdt.KindJoin}) {
		t.Fatalf("pending %v, joining %v, ingested %v", f.pending, f.joining, f.ingested)
	}
	f.calls = nil
	if c, err := f.j.Join(t.Context(), l, nil); err != nil || c.Role != api.RoleRequested || f.calls != nil {
		t.Fatalf("asking again: %+v, %v, calls %v", c, err, f.calls)
	}
}

// TestParse: a link that does not check out, and one that expired.
func TestParse(t *testing.T) {
	if _, err := Parse("umbrella:junk", now); !errors.Is(err, identity.ErrBadLink) {
		t.Fatalf("junk: %v", err)
	}
	l, cid := link(t, newKey(1), now.Add(-time.Minute), newKey(3))
	if _, err := Parse(l, now); !errors.Is(err, identity.ErrBadLink) || !errors.Is(err, api.ErrInviteExpired) {
		t.Fatalf("expired: %v", err)
	}
	inv, err := Parse(l, now.Add(-time.Hour))
	if err != nil || inv.Community != cid || inv.Name != "Glow Team" {
		t.Fatalf("parse: %+v, %v", inv, err)
	}
	// An expired link is still sent (the joiner may be a member that lost
	// the community), and fails as expired when no one admits it.
	f := newFake(t)
	if _, err := f.j.Join(t.Context(), l, nil); !errors.Is(err, api.ErrInviteExpired) || slices.Contains(f.calls, "join") {
		t.Fatalf("expired join: %v, calls %v", err, f.calls)
	}
}

// TestReadNamesShortForm: a link of neither form is told the form links
// have now (a user who pasted something else learns what to look for),
// and a damaged long one says it is damaged, in words.
func TestReadNamesShortForm(t *testing.T) {
	for _, s := range []string{"hello there", "https://example.com/j/abc", "umbrella:junk"} {
		if _, err := Read(s); !errors.Is(err, identity.ErrBadLink) || !strings.Contains(err.Error(), "must start with "+ShortPrefix) {
			t.Errorf("Read(%q): %v, want it to name %s", s, err, ShortPrefix)
		}
	}
	if _, err := Read(identity.LinkPrefix + "2QEAAA"); !errors.Is(err, identity.ErrBadLink) || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("a long link that is not CBOR: %v", err)
	}
}

// TestAskAgain: a waiting request is asked again as it was made; it still
// waits while the member says so, and is declined, waiting no more, once
// the member says an admin declined it.
func TestAskAgain(t *testing.T) {
	f := newFake(t)
	a := newKey(3)
	l, cid := link(t, newKey(1), time.Time{}, a)
	f.answer[a.peer(t)] = &wire.JoinResponse{Pending: true}
	f.parks = true
	if _, err := f.j.Join(t.Context(), l, nil); err != nil {
		t.Fatal(err)
	}
	waiting := []api.SentRequest{{Community: cid, Name: "Glow Team"}}
	if f.j.AskAgain(t.Context(), cid) || !slices.Equal(f.j.Sent(), waiting) {
		t.Fatalf("still waiting: %+v", f.j.Sent())
	}
	// A restarted node asks again as the first did.
	f.j = New(Config{Self: newKey(2).peer(t), ID: newKey(2), Dialer: f, Syncer: f, Book: f, Replica: f, Local: f,
		Now: func() time.Time { return now }})
	if !slices.Equal(f.j.Sent(), waiting) {
		t.Fatalf("after a restart, waiting: %+v", f.j.Sent())
	}
	f.answer[a.peer(t)] = &wire.JoinResponse{Error: "declined", Reason: wire.JoinReasonDenied}
	if !f.j.AskAgain(t.Context(), cid) {
		t.Fatal("the denial was not learnt")
	}
	if got := f.j.Sent(); !slices.Equal(got, []api.SentRequest{{Community: cid, Name: "Glow Team", Declined: true}}) || len(f.pending) != 0 {
		t.Fatalf("after the denial: sent %+v, pending %v", got, f.pending)
	}
	calls := len(f.calls)
	if f.j.AskAgain(t.Context(), cid) || len(f.calls) != calls {
		t.Fatal("a declined request is asked again")
	}
	// A restarted node still knows it was declined.
	restarted := New(Config{Self: newKey(2).peer(t), ID: newKey(2), Dialer: f, Syncer: f, Book: f, Replica: f, Local: f,
		Now: func() time.Time { return now }})
	if got := restarted.Sent(); !slices.Equal(got, []api.SentRequest{{Community: cid, Name: "Glow Team", Declined: true}}) {
		t.Fatalf("after a restart: %+v", got)
	}
	restarted.Dismiss(cid)
	if got := restarted.Sent(); len(got) != 0 || len(f.saved) != 0 {
		t.Fatalf("after dismissing: %+v, kept %d", got, len(f.saved))
	}
}
