package identity

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func testRand(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	return rand.NewChaCha8(s)
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "home")
	id, err := Generate(testRand(1), "  Ada Leader ")
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
	if got.PeerID() != id.PeerID() {
		t.Fatal("peer id changed across load")
	}
	if err := Save(dir, id); !errors.Is(err, ErrExists) {
		t.Fatalf("second Save: %v, want ErrExists", err)
	}
}

func TestPeerIDIsSigningKey(t *testing.T) {
	id, _ := Generate(testRand(2), "x")
	pub, err := PublicKeyFromPeerID(id.PeerID())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pub, id.PublicKey()) {
		t.Fatal("peer id does not embed the signing key")
	}
	msg := []byte("hello")
	if !ed25519.Verify(pub, msg, id.Sign(msg)) {
		t.Fatal("signature does not verify under the peer id's key")
	}
	lk := id.Libp2pKey()
	raw, _ := lk.GetPublic().Raw()
	if !bytes.Equal(raw, id.PublicKey()) {
		t.Fatal("libp2p key differs from identity key")
	}
}

func TestLoadErrors(t *testing.T) {
	id, _ := Generate(testRand(3), "x")
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
		}, ErrCorruptKey},
		{"short seed", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, KeyFile), []byte("-----BEGIN UMBRELLA ED25519 PRIVATE KEY-----\nAAAA\n-----END UMBRELLA ED25519 PRIVATE KEY-----\n"), 0o600)
		}, ErrCorruptKey},
		{"wrong pem type", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, KeyFile), []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600)
		}, ErrCorruptKey},
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

func TestValidateName(t *testing.T) {
	for _, bad := range []string{"", "   ", strings.Repeat("a", MaxNameLen+1), "a\x00b", "bell\a", string([]byte{0xff})} {
		if _, err := ValidateName(bad); !errors.Is(err, ErrBadName) {
			t.Errorf("ValidateName(%q) = %v, want ErrBadName", bad, err)
		}
	}
	for _, good := range []string{"Ada", "Zoë Müller", "李小龍", strings.Repeat("a", MaxNameLen)} {
		if _, err := ValidateName(good); err != nil {
			t.Errorf("ValidateName(%q): %v", good, err)
		}
	}
}

func TestInviteLinkRoundTrip(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, 32)
	l := InviteLink{Capability: []byte("signed op bytes"), Secret: seed}
	s := l.String()
	if !strings.HasPrefix(s, LinkPrefix) {
		t.Fatalf("link %q lacks prefix", s)
	}
	got, err := ParseInviteLink("  " + s + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Capability, l.Capability) || !bytes.Equal(got.Secret, seed) {
		t.Fatal("link round trip changed it")
	}
	msg := []byte("join")
	if !ed25519.Verify(got.InviteKey(), msg, got.SignWithInvite(msg)) {
		t.Fatal("invite key signature does not verify")
	}
}

func TestParseInviteLinkErrors(t *testing.T) {
	good := InviteLink{Capability: []byte("cap"), Secret: bytes.Repeat([]byte{1}, 32)}.String()
	for name, s := range map[string]string{
		"empty":       "",
		"no scheme":   "https://example.com/join",
		"bad base64":  LinkPrefix + "!!!",
		"truncated":   good[:len(good)-5],
		"not cbor":    LinkPrefix + "AAAA",
		"short key":   InviteLink{Capability: []byte("cap"), Secret: []byte{1, 2}}.String(),
		"no cap":      InviteLink{Secret: bytes.Repeat([]byte{1}, 32)}.String(),
		"far too big": LinkPrefix + strings.Repeat("A", MaxLinkLen),
	} {
		if _, err := ParseInviteLink(s); !errors.Is(err, ErrBadLink) {
			t.Errorf("%s: ParseInviteLink = %v, want ErrBadLink", name, err)
		}
	}
}

func FuzzParseInviteLink(f *testing.F) {
	f.Add(InviteLink{Capability: []byte("cap"), Secret: bytes.Repeat([]byte{1}, 32)}.String())
	f.Add(LinkPrefix + "oQFA")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseInviteLink(s)
		if err != nil {
			return
		}
		again, err := ParseInviteLink(l.String())
		if err != nil || !bytes.Equal(again.Capability, l.Capability) || !bytes.Equal(again.Secret, l.Secret) {
			t.Fatalf("re-parse of accepted link failed: %v", err)
		}
	})
}

// TestPurity: identity must not pull in networking, storage or UI packages.
func TestPurity(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"fyne.io/", "badger", "go-libp2p/p2p/", "go-libp2p-pubsub", "net/http"} {
			if strings.Contains(dep, banned) {
				t.Errorf("identity imports %s", dep)
			}
		}
	}
}
