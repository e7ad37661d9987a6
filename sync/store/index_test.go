package store

import (
	"errors"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestLocateAndIndex: Locate names a stored op's community, log and height
// (a pruned one too), and Index walks a community's ops by log, height and
// id with their stored sizes, 0 for a pruned op, on both stores.
func TestLocateAndIndex(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) *DS{
		"memory": func(*testing.T) *DS { return NewMemory() },
		"badger": func(t *testing.T) *DS {
			s, err := OpenBadger(t.TempDir(), BadgerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			s := open(t)
			o := newOps(t)
			g := crdt.ID{7}
			ctl := o.control(o.genesis)
			a := o.content(g)
			b := o.content(g, a)
			other := newOpsIn(t, "another community")
			if err := s.PutBatch(ctx, opened(o.genesis, ctl, a, b, other.genesis)); err != nil {
				t.Fatal(err)
			}
			cid := o.genesis.ID()
			if err := s.Stamp(ctx, cid, time.Unix(1, 0), []crdt.ID{a.ID()}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.PruneBefore(ctx, cid, time.Unix(2, 0), 10); err != nil {
				t.Fatal(err)
			}
			for _, op := range []*crdt.Op{o.genesis, ctl, a, b} {
				p, err := s.Locate(ctx, op.ID())
				if err != nil || p.Community != cid || p.Log != op.Log || p.Height != op.Height {
					t.Fatalf("locate %s: %+v, %v", op.ID().Short(), p, err)
				}
			}
			if _, err := s.Locate(ctx, crdt.ID{1}); !errors.Is(err, ErrNotFound) {
				t.Fatalf("locate of an op not stored: %v", err)
			}
			type entry struct {
				id   crdt.ID
				log  crdt.ID
				h    uint64
				size int
			}
			var got []entry
			err := s.Index(ctx, cid, func(id crdt.ID, p Place) error {
				got = append(got, entry{id, p.Log, p.Height, p.Size})
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := []entry{
				{o.genesis.ID(), crdt.ZeroID, 1, len(o.genesis.Bytes())},
				{ctl.ID(), crdt.ZeroID, 2, len(ctl.Bytes())},
				{a.ID(), g, 1, 0},
				{b.ID(), g, 2, len(b.Bytes())},
			}
			if len(got) != len(want) {
				t.Fatalf("index: %+v, want %+v", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("index entry %d: %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
}
