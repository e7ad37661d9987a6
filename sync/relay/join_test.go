package relay

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/p2p"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// keyInvite has m write an invite-keys op for inv (an X25519 wrap key and
// one stand-in wrap; the relay never opens it).
func keyInvite(m *member, inv *crdt.Op, approval bool) *crdt.Op {
	b := &crdt.InviteKeysBody{Invite: inv.ID().Bytes(), KEM: crdt.KEMX25519, Key: bytes.Repeat([]byte{3}, 32), Approval: approval, Time: 1}
	if !approval {
		b.Keys = []crdt.InviteKey{{Epoch: make([]byte, crdt.EpochIDSize), Secret: []byte{1, 2, 3}}}
	}
	return m.author(crdt.ZeroID, crdt.KindInviteKeys, b)
}

// joinOp signs k's join by invite inv, whose key is pr.
func joinOp(t testing.TB, cid crdt.ID, inv *crdt.Op, pr ed25519.PrivateKey, k key) *crdt.Op {
	t.Helper()
	jb := enc(t, &crdt.JoinBody{Invite: inv.ID().Bytes(), Proof: ed25519.Sign(pr, crdt.JoinProofMessage(cid, inv.ID(), k.pub())), Name: "Dev", Time: 5})
	j, err := crdt.Sign(crdt.Op{Community: cid, Kind: crdt.KindJoin, Parents: []crdt.ID{inv.ID()}, Height: inv.Height + 1, Body: jb}, k)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// askJoin sends req to j over net.Pipe, as peer from, with sync/p2p's
// join handler and requester.
func askJoin(t *testing.T, j Joins, from crdt.PublicKey, req *wire.JoinRequest) *wire.JoinResponse {
	t.Helper()
	a, b := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- p2p.HandleJoin(t.Context(), b, from, j); b.Close() }()
	var resp wire.JoinResponse
	if err := p2p.Call(a, req, &resp); err != nil {
		t.Fatal(err)
	}
	a.Close()
	if err := <-done; err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return &resp
}

// TestRelayAnswersLookup: a relay answers a short link's lookup from the
// clear invite ops it stores, and "unknown invite" for anything else —
// a key of no invite, a community it does not keep, a malformed request.
func TestRelayAnswersLookup(t *testing.T) {
	ctx := t.Context()
	tm := newTeam(t, true)
	rk := tm.relayKey.pub()
	r := openRelay(t, rk, store.NewMemory(), 0)
	if _, err := r.Pull(ctx, tm.olivia.remote(rk), tm.olivia.cid); err != nil {
		t.Fatal(err)
	}
	stranger := newKey(66).pub()
	j := Joins{Relay: r}
	resp := askJoin(t, j, stranger, &wire.JoinRequest{Lookup: tm.invitePr.Public().(ed25519.PublicKey)})
	if resp.Error != "" || !bytes.Equal(resp.Invite, tm.invite.Bytes()) {
		t.Fatalf("lookup of the invite: %+v", resp)
	}
	for name, req := range map[string]*wire.JoinRequest{
		"unknown key": {Lookup: bytes.Repeat([]byte{1}, 32)},
		"short key":   {Lookup: []byte{1}},
		"with a join": {Lookup: tm.invitePr.Public().(ed25519.PublicKey), Join: []byte{1}},
	} {
		if resp := askJoin(t, j, stranger, req); resp.Error != wire.UnknownInvite || len(resp.Invite) != 0 {
			t.Errorf("%s: %+v", name, resp)
		}
	}

	// A community that did not register the relay: nothing, the same way.
	other := newTeam(t, false)
	r2 := openRelay(t, rk, store.NewMemory(), 0)
	_, _ = r2.Pull(ctx, other.olivia.remote(rk), other.olivia.cid)
	if resp := askJoin(t, Joins{Relay: r2}, stranger, &wire.JoinRequest{Lookup: other.invitePr.Public().(ed25519.PublicKey)}); resp.Error != wire.UnknownInvite {
		t.Fatalf("lookup in an unregistered community: %+v", resp)
	}
}

