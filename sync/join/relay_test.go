package join

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// relayInvite is a sealed invite op whose details name relay as the
// community's relay.
func relayInvite(t *testing.T, owner key, seed []byte, relay key) *crdt.Op {
	t.Helper()
	d, err := crdt.Marshal(&crdt.InviteDetails{Name: "Glow Team", Inviter: "Olivia Reyes",
		Relays: []string{"/ip4/192.0.2.9/udp/4001/quic-v1/p2p/" + relay.peer(t).String()}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := crdt.EncodeBody(&crdt.InviteBody{Key: ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey), Role: crdt.RoleMember, Details: e2ee.SealInvite(seed, d)})
	if err != nil {
		t.Fatal(err)
	}
	op, err := crdt.Sign(crdt.Op{Community: crdt.ID{1}, Kind: crdt.KindInvite, Parents: []crdt.ID{{1}}, Height: 2, Body: b}, owner)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

// TestJoinThroughRelay: the inviter is offline; the relay the short link
// names answers the lookup and takes the join. The joiner opens the keys
// the relay handed with its link's secret instead of asking a member,
// pulls from the relay, asks it for no topic secret, and every stage
// from the admission on says it goes through the relay.
func TestJoinThroughRelay(t *testing.T) {
	f := newFake(t)
	seed := bytes.Repeat([]byte{9}, 32)
	inviter, relay := newKey(3), newKey(7)
	op := relayInvite(t, newKey(1), seed, relay)
	l := shortLink(t, seed, inviter, relay)
	f.lookup[relay.peer(t)] = &wire.JoinResponse{Invite: op.Bytes()}
	f.answer[relay.peer(t)] = &wire.JoinResponse{Relayed: true, Keys: [][]byte{{1}}}
	f.pullMade = true
	var via []bool
	var stages []api.JoinStage
	c, err := f.j.Join(t.Context(), l, func(p api.JoinProgress) {
		stages, via = append(stages, p.Stage), append(via, p.ViaRelay)
	})
	if err != nil || c.Role != crdt.RoleMember.String() {
		t.Fatalf("join: %+v, %v", c, err)
	}
	// The lookups run at once; what follows them is in order.
	i := slices.Index(f.calls, "join")
	if want := []string{"join", "invitekeys", "pull"}; i < 0 || !slices.Equal(f.calls[i:], want) || slices.Contains(f.calls, "keys") {
		t.Fatalf("calls %v, want them to end with %v", f.calls, want)
	}
	for i, s := range stages {
		if (s == api.JoinAdmitted || s == api.JoinSyncing) != via[i] {
			t.Fatalf("stage %d (%v) via relay %v: %v / %v", i, s, via[i], stages, via)
		}
	}
}

// TestJoinThroughRelayWithRevokedLink: the relay, which cannot see the
// revocation, takes a join through a revoked link; the control log
// pulled undoes it, and the joiner is told that, not that a sync failed.
func TestJoinThroughRelayWithRevokedLink(t *testing.T) {
	f := newFake(t)
	seed := bytes.Repeat([]byte{9}, 32)
	inviter, relay := newKey(3), newKey(7)
	op := relayInvite(t, newKey(1), seed, relay)
	l := shortLink(t, seed, inviter, relay)
	f.lookup[relay.peer(t)] = &wire.JoinResponse{Invite: op.Bytes()}
	f.answer[relay.peer(t)] = &wire.JoinResponse{Relayed: true, Keys: [][]byte{{1}}}
	f.undone = true
	if _, err := f.j.Join(t.Context(), l, nil); !errors.Is(err, api.ErrJoinUndone) || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("join through a revoked link: %v", err)
	}
}

// TestResolvePrefersMember: when a member and a relay both answer a
// lookup, the member is asked first, even if the relay answered first;
// the relay's answer waits no longer than RelayGrace.
func TestResolvePrefersMember(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(t)
		seed := bytes.Repeat([]byte{9}, 32)
		member, relay := newKey(3), newKey(7)
		op := relayInvite(t, newKey(1), seed, relay)
		l := shortLink(t, seed, relay, member)
		f.answer[relay.peer(t)], f.answer[member.peer(t)] = &wire.JoinResponse{}, &wire.JoinResponse{}
		f.lookup[relay.peer(t)], f.lookup[member.peer(t)] = &wire.JoinResponse{Invite: op.Bytes()}, &wire.JoinResponse{Invite: op.Bytes()}
		inv, err := f.j.Resolve(t.Context(), l)
		if err != nil || inv.Addrs[0].ID != member.peer(t) {
			t.Fatalf("resolve: first %v, %v", inv.Addrs, err)
		}
		// With the member down, the relay wins after the grace.
		f.answer[member.peer(t)] = nil
		f.hang = map[peer.ID]bool{member.peer(t): true}
		inv, err = f.j.Resolve(t.Context(), l)
		if err != nil || inv.Addrs[0].ID != relay.peer(t) {
			t.Fatalf("resolve with the member down: %v, %v", inv, err)
		}
	})
}

// TestRelayThatCannotTakeTheJoin: a relay that holds no keys for the
// invite refuses without a reason; that is not the community refusing,
// so the join stays in flight for a member, and says no one could admit
// it. A relay's refusal with a reason (the invite expired) ends it.
func TestRelayThatCannotTakeTheJoin(t *testing.T) {
	seed := bytes.Repeat([]byte{9}, 32)
	inviter, relay := newKey(3), newKey(7)
	op := relayInvite(t, newKey(1), seed, relay)
	l := shortLink(t, seed, inviter, relay)

	f := newFake(t)
	f.lookup[relay.peer(t)] = &wire.JoinResponse{Invite: op.Bytes()}
	f.answer[relay.peer(t)] = &wire.JoinResponse{Error: "this relay cannot admit joins with this invite while no member is online"}
	if _, err := f.j.Join(t.Context(), l, nil); !errors.Is(err, api.ErrNoPeer) || errors.Is(err, api.ErrJoinRefused) || !f.joining {
		t.Fatalf("join: %v, still in flight %v", err, f.joining)
	}

	f = newFake(t)
	f.lookup[relay.peer(t)] = &wire.JoinResponse{Invite: op.Bytes()}
	f.answer[relay.peer(t)] = &wire.JoinResponse{Error: "the invite expired", Reason: wire.JoinReasonExpired}
	if _, err := f.j.Join(t.Context(), l, nil); !errors.Is(err, api.ErrInviteExpired) || f.joining {
		t.Fatalf("join: %v, still in flight %v", err, f.joining)
	}
}
