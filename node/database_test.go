package node

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/identity/keyfile"
)

// snapshot reads every file under dir, by path relative to dir.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[rel] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOpenDatabaseErrors: a node whose database does not open — another
// key, no key file for an encrypted database, damaged files — refuses to
// start with an error that says which (and never panics), and changes no
// file of the database; put right, the same home opens with its community.
func TestOpenDatabaseErrors(t *testing.T) {
	dbFile := func(t *testing.T, home, ext string) string {
		t.Helper()
		m, _ := filepath.Glob(filepath.Join(home, "db", "*"+ext))
		if len(m) == 0 {
			t.Fatalf("no %s file in %s/db", ext, home)
		}
		return m[0]
	}
	cases := []struct {
		name    string
		break_  func(t *testing.T, home string)
		want    error
		wantMsg string
	}{
		{"another key", func(t *testing.T, home string) {
			os.Remove(filepath.Join(home, keyfile.DBKeyFile))
			if _, err := keyfile.DatabaseKey(home, nil); err != nil { // a new random key
				t.Fatal(err)
			}
		}, ErrDatabaseKey, "is not the key the database"},
		{"key file missing", func(t *testing.T, home string) {
			os.Remove(filepath.Join(home, keyfile.DBKeyFile))
		}, ErrDatabaseKeyMissing, "is encrypted and cannot be read without"},
		{"manifest overwritten", func(t *testing.T, home string) {
			os.WriteFile(filepath.Join(home, "db", "MANIFEST"), []byte("garbage garbage garbage"), 0o600)
		}, ErrDatabaseCorrupt, "manifest has bad magic"},
		{"manifest missing", func(t *testing.T, home string) {
			os.Remove(filepath.Join(home, "db", "MANIFEST"))
		}, ErrDatabaseCorrupt, "MANIFEST file is missing"},
		{"table damaged", func(t *testing.T, home string) {
			path := dbFile(t, home, ".sst")
			data, _ := os.ReadFile(path)
			copy(data[len(data)/4:], bytes.Repeat([]byte{0xa5}, len(data)/2))
			os.WriteFile(path, data, 0o600)
		}, ErrDatabaseCorrupt, ".sst"},
	}
	// A table of many blocks, damaged in one Badger does not read to open
	// it: found at once, not later as missing data.
	cases = append(cases, struct {
		name    string
		break_  func(t *testing.T, home string)
		want    error
		wantMsg string
	}{"block of a big table overwritten", func(t *testing.T, home string) {
		path := dbFile(t, home, ".sst")
		data, _ := os.ReadFile(path)
		copy(data[200:], bytes.Repeat([]byte{0x5a}, 4000))
		os.WriteFile(path, data, 0o600)
	}, ErrDatabaseCorrupt, "checksum"})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			if err := Init(home, "Olivia"); err != nil {
				t.Fatal(err)
			}
			n, err := openLoopback(t, home, nil)
			if err != nil {
				t.Fatal(err)
			}
			comm, err := n.CreateCommunity(t.Context(), "Glow Team")
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(tc.name, "block of a big table") {
				gid := general(t, n, comm.ID)
				for i := range 300 {
					if _, err := n.Post(t.Context(), comm.ID, gid, fmt.Sprintf("%d %s", i, strings.Repeat("training notes ", 200))); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := n.Close(); err != nil {
				t.Fatal(err)
			}
			good := snapshot(t, home)
			tc.break_(t, home)
			broken := snapshot(t, filepath.Join(home, "db"))

			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("Open panicked: %v", p)
					}
				}()
				n, err = openLoopback(t, home, nil)
			}()
			if err == nil {
				cs := n.Communities()
				var msgs int
				if len(cs) > 0 {
					gs, _ := n.Groups(cs[0].ID)
					for _, g := range gs {
						m, _ := n.Messages(cs[0].ID, g.ID)
						msgs += len(m)
					}
				}
				n.Close()
				t.Fatalf("the node opened, with %d communities, %d messages", len(cs), msgs)
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.wantMsg) || !strings.Contains(err.Error(), "No data was deleted or changed") {
				t.Fatalf("Open: %v; want %v mentioning %q", err, tc.want, tc.wantMsg)
			}
			// Badger may add an empty memtable log before it finds the
			// damage; no file that was there may change or go.
			after := snapshot(t, filepath.Join(home, "db"))
			for rel, data := range broken {
				if !bytes.Equal(after[rel], data) {
					t.Fatalf("the failed start changed or removed db/%s", rel)
				}
			}
			// Put back as it was, the home opens with its community.
			os.RemoveAll(filepath.Join(home, "db"))
			for rel, data := range good {
				os.MkdirAll(filepath.Dir(filepath.Join(home, rel)), 0o700)
				if err := os.WriteFile(filepath.Join(home, rel), data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			n, err = openLoopback(t, home, nil)
			if err != nil {
				t.Fatalf("restored home: %v", err)
			}
			defer n.Close()
			if cs := n.Communities(); len(cs) != 1 || cs[0].ID != comm.ID {
				t.Fatalf("restored home holds %+v", cs)
			}
		})
	}
}
