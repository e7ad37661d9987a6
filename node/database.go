package node

import (
	"context"
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
	ErrDatabaseKeyMissing = store.ErrKeyMissing
	// ErrDatabaseCorrupt: the database's files are damaged.
	ErrDatabaseCorrupt = store.ErrCorrupt
)

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

// openDatabase opens the Badger store under home, encrypted at rest with
// the key in home/db.key (store.OpenAtRest).
func openDatabase(home string, passphrase []byte, log *slog.Logger) (*store.DS, error) {
	return store.OpenAtRest(filepath.Join(home, "db"), store.KeyFile{Path: filepath.Join(home, keyfile.DBKeyFile),
		Exists: keyfile.HasDatabaseKey(home), Read: func() ([]byte, error) { return keyfile.DatabaseKey(home, passphrase) }}, log)
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
