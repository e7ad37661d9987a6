// Package identity holds a member's long-term Ed25519 identity — the same key
// is the libp2p peer key — its key file on disk, the display name, and the
// container format of invite links.
//
// It must never touch the network or the op log: it knows keys and bytes, not
// communities. Randomness comes in as an io.Reader so tests are repeatable.
package identity

import (
	"crypto/ed25519"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// File names inside a home directory.
const (
	KeyFile     = "identity.key"
	ProfileFile = "profile.json"
	pemType     = "UMBRELLA ED25519 PRIVATE KEY"
	// MaxNameLen is the longest display name, in bytes of UTF-8.
	MaxNameLen = 64
)

// Errors callers branch on.
var (
	// ErrNoIdentity: the home has no key file yet (first run).
	ErrNoIdentity = errors.New("no identity")
	// ErrExists: an identity already exists where a new one was to be written.
	ErrExists = errors.New("identity already exists")
	// ErrKeyPermissions: the key file is readable or writable by others.
	ErrKeyPermissions = errors.New("key file permissions too open")
	// ErrCorruptKey: the key file cannot be parsed.
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

// Libp2pKey returns the identity key as a libp2p private key, so the node's
// peer id is derived from the same key that signs ops.
func (id *Identity) Libp2pKey() crypto.PrivKey {
	k, err := crypto.UnmarshalEd25519PrivateKey(id.priv)
	if err != nil {
		panic(fmt.Sprintf("identity: ed25519 key rejected by libp2p: %v", err)) // cannot happen for a 64-byte key
	}
	return k
}

// PeerID returns the libp2p peer id of this identity.
func (id *Identity) PeerID() peer.ID {
	p, err := PeerIDFromPublicKey(id.PublicKey())
	if err != nil {
		panic(fmt.Sprintf("identity: %v", err)) // cannot happen for a valid key
	}
	return p
}

// PeerIDFromPublicKey returns the libp2p peer id of an Ed25519 public key.
func PeerIDFromPublicKey(pub []byte) (peer.ID, error) {
	k, err := crypto.UnmarshalEd25519PublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("public key: %w", err)
	}
	return peer.IDFromPublicKey(k)
}

// PublicKeyFromPeerID extracts the Ed25519 public key embedded in a peer id.
func PublicKeyFromPeerID(p peer.ID) (ed25519.PublicKey, error) {
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

type profile struct {
	Name string `json:"name"`
}

// Save writes the key file (mode 0600) and the profile into dir, creating
// dir (0700) if needed. It refuses to overwrite an existing key file.
func Save(dir string, id *Identity) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create home %s: %w", dir, err)
	}
	keyPath := filepath.Join(dir, KeyFile)
	block := pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: id.priv.Seed()})
	f, err := os.OpenFile(keyPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %s", ErrExists, keyPath)
	}
	if err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	if _, err := f.Write(block); err != nil {
		f.Close()
		os.Remove(keyPath)
		return fmt.Errorf("write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(keyPath)
		return fmt.Errorf("write key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	return SaveName(dir, id.Name)
}

// SaveName replaces the display name stored in dir, atomically.
func SaveName(dir, name string) error {
	name, err := ValidateName(name)
	if err != nil {
		return err
	}
	data, _ := json.Marshal(profile{Name: name})
	tmp := filepath.Join(dir, ProfileFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, ProfileFile)); err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	return nil
}

// Exists reports whether dir holds a key file.
func Exists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, KeyFile))
	return err == nil
}

// Load reads the identity from dir. It fails with ErrNoIdentity when there is
// no key file, ErrKeyPermissions when group or others may access it, and
// ErrCorruptKey when it does not hold exactly one Umbrella key.
func Load(dir string) (*Identity, error) {
	keyPath := filepath.Join(dir, KeyFile)
	st, err := os.Stat(keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s", ErrNoIdentity, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %#o; run `chmod 600 %s`", ErrKeyPermissions, keyPath, perm, keyPath)
	}
	data, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	block, rest := pem.Decode(data)
	if block == nil || block.Type != pemType || len(strings.TrimSpace(string(rest))) != 0 || len(block.Headers) != 0 {
		return nil, fmt.Errorf("%w: %s is not an Umbrella identity key", ErrCorruptKey, keyPath)
	}
	id, err := FromSeed(block.Bytes, "")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	pdata, err := os.ReadFile(filepath.Join(dir, ProfileFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	if err == nil {
		var p profile
		if err := json.Unmarshal(pdata, &p); err != nil {
			return nil, fmt.Errorf("read profile %s: %w", filepath.Join(dir, ProfileFile), err)
		}
		id.Name = p.Name
	}
	if id.Name == "" {
		id.Name = "Member " + id.PeerID().String()[len(id.PeerID().String())-6:]
	}
	return id, nil
}
