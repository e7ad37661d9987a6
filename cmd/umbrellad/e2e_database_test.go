package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/identity/keyfile"
)

// TestE2EDatabaseOpenErrors: `serve` on a home whose database does not
// open — another database key, no key file, a damaged MANIFEST or table —
// exits 1 with a message that says which and what to do, never panics, and
// with the files put back serves the community as before.
func TestE2EDatabaseOpenErrors(t *testing.T) {
	cases := []struct {
		name    string
		break_  func(t *testing.T, home string)
		wantErr []string
	}{
		{"another key", func(t *testing.T, home string) {
			os.Remove(filepath.Join(home, keyfile.DBKeyFile))
			if _, err := keyfile.DatabaseKey(home, nil); err != nil {
				t.Fatal(err)
			}
		}, []string{"db.key is not the key the database in", "put back the db.key"}},
		{"key file missing", func(t *testing.T, home string) {
			os.Remove(filepath.Join(home, keyfile.DBKeyFile))
		}, []string{"the database key file is missing", "is encrypted and cannot be read without", "put back the db.key"}},
		{"manifest overwritten", func(t *testing.T, home string) {
			os.WriteFile(filepath.Join(home, "db", "MANIFEST"), []byte("this is not a manifest"), 0o600)
		}, []string{"the database files are damaged", "manifest", "restore"}},
		{"table damaged", func(t *testing.T, home string) {
			m, _ := filepath.Glob(filepath.Join(home, "db", "*.sst"))
			if len(m) == 0 {
				t.Fatal("no table in the database")
			}
			data, _ := os.ReadFile(m[0])
			copy(data[len(data)/4:], bytes.Repeat([]byte{0x5a}, len(data)/2))
			os.WriteFile(m[0], data, 0o600)
		}, []string{"the database files are damaged", ".sst", "restore"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newDaemon(t, "Olivia")
			d.start()
			var comm api.Community
			d.jsonRun(&comm, "community", "create", "--name", "Glow Team")
			d.stop()
			backup := t.TempDir()
			if err := os.CopyFS(backup, os.DirFS(d.home)); err != nil {
				t.Fatal(err)
			}
			tc.break_(t, d.home)

			_, errOut, code := d.cli("serve", "--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0")
			if code != 1 || strings.Contains(errOut, "panic") || strings.Contains(errOut, "created before encryption") {
				t.Fatalf("serve: exit %d, stderr:\n%s", code, errOut)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(errOut, w) {
					t.Fatalf("serve: stderr does not say %q:\n%s", w, errOut)
				}
			}

			// Put back from the backup, the home serves its community.
			for _, f := range []string{"db", keyfile.DBKeyFile} {
				os.RemoveAll(filepath.Join(d.home, f))
			}
			if err := os.CopyFS(filepath.Join(d.home, "db"), os.DirFS(filepath.Join(backup, "db"))); err != nil {
				t.Fatal(err)
			}
			key, _ := os.ReadFile(filepath.Join(backup, keyfile.DBKeyFile))
			if err := os.WriteFile(filepath.Join(d.home, keyfile.DBKeyFile), key, 0o600); err != nil {
				t.Fatal(err)
			}
			d.start()
			var cs []api.Community
			d.jsonRun(&cs, "communities")
			if len(cs) != 1 || cs[0].ID != comm.ID {
				t.Fatalf("after putting the files back: %+v", cs)
			}
		})
	}
}
