// Package peerkey converts a member's identity key to and from libp2p's
// forms: the same Ed25519 key that signs a member's ops is its libp2p
// peer key, so a peer id names a member.
//
// It is the only part of identity that imports libp2p (whose key code
// links in crypto/x509 and so the net package); it must never do I/O.
package peerkey

import (
	"crypto/ed25519"
	"fmt"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity"
)

// PrivKey returns the identity key as a libp2p private key, so the node's
// peer id is derived from the same key that signs ops.
func PrivKey(id *identity.Identity) crypto.PrivKey {
	k, err := crypto.UnmarshalEd25519PrivateKey(ed25519.NewKeyFromSeed(id.Seed()))
	if err != nil {
		panic(fmt.Sprintf("peerkey: ed25519 key rejected by libp2p: %v", err)) // cannot happen for a 64-byte key
	}
	return k
}

// ID returns the libp2p peer id of an identity.
func ID(id *identity.Identity) peer.ID {
	p, err := FromPublicKey(id.PublicKey())
	if err != nil {
		panic(fmt.Sprintf("peerkey: %v", err)) // cannot happen for a valid key
	}
	return p
}

// FromPublicKey returns the libp2p peer id of an Ed25519 public key.
func FromPublicKey(pub []byte) (peer.ID, error) {
	k, err := crypto.UnmarshalEd25519PublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("public key: %w", err)
	}
	return peer.IDFromPublicKey(k)
}

// PublicKey extracts the Ed25519 public key embedded in a peer id.
func PublicKey(p peer.ID) (ed25519.PublicKey, error) {
	k, err := p.ExtractPublicKey()
	if err != nil {
		return nil, fmt.Errorf("peer id %s: %w", p, err)
	}
	if k.Type() != crypto.Ed25519 {
		return nil, fmt.Errorf("peer id %s: key type %v, want Ed25519", p, k.Type())
	}
	raw, err := k.Raw()
	if err != nil {
		return nil, fmt.Errorf("peer id %s: %w", p, err)
	}
	return ed25519.PublicKey(raw), nil
}

// Key returns the member key that peer p's id embeds, or false for a peer
// whose id embeds no Ed25519 key.
func Key(p peer.ID) (crdt.PublicKey, bool) {
	pub, err := PublicKey(p)
	if err != nil {
		return crdt.PublicKey{}, false
	}
	return crdt.PublicKey(pub), true
}

// Peer returns the peer id of member key k ("" if k is not a valid
// Ed25519 key).
func Peer(k crdt.PublicKey) peer.ID {
	p, _ := FromPublicKey(k[:])
	return p
}

// Text returns the peer id of member key k as text, or the key's own text
// if it is not a valid Ed25519 key.
func Text(k crdt.PublicKey) string {
	p, err := FromPublicKey(k[:])
	if err != nil {
		return k.String()
	}
	return p.String()
}
