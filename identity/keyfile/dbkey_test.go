package keyfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/umbrella-p2p/umbrella/identity"
)

func cheapArgon(t *testing.T) {
	old := argonMemory
	argonMemory = 8 << 10 // tests need not pay 64 MiB a call
	t.Cleanup(func() { argonMemory = old })
}

// TestDatabaseKey: a key is made once and read back the same; a wrapped
// key needs its passphrase; the passphrase can change; a file others may
// read, or a damaged one, is refused.
func TestDatabaseKey(t *testing.T) {
	cheapArgon(t)
	dir := t.TempDir()
	k1, err := DatabaseKey(dir, nil)
	if err != nil || len(k1) != DBKeySize {
		t.Fatalf("new key: %v", err)
	}
	k2, err := DatabaseKey(dir, nil)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("key read back differs: %v", err)
	}
	if st, _ := os.Stat(filepath.Join(dir, DBKeyFile)); st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %#o", st.Mode().Perm())
	}
	if err := ChangeDatabasePassphrase(dir, nil, []byte("correct horse")); err != nil {
		t.Fatal(err)
	}
	if raw, _ := os.ReadFile(filepath.Join(dir, DBKeyFile)); bytes.Contains(raw, k1) {
		t.Fatal("the wrapped key file holds the key in the clear")
	}
	if _, err := DatabaseKey(dir, nil); !errors.Is(err, ErrPassphraseNeeded) {
		t.Fatalf("no passphrase: %v", err)
	}
	if _, err := DatabaseKey(dir, []byte("wrong horse")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if k, err := DatabaseKey(dir, []byte("correct horse")); err != nil || !bytes.Equal(k, k1) {
		t.Fatalf("right passphrase: %v", err)
	}
	if err := ChangeDatabasePassphrase(dir, []byte("correct horse"), nil); err != nil {
		t.Fatal(err)
	}
	if k, err := DatabaseKey(dir, nil); err != nil || !bytes.Equal(k, k1) {
		t.Fatalf("after removing the passphrase: %v", err)
	}

	os.Chmod(filepath.Join(dir, DBKeyFile), 0o644)
	if _, err := DatabaseKey(dir, nil); !errors.Is(err, ErrKeyPermissions) {
		t.Fatalf("readable key file: %v", err)
	}
	for name, data := range map[string][]byte{
		"empty":     {},
		"truncated": append([]byte("UMBK\x00"), k1[:10]...),
		"format":    append([]byte("UMBK\x07"), k1...),
		"wrapped":   append([]byte("UMBK\x01"), make([]byte, 9)...),
	} {
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, DBKeyFile), data, 0o600)
		if _, err := DatabaseKey(d, []byte("x")); !errors.Is(err, identity.ErrCorruptKey) {
			t.Errorf("%s key file: %v", name, err)
		}
	}
}
