// Package keyfile keeps a member's keys in its home directory: the
// identity key (PEM, mode 0600) with the display name beside it, and the
// key that encrypts the database at rest, plain or wrapped under a
// passphrase.
//
// It is the disk side of package identity, which stays pure: this package
// reads and writes files and must never touch the network. Key files that
// others may read are refused.
package keyfile

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
)

// File names inside a home directory.
const (
	KeyFile     = "identity.key"
	ProfileFile = "profile.json"
	pemType     = "UMBRELLA ED25519 PRIVATE KEY"
)

// Errors callers branch on. A key file that does not parse gives an error
// wrapping identity.ErrCorruptKey.
var (
	// ErrNoIdentity: the home has no key file yet (first run).
	ErrNoIdentity = errors.New("no identity")
	// ErrExists: an identity already exists where a new one was to be written.
	ErrExists = errors.New("identity already exists")
	// ErrKeyPermissions: the key file is readable or writable by others.
	ErrKeyPermissions = errors.New("key file permissions too open")
)

type profile struct {
	Name string `json:"name"`
}

// Save writes the key file (mode 0600) and the profile into dir, creating
// dir (0700) if needed. It refuses to overwrite an existing key file.
func Save(dir string, id *identity.Identity) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create home %s: %w", dir, err)
	}
	keyPath := filepath.Join(dir, KeyFile)
	block := pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: id.Seed()})
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
	name, err := identity.ValidateName(name)
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
// identity.ErrCorruptKey when it does not hold exactly one Umbrella key.
func Load(dir string) (*identity.Identity, error) {
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
		return nil, fmt.Errorf("%w: %s is not an Umbrella identity key", identity.ErrCorruptKey, keyPath)
	}
	id, err := identity.FromSeed(block.Bytes, "")
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
		p := peerkey.ID(id).String()
		id.Name = "Member " + p[len(p)-6:]
	}
	return id, nil
}

// PhotoFile holds the local member's profile photo, next to ProfileFile.
const PhotoFile = "photo"

// SavePhoto replaces the profile photo stored in dir, atomically; an
// empty b removes it. The caller checks the picture.
func SavePhoto(dir string, b []byte) error {
	path := filepath.Join(dir, PhotoFile)
	if len(b) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove photo: %w", err)
		}
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write photo: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write photo: %w", err)
	}
	return nil
}

// LoadPhoto reads the profile photo stored in dir: nil when there is none,
// an error when it is longer than limit bytes. The caller checks the
// picture.
func LoadPhoto(dir string, limit int) ([]byte, error) {
	f, err := os.Open(filepath.Join(dir, PhotoFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read photo: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("read photo: %w", err)
	}
	if len(b) > limit {
		return nil, fmt.Errorf("read photo: longer than %d bytes", limit)
	}
	return b, nil
}
