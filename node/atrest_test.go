package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/identity/keyfile"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// filesContaining lists the files under dir whose bytes contain s.
func filesContaining(t *testing.T, dir, s string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(s)) {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// openLoopback opens a node on home with a Badger store, listening on
// loopback only.
func openLoopback(t *testing.T, home string, passphrase []byte) (*Node, error) {
	cfg := DefaultConfig(home)
	cfg.MDNS = false
	cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	cfg.Passphrase = passphrase
	return Open(context.Background(), cfg)
}

// TestDatabaseEncryptedAtRest: after a member writes messages, no file in
// its home holds their text; the same scan finds the text in a store
// written without a key, so the scan can see plaintext when there is some.
// With a passphrase the node does not start without it.
func TestDatabaseEncryptedAtRest(t *testing.T) {
	const secret = "Secret launch price: 29.90 for the starter kit"
	home := t.TempDir()
	if err := Init(home, "Olivia"); err != nil {
		t.Fatal(err)
	}
	n, err := openLoopback(t, home, []byte("tulips in spring"))
	if err != nil {
		t.Fatal(err)
	}
	comm, err := n.CreateCommunity(t.Context(), "Glow Team")
	if err != nil {
		t.Fatal(err)
	}
	gid := general(t, n, comm.ID)
	for range 3 {
		if _, err := n.Post(t.Context(), comm.ID, gid, secret); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if files := filesContaining(t, home, secret); len(files) != 0 {
		t.Fatalf("message text in the clear in %v", files)
	}
	if _, err := openLoopback(t, home, nil); !errors.Is(err, keyfile.ErrPassphraseNeeded) {
		t.Fatalf("start without the passphrase: %v", err)
	}
	if _, err := openLoopback(t, home, []byte("daffodils")); !errors.Is(err, keyfile.ErrWrongPassphrase) {
		t.Fatalf("start with a wrong passphrase: %v", err)
	}
	n, err = openLoopback(t, home, []byte("tulips in spring"))
	if err != nil {
		t.Fatal(err)
	}
	if got := texts(t, n, comm.ID, gid); len(got) != 3 {
		t.Fatalf("after a restart the node shows %q", got)
	}
	n.Close()

	// The control: the same text in a store without a key is found.
	plainDir := t.TempDir()
	plain, err := store.OpenBadger(filepath.Join(plainDir, "db"), store.BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := identity.Generate(rand.Reader, "Olivia")
	if err != nil {
		t.Fatal(err)
	}
	g, err := crdt.Sign(crdt.Op{Kind: crdt.KindGenesis, Height: 1, Body: []byte(secret)}, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.Put(t.Context(), crdt.Opened{Op: g}); err != nil {
		t.Fatal(err)
	}
	if err := plain.Close(); err != nil {
		t.Fatal(err)
	}
	if files := filesContaining(t, plainDir, secret); len(files) == 0 {
		t.Fatal("the scan cannot see plaintext even in a store without a key")
	}
}
