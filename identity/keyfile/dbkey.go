package keyfile

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/umbrella-p2p/umbrella/identity"
)

// DBKeyFile holds the key that encrypts the database at rest.
const DBKeyFile = "db.key"

// DBKeySize is the size of the database key (AES-256, as Badger uses it).
const DBKeySize = 32

// Errors of the database key file.
var (
	// ErrPassphraseNeeded: the key file is protected by a passphrase and
	// none was given.
	ErrPassphraseNeeded = errors.New("the database key is protected by a passphrase; none was given")
	// ErrWrongPassphrase: the passphrase does not open the key file.
	ErrWrongPassphrase = errors.New("wrong passphrase for the database key")
)

// The key file is a magic, a format byte and the key, either plain or
// wrapped with XChaCha20-Poly1305 under a key derived from a passphrase
// with Argon2id:
//
//	"UMBK" 0 key(32)
//	"UMBK" 1 time(4) memoryKiB(4) threads(1) salt(16) nonce(24) sealed(32+16)
//
// All integers are big-endian.
var dbKeyMagic = []byte("UMBK")

const (
	formatPlain   = 0
	formatWrapped = 1
	saltSize      = 16
)

// Argon2id cost of a passphrase: about half a second and 64 MiB on a
// laptop, paid once at start-up.
var argonTime, argonMemory, argonThreads uint32 = 3, 64 << 10, 2

// DatabaseKey returns the database key kept in dir, creating a random one
// on first use (mode 0600, wrapped with passphrase when one is given). A
// key file that others may read is refused like the identity key.
func DatabaseKey(dir string, passphrase []byte) ([]byte, error) {
	path := filepath.Join(dir, DBKeyFile)
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, DBKeySize)
		rand.Read(key)
		if err := writeDBKey(path, key, passphrase, true); err != nil {
			return nil, err
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read database key: %w", err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %#o; run `chmod 600 %s`", ErrKeyPermissions, path, perm, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read database key: %w", err)
	}
	return openDBKey(path, data, passphrase)
}

// HasDatabaseKey reports whether dir holds a database key file.
func HasDatabaseKey(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, DBKeyFile))
	return err == nil
}

// ChangeDatabasePassphrase rewrites dir's database key file under a new
// passphrase (none: stored plain, protected by the file's mode only).
func ChangeDatabasePassphrase(dir string, old, new []byte) error {
	path := filepath.Join(dir, DBKeyFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read database key: %w", err)
	}
	key, err := openDBKey(path, data, old)
	if err != nil {
		return err
	}
	return writeDBKey(path, key, new, false)
}

func openDBKey(path string, data, passphrase []byte) ([]byte, error) {
	corrupt := fmt.Errorf("%w: %s is not an Umbrella database key", identity.ErrCorruptKey, path)
	if len(data) < len(dbKeyMagic)+1 || !bytes.Equal(data[:len(dbKeyMagic)], dbKeyMagic) {
		return nil, corrupt
	}
	body := data[len(dbKeyMagic)+1:]
	switch data[len(dbKeyMagic)] {
	case formatPlain:
		if len(body) != DBKeySize {
			return nil, corrupt
		}
		return bytes.Clone(body), nil
	case formatWrapped:
		if len(body) != 4+4+1+saltSize+chacha20poly1305.NonceSizeX+DBKeySize+chacha20poly1305.Overhead {
			return nil, corrupt
		}
		if len(passphrase) == 0 {
			return nil, ErrPassphraseNeeded
		}
		t, m, p := binary.BigEndian.Uint32(body), binary.BigEndian.Uint32(body[4:]), body[8]
		if t == 0 || t > 100 || m < 8<<10 || m > 4<<20 || p == 0 {
			return nil, corrupt // costs no honest file has: refuse rather than run them
		}
		salt := body[9 : 9+saltSize]
		nonce := body[9+saltSize : 9+saltSize+chacha20poly1305.NonceSizeX]
		sealed := body[9+saltSize+chacha20poly1305.NonceSizeX:]
		aead, _ := chacha20poly1305.NewX(argon2.IDKey(passphrase, salt, t, m, p, chacha20poly1305.KeySize))
		key, err := aead.Open(nil, nonce, sealed, dbKeyMagic)
		if err != nil {
			return nil, ErrWrongPassphrase
		}
		return key, nil
	default:
		return nil, fmt.Errorf("%w: %s has unknown format %d", identity.ErrCorruptKey, path, data[len(dbKeyMagic)])
	}
}

// writeDBKey writes key to path, wrapped when passphrase is not empty;
// exclusive refuses to replace an existing file.
func writeDBKey(path string, key, passphrase []byte, exclusive bool) error {
	out := append(bytes.Clone(dbKeyMagic), formatPlain)
	if len(passphrase) > 0 {
		out[len(dbKeyMagic)] = formatWrapped
		salt := make([]byte, saltSize)
		nonce := make([]byte, chacha20poly1305.NonceSizeX)
		rand.Read(salt)
		rand.Read(nonce)
		aead, _ := chacha20poly1305.NewX(argon2.IDKey(passphrase, salt, argonTime, argonMemory, uint8(argonThreads), chacha20poly1305.KeySize))
		out = binary.BigEndian.AppendUint32(out, argonTime)
		out = binary.BigEndian.AppendUint32(out, argonMemory)
		out = append(out, byte(argonThreads))
		out = append(out, salt...)
		out = append(out, nonce...)
		out = aead.Seal(out, nonce, key, dbKeyMagic)
	} else {
		out = append(out, key...)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write database key: %w", err)
	}
	tmp := path + ".tmp"
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	f, err := os.OpenFile(tmp, flags, 0o600)
	if err != nil {
		return fmt.Errorf("write database key: %w", err)
	}
	if _, err := f.Write(out); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write database key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write database key: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write database key: %w", err)
	}
	if exclusive {
		// Link fails if the file appeared meanwhile: never replace a key.
		if err := os.Link(tmp, path); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("write database key: %w", err)
		}
		return os.Remove(tmp)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write database key: %w", err)
	}
	return nil
}
