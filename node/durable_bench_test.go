package node

import (
	"context"
	"log/slog"
	"testing"

	"github.com/umbrella-p2p/umbrella/sync/store"
)

// noSync is a store whose Sync does nothing: the node as it was before
// authored ops were synced, for comparison.
type noSync struct{ store.OpStore }

func (noSync) Sync(context.Context) error { return nil }

// BenchmarkPost measures a member's post as the node sends it — seal,
// sign, store in the encrypted Badger database under home, publish — when
// it returns only after the database synced it to disk (as shipped) and
// when it does not.
func BenchmarkPost(b *testing.B) {
	for _, bc := range []struct {
		name    string
		durable bool
	}{{"durable", true}, {"not-synced", false}} {
		b.Run(bc.name, func(b *testing.B) {
			home := b.TempDir()
			if err := Init(home, "Olivia"); err != nil {
				b.Fatal(err)
			}
			db, err := openDatabase(home, nil, slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			var st store.OpStore = db
			if !bc.durable {
				st = noSync{db}
			}
			cfg := DefaultConfig(home)
			cfg.MDNS = false
			cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
			cfg.Store = st
			n, err := Open(b.Context(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer n.Close()
			comm, err := n.CreateCommunity(b.Context(), "Glow Team")
			if err != nil {
				b.Fatal(err)
			}
			gid := general(b, n, comm.ID)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := n.Post(b.Context(), comm.ID, gid, "Our new starter kit ships on Monday!"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
