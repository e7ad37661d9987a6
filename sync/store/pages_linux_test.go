package store

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// tableRSS is how many kB of dir's table files the process has resident
// through their mappings (/proc/self/smaps).
func tableRSS(t *testing.T, dir string) int {
	t.Helper()
	raw, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	kb, in := 0, false
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := sc.Text()
		if _, _, path, ok := parseMapsLine(line); ok {
			in = strings.HasPrefix(path, dir+"/") && strings.HasSuffix(path, ".sst")
			continue
		}
		if rest, ok := strings.CutPrefix(line, "Rss:"); ok && in {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				t.Fatalf("smaps line %q: %v", line, err)
			}
			kb += n
		}
	}
	return kb
}

// TestReleaseTablePages: after a scan of every op (as a node's start does),
// the pages of Badger's tables that it read are resident; released, they
// are not, and the ops still read back whole.
func TestReleaseTablePages(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenBadger(dir, BadgerOptions{EncryptionKey: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	o := newOps(t)
	c, g := o.genesis.ID(), crdt.ID{9}
	put(t, s, o.genesis)
	var batch []crdt.Opened
	for range 4000 {
		batch = append(batch, crdt.Opened{Op: o.sealed(g), Plain: bytes.Repeat([]byte{'p'}, 200)})
	}
	if err := s.PutBatch(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // writes the memtable to a table
		t.Fatal(err)
	}
	if s, err = OpenBadger(dir, BadgerOptions{EncryptionKey: bytes.Repeat([]byte{7}, 32)}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	scan := func() int {
		n := 0
		if err := s.Ops(t.Context(), c, g, func(crdt.Opened) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := scan(); n != len(batch) {
		t.Fatalf("%d ops read, want %d", n, len(batch))
	}
	before := tableRSS(t, dir)
	if before < 256 {
		t.Fatalf("%d kB of tables resident after reading every op; the test wants more to release", before)
	}
	if err := s.ReleaseTablePages(); err != nil {
		t.Fatal(err)
	}
	after := tableRSS(t, dir)
	// The kernel reclaims what it can at once: in this test, of tables
	// written moments ago, from a fifth to a half depending on the load
	// (a node's start, 115 MB to 32 MB of mapped files, most of what is
	// left the program's own code). Without the release nothing goes.
	t.Logf("tables resident: %d kB after the scan, %d kB after releasing", before, after)
	if after > before-64 {
		t.Fatalf("%d kB of tables still resident after releasing, of %d", after, before)
	}
	if n := scan(); n != len(batch) {
		t.Fatalf("after releasing, %d ops read, want %d", n, len(batch))
	}
}