// TestRelayTakesJoin: with no member online, the relay takes a join whose
// proof verifies under an invite with keys, answers Relayed with the
// invite's keys ops, serves the joiner, and the member who comes back
// pulls the join and counts the joiner a member.
func TestRelayTakesJoin(t *testing.T) {
	ctx := t.Context()
	tm := newTeam(t, true)
	rk, cid := tm.relayKey.pub(), tm.olivia.cid
	keyOp := keyInvite(tm.olivia, tm.invite, false)
	r := openRelay(t, rk, store.NewMemory(), 0)
	if _, err := r.Pull(ctx, tm.olivia.remote(rk), cid); err != nil {
		t.Fatal(err)
	}
	dev := newKey(4)
	j := Joins{Relay: r, Now: func() time.Time { return time.Unix(1000, 0) }}
	join := joinOp(t, cid, tm.invite, tm.invitePr, dev)
	req := &wire.JoinRequest{Invite: tm.invite.Bytes(), Join: join.Bytes()}

	if resp := askJoin(t, j, newKey(66).pub(), req); resp.Error == "" {
		t.Fatal("the relay took a join from a peer that did not sign it")
	}
	resp := askJoin(t, j, dev.pub(), req)
	if resp.Error != "" || !resp.Relayed || resp.Pending || len(resp.Keys) != 1 || !bytes.Equal(resp.Keys[0], keyOp.Bytes()) {
		t.Fatalf("join through the relay: %+v", resp)
	}
	if !r.Known(cid, dev.pub()) {
		t.Fatal("the relay does not serve the joiner it took")
	}
	// Asking again (a join cut short) is answered the same way.
	if again := askJoin(t, j, dev.pub(), req); again.Error != "" || !again.Relayed || len(again.Keys) != 1 {
		t.Fatalf("second ask: %+v", again)
	}
	// A relay restarted over its store still knows the join and the keys.
	st := store.NewMemory()
	r2 := openRelay(t, rk, st, 0)
	if _, err := r2.Pull(ctx, tm.olivia.remote(rk), cid); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Ingest(ctx, cid, [][]byte{join.Bytes()}); err != nil {
		t.Fatal(err)
	}
	r3 := openRelay(t, rk, st, 0)
	if again := askJoin(t, Joins{Relay: r3}, dev.pub(), req); again.Error != "" || !again.Relayed || len(again.Keys) != 1 || !r3.Known(cid, dev.pub()) {
		t.Fatalf("after a restart: %+v", again)
	}
	// Olivia comes back and pulls the join from the relay.
	if _, err := tm.olivia.srv.Pull(ctx, reach(r, tm.olivia.k.pub()), cid, nil); err != nil {
		t.Fatal(err)
	}
	_ = tm.olivia.rep.View(cid, func(c *crdt.Community) error {
		if c.State().Role(dev.pub()) != crdt.RoleMember {
			t.Fatal("Olivia does not count Dev a member after pulling from the relay")
		}
		return nil
	})
}

// TestRelayJoinRefusals: what a blind relay can tell, it refuses: an
// invite with no keys op, an expired invite (by its clock), one used up
// among the joins it holds; one whose keys op says approval is taken as a
// request.
func TestRelayJoinRefusals(t *testing.T) {
	ctx := t.Context()
	tm := newTeam(t, true)
	rk, cid := tm.relayKey.pub(), tm.olivia.cid
	mkInvite := func(seed byte, body crdt.InviteBody) (*crdt.Op, ed25519.PrivateKey) {
		pr := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
		body.Key, body.Role, body.Name = pr.Public().(ed25519.PublicKey), crdt.RoleMember, "Glow Team"
		return tm.olivia.author(crdt.ZeroID, crdt.KindInvite, &body), pr
	}
	expired, expiredPr := mkInvite(20, crdt.InviteBody{Expires: 500})
	keyInvite(tm.olivia, expired, false)
	once, oncePr := mkInvite(21, crdt.InviteBody{MaxUses: 1})
	keyInvite(tm.olivia, once, false)
	approval, approvalPr := mkInvite(22, crdt.InviteBody{})
	keyInvite(tm.olivia, approval, true)
	r := openRelay(t, rk, store.NewMemory(), 0)
	if _, err := r.Pull(ctx, tm.olivia.remote(rk), cid); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1000, 0)
	admit := func(inv *crdt.Op, pr ed25519.PrivateKey, k key) (*wire.JoinResponse, error) {
		return r.Admit(ctx, k.pub(), &wire.JoinRequest{Invite: inv.Bytes(), Join: joinOp(t, cid, inv, pr, k).Bytes()}, now)
	}
	if _, err := admit(tm.invite, tm.invitePr, newKey(30)); !errors.Is(err, ErrNoInviteKeys) {
		t.Errorf("invite without keys: %v", err)
	}
	var ref *refusal
	if _, err := admit(expired, expiredPr, newKey(31)); !errors.As(err, &ref) || ref.reason != wire.JoinReasonExpired {
		t.Errorf("expired invite: %v", err)
	}
	if resp, err := admit(once, oncePr, newKey(32)); err != nil || !resp.Relayed {
		t.Fatalf("first use: %+v, %v", resp, err)
	}
	if _, err := admit(once, oncePr, newKey(33)); !errors.As(err, &ref) || ref.reason != wire.JoinReasonUsedUp {
		t.Errorf("used-up invite: %v", err)
	}
	resp, err := admit(approval, approvalPr, newKey(34))
	if err != nil || !resp.Pending || !resp.Relayed || len(resp.Keys) != 0 {
		t.Fatalf("approval invite: %+v, %v", resp, err)
	}
	// The request waits in the relay's store for an admin.
	if _, err := tm.olivia.srv.Pull(ctx, reach(r, tm.olivia.k.pub()), cid, nil); err != nil {
		t.Fatal(err)
	}
}
