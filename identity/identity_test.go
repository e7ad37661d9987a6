package identity

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

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

// TestPurity: identity is pure. Nothing it links in may reach the network,
// run processes, store or draw (libp2p, whose key code links in net, is
// identity/peerkey's), and it does no file I/O itself (package os is linked
// in by fmt, so only identity's own imports are checked for it). It fails
// rather than skips when go list does not run: the go tool built the test.
func TestPurity(t *testing.T) {
	list := func(format string) []string {
		out, err := exec.Command("go", "list", "-f", format, ".").Output()
		if err != nil {
			t.Fatalf("go list: %v", err)
		}
		return strings.Fields(string(out))
	}
	under := func(pkg string, prefixes ...string) bool {
		for _, p := range prefixes {
			if pkg == p || strings.HasPrefix(pkg, p+"/") {
				return true
			}
		}
		return false
	}
	deps := list(`{{join .Deps "\n"}}`)
	if len(deps) == 0 {
		t.Fatal("go list gave no dependencies")
	}
	for _, dep := range deps {
		if under(dep, "net", "os/exec", "fyne.io", "github.com/libp2p", "github.com/multiformats", "github.com/dgraph-io/badger", "github.com/ipfs") {
			t.Errorf("identity depends on %s", dep)
		}
	}
	for _, imp := range list(`{{join .Imports "\n"}}`) {
		if under(imp, "os", "io/fs", "path/filepath", "syscall") {
			t.Errorf("identity imports %s: files are identity/keyfile's", imp)
		}
	}
}

func TestSafetyNumber(t *testing.T) {
	a, b := make([]byte, 32), make([]byte, 32)
	b[31] = 1
	na, nb := SafetyNumber(a), SafetyNumber(b)
	if len(na) != 35 || strings.Count(na, " ") != 5 {
		t.Fatalf("safety number %q: want six groups of five digits", na)
	}
	if na == nb {
		t.Fatal("two keys share a safety number")
	}
	if SafetyNumber(a) != na {
		t.Fatal("safety number is not stable")
	}
	// Known answers: the numbers members have compared must not change.
	if want := "88309 74770 19035 59228 94323 46747"; na != want {
		t.Errorf("safety number of the zero key %q, want %q", na, want)
	}
	if want := "27574 42851 74325 63698 99627 04863"; nb != want {
		t.Errorf("safety number of key 1 %q, want %q", nb, want)
	}
}

// TestSafetyNumberAllocations: the 5,200 rounds reuse one buffer, so a
// member list of thousands does not keep the collector busy.
func TestSafetyNumberAllocations(t *testing.T) {
	key := make([]byte, 32)
	if n := testing.AllocsPerRun(5, func() { SafetyNumber(key) }); n > 20 {
		t.Errorf("%.0f allocations per safety number, want at most 20", n)
	}
}
