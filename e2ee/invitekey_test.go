package e2ee

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestInviteKey: the wrap key follows from the link's secret alone, a
// secret wrapped to it opens with the key derived again, and not with
// another link's.
func TestInviteKey(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, ed25519.SeedSize)
	other := bytes.Repeat([]byte{8}, ed25519.SeedSize)
	for _, s := range []Suite{X25519, Hybrid} {
		k1, err := InviteKey(s, seed)
		if err != nil {
			t.Fatal(err)
		}
		k2, _ := InviteKey(s, seed)
		if !bytes.Equal(k1.Public, k2.Public) {
			t.Fatalf("%s: two derivations differ", s)
		}
		k3, _ := InviteKey(s, other)
		if bytes.Equal(k1.Public, k3.Public) {
			t.Fatalf("%s: two links give one key", s)
		}
		id, secret := NewEpoch()
		var inv crdt.PublicKey
		copy(inv[:], ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey))
		info := WrapInfo(crdt.ID{1}, crdt.ZeroID, id, inv)
		w, err := Wrap(s, k1.Public, info, secret)
		if err != nil {
			t.Fatal(err)
		}
		got, err := k2.Unwrap(info, w)
		if err != nil || !bytes.Equal(got, secret) {
			t.Fatalf("%s: unwrap = %x, %v", s, got, err)
		}
		if _, err := k3.Unwrap(info, w); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("%s: another link's key opened the wrap: %v", s, err)
		}
	}
	if _, err := InviteKey(X25519, seed[:5]); err == nil {
		t.Fatal("a short seed gave a key")
	}
}
