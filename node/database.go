package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/umbrella-p2p/umbrella/identity/keyfile"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// Why the database under Home does not open. Open refuses to start and
// changes nothing; the errors say what to put back.
var (
	// ErrDatabaseKey: Home/db.key is not the key the database was made
	// with (the file was replaced, or the database's key registry is
	// damaged).
	ErrDatabaseKey = store.ErrWrongKey
	// ErrDatabaseKeyMissing: Home/db.key is gone but the database is
	// encrypted, so it cannot be read.
	ErrDatabaseKeyMissing = errors.New("the database key file is missing")
	// ErrDatabaseCorrupt: the database's files are damaged.
	ErrDatabaseCorrupt = store.ErrCorrupt
)

// openDatabase opens the Badger store under home, encrypted with the key in
// home/db.key (made on first use). A database from before encryption at
// rest, which has no key file, opens unencrypted. Errors say what is wrong
// and what to do: a wrong passphrase (keyfile.ErrWrongPassphrase), a key
// that does not open the database (ErrDatabaseKey), a missing key file
// (ErrDatabaseKeyMissing) or damaged files (ErrDatabaseCorrupt).
// releaseTablePages hands back the pages of the database's tables that
// loading the communities read (store.DS.ReleaseTablePages): the node
// answers from memory from then on.
func releaseTablePages(st store.OpStore, log *slog.Logger) {
	if d, ok := st.(interface{ ReleaseTablePages() error }); ok {
		if err := d.ReleaseTablePages(); err != nil {
			log.Debug("release table pages", "err", err)
		}
	}
}

func openDatabase(home string, passphrase []byte, log *slog.Logger) (*store.DS, error) {
	dbDir := filepath.Join(home, "db")
	keyPath := filepath.Join(home, keyfile.DBKeyFile)
	legacy := !keyfile.HasDatabaseKey(home) && !isEmptyDir(dbDir)
	var key []byte
	if !legacy {
		var err error
		if key, err = keyfile.DatabaseKey(home, passphrase); err != nil {
			return nil, err
		}
	}
	st, err := store.OpenBadger(dbDir, store.BadgerOptions{EncryptionKey: key})
	switch {
	case errors.Is(err, store.ErrWrongKey) && legacy:
		return nil, fmt.Errorf("%w: the database in %s is encrypted and cannot be read without %s; put back the %s it was made with (from a backup). No data was deleted or changed",
			ErrDatabaseKeyMissing, dbDir, keyPath, keyfile.DBKeyFile)
	case errors.Is(err, store.ErrWrongKey):
		return nil, fmt.Errorf("%w: %s is not the key the database in %s was made with (the key file was replaced, or the database's KEYREGISTRY file is damaged); put back the %s it was made with. No data was deleted or changed",
			ErrDatabaseKey, keyPath, dbDir, keyfile.DBKeyFile)
	case errors.Is(err, store.ErrCorrupt):
		return nil, fmt.Errorf("%w; restore %s from a backup, or move it aside to start with an empty database. No data was deleted or changed", err, dbDir)
	case err != nil:
		return nil, fmt.Errorf("open database: %w", err)
	}
	if legacy {
		log.Warn("this database was created before encryption at rest and stays unencrypted", "component", "node", "dir", dbDir)
	}
	return st, nil
}

// durable makes every write so far reach the disk: ops this member
// authors are acknowledged only after it (see store.OpStore.Sync). Ops
// received from peers are not synced one by one: a power cut may lose the
// last of them, and the next pull fetches them again.
func (n *Node) durable(ctx context.Context) error {
	if err := n.store.Sync(ctx); err != nil {
		return fmt.Errorf("not saved to disk: %w", err)
	}
	return nil
}
