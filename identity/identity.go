// Package identity holds a member's long-term Ed25519 identity — the same key
// is the libp2p peer key (package identity/peerkey converts it) — its
// display name, safety numbers, and the container format of invite links.
//
// It must never touch the network, the disk or the op log: it knows keys
// and bytes, not communities or files. Randomness comes in as an io.Reader
// so tests are repeatable. The key files in a member's home are
// identity/keyfile's business.
package identity

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Errors callers branch on.
var (
	// ErrCorruptKey: a key (a seed, or a key file) cannot be parsed.
	ErrCorruptKey = errors.New("corrupt key file")
	// ErrBadName: a display name is empty, too long or not printable.
	ErrBadName = errors.New("bad display name")
)

// Identity is a member's signing key and display name. The zero value is not usable.
type Identity struct {
	priv ed25519.PrivateKey
	// Name is the display name people see; set with ValidateName's result.
	Name string
}

// Generate makes a new identity from rand (crypto/rand.Reader outside tests).
func Generate(rand io.Reader, name string) (*Identity, error) {
	name, err := ValidateName(name)
	if err != nil {
		return nil, err
	}
	_, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return &Identity{priv: priv, Name: name}, nil
}

// FromSeed rebuilds an identity from a 32-byte Ed25519 seed.
func FromSeed(seed []byte, name string) (*Identity, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: seed is %d bytes, want %d", ErrCorruptKey, len(seed), ed25519.SeedSize)
	}
	return &Identity{priv: ed25519.NewKeyFromSeed(seed), Name: name}, nil
}

// PublicKey returns the Ed25519 public key.
func (id *Identity) PublicKey() ed25519.PublicKey { return id.priv.Public().(ed25519.PublicKey) }

// Sign signs msg with the identity key.
func (id *Identity) Sign(msg []byte) []byte { return ed25519.Sign(id.priv, msg) }

// Seed returns the 32-byte private seed. Handle with care.
func (id *Identity) Seed() []byte { return id.priv.Seed() }

// ValidateName trims a display name and checks it: 1..MaxNameLen bytes of
// valid UTF-8 with no control characters.
func ValidateName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", fmt.Errorf("%w: it is empty", ErrBadName)
	case !utf8.ValidString(name):
		return "", fmt.Errorf("%w: it is not valid UTF-8", ErrBadName)
	case len(name) > MaxNameLen:
		return "", fmt.Errorf("%w: %d bytes, at most %d", ErrBadName, len(name), MaxNameLen)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "", fmt.Errorf("%w: it contains a control character", ErrBadName)
		}
	}
	return name, nil
}
