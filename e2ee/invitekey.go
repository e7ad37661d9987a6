package e2ee

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
)

// An invite's wrap key: the HPKE key pair, of suite s, that epoch secrets
// are wrapped to for the joiners of one invite link (crdt.InviteKeysBody),
// so that a joiner reads the community's history with no member online.
// It is derived from the link's secret (the invite key's Ed25519 seed):
// HKDF-SHA256 of the seed with info "umbrella/v1 invite wrap key" gives
// the input keying material of the KEM's DeriveKeyPair (RFC 9180). Whoever
// holds the link can unwrap; the relay that stores the wraps, which sees
// only the public key and the invite's Ed25519 key, cannot. The wraps use
// WrapInfo with the invite's Ed25519 public key as the recipient.

// InviteKey derives the wrap key pair of the invite whose link secret is
// seed. The same seed always gives the same key.
func InviteKey(s Suite, seed []byte) (*Prekey, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("invite secret is %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	k, err := s.kem()
	if err != nil {
		return nil, err
	}
	ikm, err := hkdf.Key(sha256.New, seed, nil, "umbrella/v1 invite wrap key", 32)
	if err != nil {
		return nil, err
	}
	priv, err := k.DeriveKeyPair(ikm)
	if err != nil {
		return nil, fmt.Errorf("derive invite wrap key: %w", err)
	}
	raw, err := priv.Bytes()
	if err != nil {
		return nil, err
	}
	return &Prekey{Suite: s, Public: priv.PublicKey().Bytes(), Private: raw, priv: priv}, nil
}
