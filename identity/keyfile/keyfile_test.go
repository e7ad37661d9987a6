package keyfile

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/umbrella-p2p/umbrella/identity"
)

func testRand(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	return rand.NewChaCha8(s)
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "home")
	id, err := identity.Generate(testRand(1), "  Ada Leader ")
	if err != nil {
		t.Fatal(err)
	}
	if id.Name != "Ada Leader" {
		t.Fatalf("name not trimmed: %q", id.Name)
	}
	if err := Save(dir, id); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %#o, want 0600", st.Mode().Perm())
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.PublicKey(), id.PublicKey()) || got.Name != "Ada Leader" {
		t.Fatalf("loaded %x %q, want %x %q", got.PublicKey(), got.Name, id.PublicKey(), id.Name)
	}
	if err := Save(dir, id); !errors.Is(err, ErrExists) {
		t.Fatalf("second Save: %v, want ErrExists", err)
	}
}

// TestDefaultName: an identity saved without a profile loads with a name
// made from its peer id.
func TestDefaultName(t *testing.T) {
	dir := t.TempDir()
	id, _ := identity.Generate(testRand(4), "x")
	if err := Save(dir, id); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, ProfileFile))
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Name) != len("Member ")+6 || got.Name[:7] != "Member " {
		t.Fatalf("default name %q", got.Name)
	}
}

func TestLoadErrors(t *testing.T) {
	id, _ := identity.Generate(testRand(3), "x")
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  error
	}{
		{"missing", func(t *testing.T, dir string) {}, ErrNoIdentity},
		{"too open", func(t *testing.T, dir string) {
			if err := Save(dir, id); err != nil {
				t.Fatal(err)
			}
			os.Chmod(filepath.Join(dir, KeyFile), 0o644)
		}, ErrKeyPermissions},
		{"garbage", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, KeyFile), []byte("not a key\n"), 0o600)
		}, identity.ErrCorruptKey},
		{"short seed", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, KeyFile), []byte("-----BEGIN UMBRELLA ED25519 PRIVATE KEY-----\nAAAA\n-----END UMBRELLA ED25519 PRIVATE KEY-----\n"), 0o600)
		}, identity.ErrCorruptKey},
		{"wrong pem type", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, KeyFile), []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600)
		}, identity.ErrCorruptKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			_, err := Load(dir)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Load: %v, want %v", err, tc.want)
			}
			if err.Error() == tc.want.Error() {
				t.Fatalf("error %q does not say which file", err)
			}
		})
	}
}

// TestPhotoFile: a saved photo reads back, one over the limit is refused,
// and an empty one removes the file.
func TestPhotoFile(t *testing.T) {
	dir := t.TempDir()
	if b, err := LoadPhoto(dir, 10); b != nil || err != nil {
		t.Fatalf("no photo: %q, %v", b, err)
	}
	if err := SavePhoto(dir, []byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	if b, err := LoadPhoto(dir, 10); string(b) != "0123456789" || err != nil {
		t.Fatalf("saved photo: %q, %v", b, err)
	}
	if _, err := LoadPhoto(dir, 9); err == nil {
		t.Fatal("a photo over the limit was read")
	}
	if err := SavePhoto(dir, nil); err != nil {
		t.Fatal(err)
	}
	if b, err := LoadPhoto(dir, 10); b != nil || err != nil {
		t.Fatalf("removed photo: %q, %v", b, err)
	}
}
