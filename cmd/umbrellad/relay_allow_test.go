package main

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
)

// TestRelayAllowFlag: --allow takes admins' peer ids, repeatable, as their
// member keys; anything else is a usage error before the relay opens its
// home.
func TestRelayAllowFlag(t *testing.T) {
	var want []crdt.PublicKey
	var ids []string
	for _, b := range []byte{1, 2} {
		pub := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, 32)).Public().(ed25519.PublicKey)
		p, err := peerkey.FromPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		var k crdt.PublicKey
		copy(k[:], pub)
		want, ids = append(want, k), append(ids, p.String())
	}
	got, err := parseAllow([]string{ids[0], " " + ids[1] + " "})
	if err != nil || len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("parseAllow = %v, %v; want %v", got, err, want)
	}
	if got, err := parseAllow(nil); err != nil || len(got) != 0 {
		t.Fatalf("no --allow: %v, %v; want an open relay", got, err)
	}

	home := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"relay", "--home", home, "--listen", "/ip4/127.0.0.1/tcp/0", "--allow", ids[0], "--allow", "not-a-peer"}, &stdout, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), `--allow "not-a-peer": not a peer id`) {
		t.Fatalf("relay --allow not-a-peer: exit %d, %q", code, stderr.String())
	}
	if ents, _ := os.ReadDir(home); len(ents) != 0 {
		t.Fatalf("the relay opened its home before refusing its flags: %v", ents)
	}
}
