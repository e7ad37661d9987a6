package join

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// sealedInvite is an invite op of Glow Team signed by owner whose details
// (sealed under seed, unless sealed is false) name Olivia as the inviter.
func sealedInvite(t *testing.T, owner key, seed []byte, sealed bool) *crdt.Op {
	t.Helper()
	body := &crdt.InviteBody{Key: ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey), Role: crdt.RoleMember}
	if sealed {
		d, err := crdt.Marshal(&crdt.InviteDetails{Name: "Glow Team", Inviter: "Olivia Reyes", Description: "Goals and wins",
			Addrs: []string{"/ip4/192.0.2.5/udp/4001/quic-v1/p2p/" + newKey(5).peer(t).String()}})
		if err != nil {
			t.Fatal(err)
		}
		body.Details = e2ee.SealInvite(seed, d)
	} else {
		body.Name = "Glow Team"
	}
	b, err := crdt.EncodeBody(body)
	if err != nil {
		t.Fatal(err)
	}
	op, err := crdt.Sign(crdt.Op{Community: crdt.ID{1}, Kind: crdt.KindInvite, Parents: []crdt.ID{{1}}, Height: 2, Body: b}, owner)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

// shortLink names the peers of keys, each at one QUIC address.
func shortLink(t *testing.T, seed []byte, keys ...key) string {
	t.Helper()
	l := ShortLink{Secret: seed}
	for i, k := range keys {
		l.Peers = append(l.Peers, peer.AddrInfo{ID: k.peer(t), Addrs: []ma.Multiaddr{ma.StringCast("/ip4/192.0.2." + string(rune('1'+i)) + "/udp/4001/quic-v1")}})
	}
	s, err := l.String()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestJoinShortLink: past a peer that is down, a member the short link
// names answers the lookup; the joiner opens the details (the inviter's
// name and the description come with them) and asks that member first.
func TestJoinShortLink(t *testing.T) {
	f := newFake(t)
	seed := bytes.Repeat([]byte{9}, 32)
	inviter, member := newKey(3), newKey(4)
	op := sealedInvite(t, newKey(1), seed, true)
	l := shortLink(t, seed, inviter, member)
	f.answer[member.peer(t)] = &wire.JoinResponse{}
	f.lookup[member.peer(t)] = &wire.JoinResponse{Invite: op.Bytes()}
	inv, err := f.j.Parse(t.Context(), l)
	if err != nil || inv.Name != "Glow Team" || inv.Inviter != "Olivia Reyes" || inv.Description != "Goals and wins" || inv.Community != op.CommunityID() {
		t.Fatalf("parse: %+v, %v", inv, err)
	}
	full, err := f.j.Resolve(t.Context(), l)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]peer.ID, len(full.Addrs))
	for i, ai := range full.Addrs {
		got[i] = ai.ID
	}
	if want := []peer.ID{member.peer(t), inviter.peer(t), newKey(5).peer(t)}; !slices.Equal(got, want) {
		t.Fatalf("addresses %v, want %v", got, want)
	}
	f.calls = nil
	c, err := f.j.Join(t.Context(), l, nil)
	if err != nil || c.Role != crdt.RoleMember.String() {
		t.Fatalf("join: %+v, %v", c, err)
	}
	// Both peers are asked at once: the lookup may come before the
	// inviter's dial fails.
	if lookup := slices.Sorted(slices.Values(f.calls[:min(3, len(f.calls))])); !slices.Equal(lookup, []string{"dial", "dial", "lookup"}) {
		t.Fatalf("calls %v, want two dials and a lookup first", f.calls)
	}
	if want := []string{"dial", "join", "keys", "pull", "secret"}; !slices.Equal(f.calls[3:], want) {
		t.Fatalf("calls %v, want %v after the lookup", f.calls, want)
	}
}

// TestShortLinkLookupChecks: an invite that is not the link's — signed
// with its key by a peer that saw the key, but with no details sealed
// under the secret, or for another key — is refused, and so is a link no
// one knows.
func TestShortLinkLookupChecks(t *testing.T) {
	seed := bytes.Repeat([]byte{9}, 32)
	m := newKey(3)
	for name, c := range map[string]struct {
		answer *wire.JoinResponse
		want   error
	}{
		"unsealed":  {&wire.JoinResponse{Invite: sealedInvite(t, newKey(7), seed, false).Bytes()}, api.ErrNoPeer},
		"other key": {&wire.JoinResponse{Invite: sealedInvite(t, newKey(1), bytes.Repeat([]byte{8}, 32), true).Bytes()}, api.ErrNoPeer},
		"junk":      {&wire.JoinResponse{Invite: []byte("junk")}, api.ErrNoPeer},
		"unknown":   {&wire.JoinResponse{Error: wire.UnknownInvite}, identity.ErrBadLink},
	} {
		f := newFake(t)
		f.answer[m.peer(t)] = &wire.JoinResponse{}
		f.lookup[m.peer(t)] = c.answer
		if _, err := f.j.Parse(t.Context(), shortLink(t, seed, m)); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
		if slices.Contains(f.calls, "join") {
			t.Errorf("%s: joined", name)
		}
	}
	f := newFake(t)
	if _, err := f.j.Parse(t.Context(), shortLink(t, seed)); !errors.Is(err, api.ErrNoPeer) {
		t.Errorf("a link with no peers: %v", err)
	}
}

// TestResolveAsksPeersAtOnce: with the inviter named first and never
// answering (offline, its dial runs to the timeout), the lookup from the
// member named second completes at once, in virtual time, and the
// inviter's hanging dial is cancelled, not waited out.
func TestResolveAsksPeersAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(t)
		seed := bytes.Repeat([]byte{9}, 32)
		inviter, member := newKey(3), newKey(4)
		op := sealedInvite(t, newKey(1), seed, true)
		f.hang = map[peer.ID]bool{inviter.peer(t): true}
		f.answer[inviter.peer(t)] = &wire.JoinResponse{}
		f.answer[member.peer(t)] = &wire.JoinResponse{}
		f.lookup[member.peer(t)] = &wire.JoinResponse{Invite: op.Bytes()}
		start := time.Now()
		inv, err := f.j.Resolve(t.Context(), shortLink(t, seed, inviter, member))
		if err != nil || inv.Name != "Glow Team" {
			t.Fatalf("resolve: %+v, %v", inv, err)
		}
		if waited := time.Since(start); waited != 0 {
			t.Fatalf("resolving waited %v for the inviter that does not answer", waited)
		}
		if inv.Addrs[0].ID != member.peer(t) {
			t.Errorf("first address %v, want the member that answered", inv.Addrs[0].ID)
		}
		// A bad answer from the quick peer does not win over a good one.
		f = newFake(t)
		f.answer[inviter.peer(t)] = &wire.JoinResponse{}
		f.lookup[inviter.peer(t)] = &wire.JoinResponse{Invite: sealedInvite(t, newKey(7), seed, false).Bytes()}
		f.answer[member.peer(t)] = &wire.JoinResponse{}
		f.lookup[member.peer(t)] = &wire.JoinResponse{Invite: op.Bytes()}
		inv, err = f.j.Resolve(t.Context(), shortLink(t, seed, inviter, member))
		if err != nil || inv.Addrs[0].ID != member.peer(t) {
			t.Fatalf("a bad answer beside a good one: %+v, %v", inv, err)
		}
	})
}
