package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	badger4 "github.com/ipfs/go-ds-badger4"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestOpenBadgerRefuses: a store opened with another key, with no key, or
// whose MANIFEST is gone fails with the error callers branch on, and keeps
// every file; Badger alone would open a store without its MANIFEST as empty
// and delete its tables.
func TestOpenBadgerRefuses(t *testing.T) {
	dir := t.TempDir()
	key := bytes.Repeat([]byte{7}, 32)
	s, err := OpenBadger(dir, BadgerOptions{EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	o := newOps(t)
	put(t, s, o.genesis, o.control(o.genesis))
	if err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, k := range [][]byte{nil, bytes.Repeat([]byte{8}, 32)} {
		if s, err := OpenBadger(dir, BadgerOptions{EncryptionKey: k}); !errors.Is(err, ErrWrongKey) {
			if err == nil {
				s.Close()
			}
			t.Fatalf("open with key %x: %v, want ErrWrongKey", k, err)
		}
	}
	tables, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
	if len(tables) == 0 {
		t.Fatal("no table written")
	}
	if err := os.Rename(filepath.Join(dir, "MANIFEST"), filepath.Join(t.TempDir(), "MANIFEST")); err != nil {
		t.Fatal(err)
	}
	if s, err := OpenBadger(dir, BadgerOptions{EncryptionKey: key}); !errors.Is(err, ErrCorrupt) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("open without the MANIFEST: %v, want ErrCorrupt", err)
	}
	for _, p := range tables {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("a refused open removed a table: %v", err)
		}
	}
}

// TestSync: Sync succeeds on both stores and fails once the store is closed.
func TestSync(t *testing.T) {
	if err := NewMemory().Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	s, err := OpenBadger(t.TempDir(), BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, newOps(t).genesis)
	if err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.Sync(t.Context()); err == nil {
		t.Fatal("Sync on a closed store succeeded")
	}
}

// BenchmarkPutSync measures a Badger put followed by Sync (as an op the
// member writes is stored) against a put alone (as received ops are).
func BenchmarkPutSync(b *testing.B) {
	for _, durable := range []bool{true, false} {
		name := "put+sync"
		if !durable {
			name = "put"
		}
		b.Run(name, func(b *testing.B) {
			s, err := OpenBadger(b.TempDir(), BadgerOptions{EncryptionKey: bytes.Repeat([]byte{7}, 32)})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			o := newOps(b)
			prev := o.genesis
			put(b, s, prev)
			b.ReportAllocs()
			for b.Loop() {
				op := o.control(prev)
				put(b, s, op)
				if durable {
					if err := s.Sync(b.Context()); err != nil {
						b.Fatal(err)
					}
				}
				prev = op
			}
		})
	}
}

// BenchmarkOpenBadger: opening an encrypted store of 100,000 ops of about
// 600 bytes (a busy community's year), which checks every table block's
// checksum (verify, measured alone too) so damage is found at start.
func BenchmarkOpenBadger(b *testing.B) {
	dir := b.TempDir()
	key := bytes.Repeat([]byte{7}, 32)
	s, err := OpenBadger(dir, BadgerOptions{EncryptionKey: key})
	if err != nil {
		b.Fatal(err)
	}
	o := newOps(b)
	put(b, s, o.genesis)
	prev := o.genesis
	batch := make([]crdt.Opened, 0, 1000)
	text := strings.Repeat("training notes ", 40)
	for i := range 100_000 {
		op := crdt.Op{Community: o.genesis.ID(), Log: o.genesis.ID(), Kind: crdt.KindMessage, Height: prev.Height + 1,
			Parents: []crdt.ID{prev.ID()}, Deps: []crdt.ID{o.genesis.ID()}, Body: []byte(fmt.Sprintf("%d %s", i, text))}
		signed, err := crdt.Sign(op, signer)
		if err != nil {
			b.Fatal(err)
		}
		prev = signed
		if batch = append(batch, crdt.Opened{Op: signed}); len(batch) == cap(batch) {
			if err := s.PutBatch(b.Context(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.Run("open", func(b *testing.B) {
		for b.Loop() {
			s, err := OpenBadger(dir, BadgerOptions{EncryptionKey: key})
			if err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
	})
	b.Run("verify", func(b *testing.B) {
		s, err := OpenBadger(dir, BadgerOptions{EncryptionKey: key})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		db := s.ds.(*badger4.Datastore).DB
		for b.Loop() {
			if err := verifyTables(db); err != nil {
				b.Fatal(err)
			}
		}
	})
	// What a node does next at start: read the log back, every op decoded.
	b.Run("read", func(b *testing.B) {
		s, err := OpenBadger(dir, BadgerOptions{EncryptionKey: key})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		for b.Loop() {
			n := 0
			if err := s.Ops(b.Context(), o.genesis.ID(), o.genesis.ID(), func(crdt.Opened) error { n++; return nil }); err != nil || n != 100_000 {
				b.Fatalf("read %d ops: %v", n, err)
			}
		}
	})
}

// TestOpenBadgerInUse: a database another process (here, another open)
// holds is refused as in use, not called damaged.
func TestOpenBadgerInUse(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenBadger(dir, BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s2, err := OpenBadger(dir, BadgerOptions{})
	if err == nil {
		s2.Close()
		t.Fatal("a database open twice")
	}
	if !errors.Is(err, ErrInUse) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("open of a database in use: %v, want ErrInUse", err)
	}
}
