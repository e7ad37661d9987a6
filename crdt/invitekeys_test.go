package crdt

import (
	"bytes"
	"errors"
	"testing"
)

func inviteKeysBody(inv *Op, key byte) *InviteKeysBody {
	id := inv.ID()
	return &InviteKeysBody{Invite: id[:], KEM: KEMX25519, Key: bytes.Repeat([]byte{key}, 32),
		Keys: []InviteKey{{Epoch: make([]byte, EpochIDSize), Secret: []byte{1, 2, 3}}}, Time: 5}
}

// TestInviteKeysAreJudged: the invite's maker fixes its wrap key, other
// admins wrap to that key only, members never, and nobody once the
// invite is revoked; the op stays clear for the relay.
func TestInviteKeysAreJudged(t *testing.T) {
	w, _ := setup(t, "ann", "ben")
	w.promote("olivia", "ann", RoleAdmin)
	w.syncAll()
	inv := w.invite("olivia")
	w.syncAll()

	if _, err := w.try("ann", ZeroID, KindInviteKeys, inviteKeysBody(inv, 1)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("another admin fixed the invite's key: %v", err)
	}
	o := w.do("olivia", ZeroID, KindInviteKeys, inviteKeysBody(inv, 1))
	if o.Sealed() || KindInviteKeys.Sealable() {
		t.Fatal("an invite-keys op must stay clear")
	}
	w.syncAll()
	st := w.reps["ann"].State()
	if got := st.Invites[inv.ID()]; !bytes.Equal(got.WrapKey, bytes.Repeat([]byte{1}, 32)) || got.WrapKEM != KEMX25519 {
		t.Fatalf("wrap key %x", got.WrapKey)
	}
	if live := st.LiveKeyedInvites(0); len(live) != 1 || live[0].ID != inv.ID() {
		t.Fatalf("live keyed invites %v", live)
	}
	cases := []struct {
		name string
		by   string
		body *InviteKeysBody
		want error
	}{
		{"member", "ben", inviteKeysBody(inv, 1), ErrUnauthorized},
		{"another key", "ann", inviteKeysBody(inv, 2), ErrInvalid},
		{"approval with keys", "ann", func() *InviteKeysBody { b := inviteKeysBody(inv, 1); b.Approval = true; return b }(), ErrInvalid},
		{"approval with a topic secret", "ann", func() *InviteKeysBody {
			b := inviteKeysBody(inv, 1)
			b.Keys, b.Approval, b.Topic = nil, true, []byte{1}
			return b
		}(), ErrInvalid},
		{"an oversized topic secret", "ann", func() *InviteKeysBody {
			b := inviteKeysBody(inv, 1)
			b.Topic = make([]byte, MaxWrapSize+1)
			return b
		}(), ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := w.try(c.by, ZeroID, KindInviteKeys, c.body); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
	w.do("ann", ZeroID, KindInviteKeys, inviteKeysBody(inv, 1))
	w.do("ann", ZeroID, KindInviteRevoke, &InviteRevokeBody{Invite: idb(inv.ID())})
	if _, err := w.try("ann", ZeroID, KindInviteKeys, inviteKeysBody(inv, 1)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("keys handed to a revoked invite: %v", err)
	}
	if live := w.reps["ann"].State().LiveKeyedInvites(0); len(live) != 0 {
		t.Fatalf("a revoked invite is live: %v", live)
	}
}

// TestNewcomerLogs: the control log and the groups every member reads.
func TestNewcomerLogs(t *testing.T) {
	w, general := setup(t)
	open := w.do("olivia", ZeroID, KindGroupCreate, &GroupCreateBody{Name: "Leaders", Policy: PolicyOpen})
	logs := w.reps["olivia"].State().NewcomerLogs()
	if len(logs) < 2 || logs[0] != ZeroID {
		t.Fatalf("logs %v", logs)
	}
	has := func(id ID) bool {
		for _, l := range logs {
			if l == id {
				return true
			}
		}
		return false
	}
	if !has(general) || has(open.ID()) {
		t.Fatalf("logs %v: want General (everyone) and not Leaders (open)", logs)
	}
}
