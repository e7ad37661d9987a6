package store

import (
	"bytes"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenAtRestUnencrypted: a database from before encryption at rest
// (no key file, an unencrypted database) still opens, with a warning that
// says so and without making a key; a new database gets its key and never
// that warning.
func TestOpenAtRestUnencrypted(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	dir := filepath.Join(t.TempDir(), "db")
	old, err := OpenBadger(dir, BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := old.PutMeta(t.Context(), "x", []byte("y")); err != nil {
		t.Fatal(err)
	}
	old.Close()
	made := false
	kf := KeyFile{Path: "db.key", Read: func() ([]byte, error) { made = true; return bytes.Repeat([]byte{7}, 32), nil }}
	st, err := OpenAtRest(dir, kf, log)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if made || !strings.Contains(logs.String(), "created before encryption at rest") {
		t.Fatalf("legacy database: key made %v, log %q", made, logs.String())
	}

	logs.Reset()
	fresh := filepath.Join(t.TempDir(), "db")
	if st, err = OpenAtRest(fresh, kf, log); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if !made || logs.Len() != 0 {
		t.Fatalf("new database: key made %v, log %q", made, logs.String())
	}
	if _, err := OpenBadger(fresh, BadgerOptions{}); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("the new database opens without its key: %v", err)
	}
}

// TestOpenAtRestErrors: a key that does not open the database, or a key
// file gone from beside an encrypted one, fails with the error callers
// branch on, naming the key file and saying nothing was changed.
func TestOpenAtRestErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	key := func(b byte) func() ([]byte, error) {
		return func() ([]byte, error) { return bytes.Repeat([]byte{b}, 32), nil }
	}
	st, err := OpenAtRest(dir, KeyFile{Path: "/home/db.key", Read: key(7)}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, tc := range []struct {
		kf   KeyFile
		want error
		msg  string
	}{
		{KeyFile{Path: "/home/db.key", Exists: true, Read: key(8)}, ErrWrongKey, "/home/db.key is not the key the database"},
		{KeyFile{Path: "/home/db.key", Read: key(7)}, ErrKeyMissing, "cannot be read without /home/db.key"},
	} {
		st, err := OpenAtRest(dir, tc.kf, slog.New(slog.DiscardHandler))
		if err == nil {
			st.Close()
		}
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), "No data was deleted or changed") {
			t.Fatalf("OpenAtRest: %v; want %v saying %q", err, tc.want, tc.msg)
		}
	}
}
