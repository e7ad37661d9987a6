package store

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// ErrKeyMissing: the key file of a database encrypted at rest is gone, so
// the database cannot be read (OpenAtRest).
var ErrKeyMissing = errors.New("the database key file is missing")

// KeyFile is the file that holds the key a database is encrypted with at
// rest (identity/keyfile keeps it).
type KeyFile struct {
	// Path is the file's path, named in errors.
	Path string
	// Exists reports whether the file exists.
	Exists bool
	// Read returns the key, making the file on first use.
	Read func() ([]byte, error)
}

// OpenAtRest opens the Badger store in dir, encrypted with the key in kf
// (made on first use). A database from before encryption at rest, which
// has no key file, opens unencrypted, with a warning in log. Errors say
// what is wrong and what to do, and nothing is changed: kf.Read's own
// (a wrong passphrase), a key that does not open the database
// (ErrWrongKey), a missing key file (ErrKeyMissing) or damaged files
// (ErrCorrupt).
func OpenAtRest(dir string, kf KeyFile, log *slog.Logger) (*DS, error) {
	legacy := !kf.Exists && !isEmptyDir(dir)
	var key []byte
	if !legacy {
		var err error
		if key, err = kf.Read(); err != nil {
			return nil, err
		}
	}
	st, err := OpenBadger(dir, BadgerOptions{EncryptionKey: key})
	name := filepath.Base(kf.Path)
	switch {
	case errors.Is(err, ErrWrongKey) && legacy:
		return nil, fmt.Errorf("%w: the database in %s is encrypted and cannot be read without %s; put back the %s it was made with (from a backup). No data was deleted or changed",
			ErrKeyMissing, dir, kf.Path, name)
	case errors.Is(err, ErrWrongKey):
		return nil, fmt.Errorf("%w: %s is not the key the database in %s was made with (the key file was replaced, or the database's KEYREGISTRY file is damaged); put back the %s it was made with. No data was deleted or changed",
			ErrWrongKey, kf.Path, dir, name)
	case errors.Is(err, ErrCorrupt):
		return nil, fmt.Errorf("%w; restore %s from a backup, or move it aside to start with an empty database. No data was deleted or changed", err, dir)
	case err != nil:
		return nil, fmt.Errorf("open database: %w", err)
	}
	if legacy {
		log.Warn("this database was created before encryption at rest and stays unencrypted", "dir", dir)
	}
	return st, nil
}

// isEmptyDir reports whether dir is missing or holds nothing.
func isEmptyDir(dir string) bool {
	entries, err := os.ReadDir(dir)
	return errors.Is(err, fs.ErrNotExist) || err == nil && len(entries) == 0
}
