package blob

import (
	"bytes"
	"errors"
	"os"
	"sync"
	"testing"
	"testing/synctest"
)

// source is a complete file in its own store, as a sender holds it.
func source(t *testing.T, plain []byte) (*File, Key) {
	t.Helper()
	s, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	k := mustKey(t)
	f, err := s.Add(bytes.NewReader(plain), int64(len(plain)), k)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, k
}

func slice(t *testing.T, f *File, i int) []byte {
	t.Helper()
	s, err := f.SliceOf(i)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func decrypted(t *testing.T, f *File, k Key) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := f.Decrypt(&out, k); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestStoreAddAndDownload(t *testing.T) {
	plain := randomBytes(5*PlainChunk+3, 7)
	src, k := source(t, plain)
	if !src.Complete() || !bytes.Equal(decrypted(t, src, k), plain) {
		t.Fatal("added file is not complete or does not decrypt")
	}
	s, _ := NewStore(t.TempDir())
	f, err := s.Open(src.Root(), src.Size())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := s.Reserve(f); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{5, 0, 3, 1, 4} {
		if err := f.PutSlice(i, slice(t, src, i)); err != nil {
			t.Fatal(err)
		}
	}
	if f.Complete() {
		t.Fatal("complete with chunk 2 missing")
	}
	if err := f.Decrypt(&bytes.Buffer{}, k); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("decrypt of a partial file: %v", err)
	}
	if _, err := f.SliceOf(0); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("served a chunk with no tree: %v", err)
	}
	// A chunk at the wrong index or from another file is refused.
	if err := f.PutSlice(2, slice(t, src, 1)); !errors.Is(err, ErrChunk) {
		t.Fatalf("moved chunk: %v", err)
	}
	other, _ := source(t, randomBytes(5*PlainChunk+3, 8))
	if err := f.PutSlice(2, slice(t, other, 2)); !errors.Is(err, ErrChunk) {
		t.Fatalf("foreign chunk: %v", err)
	}
	if f.Has(2) {
		t.Fatal("a refused chunk counts as held")
	}
	if err := f.PutSlice(2, slice(t, src, 2)); err != nil {
		t.Fatal(err)
	}
	if !f.Complete() || !bytes.Equal(decrypted(t, f, k), plain) {
		t.Fatal("downloaded file is not complete or does not decrypt")
	}
	// Complete, it builds its own tree and serves.
	if _, err := f.SliceOf(2); err != nil {
		t.Fatal(err)
	}
}

// TestStoreCrash: a node killed mid-download keeps the chunks whose
// records are whole, whatever the state of the tails of its files, and
// never claims a chunk it lacks.
func TestStoreCrash(t *testing.T) {
	plain := randomBytes(6*PlainChunk, 9)
	src, k := source(t, plain)
	dir := t.TempDir()
	tails := map[string]func(have, data string){
		"clean": func(string, string) {},
		"torn record": func(have, _ string) {
			appendFile(t, have, record(src.Root(), 4)[:5])
		},
		"garbage record": func(have, _ string) {
			appendFile(t, have, []byte{0, 0, 0, 4, 1, 2, 3, 4, 9, 9, 9})
		},
		"record of another file": func(have, _ string) {
			appendFile(t, have, record(Root{1}, 4))
		},
		"index beyond end": func(have, _ string) {
			appendFile(t, have, record(src.Root(), 6))
		},
		"half-written chunk, no record": func(_, data string) {
			f, _ := os.OpenFile(data, os.O_WRONLY, 0)
			f.WriteAt(bytes.Repeat([]byte{0xee}, 1000), 4*ChunkSize)
			f.Close()
		},
	}
	for name, tail := range tails {
		t.Run(name, func(t *testing.T) {
			s, _ := NewStore(dir + "/" + name)
			f, err := s.Open(src.Root(), src.Size())
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range []int{0, 2, 3} {
				if err := f.PutSlice(i, slice(t, src, i)); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.Flush(); err != nil {
				t.Fatal(err)
			}
			// Chunk 1 is written but not flushed: lost, never claimed.
			if err := f.PutSlice(1, slice(t, src, 1)); err != nil {
				t.Fatal(err)
			}
			// Killed: the files are left as they are, never closed.
			tail(s.path(src.Root(), "have"), s.path(src.Root(), "data"))

			s2, _ := NewStore(dir + "/" + name)
			f2, err := s2.Open(src.Root(), src.Size())
			if err != nil {
				t.Fatal(err)
			}
			defer f2.Close()
			if n, _ := f2.Progress(); n != 3 || !f2.Has(0) || f2.Has(1) || !f2.Has(2) || !f2.Has(3) || f2.Has(4) {
				t.Fatalf("after the crash holds %d chunks, bitmap %08b; want 0, 2, 3", n, f2.Have())
			}
			// It completes from where it stopped, and appends after the
			// cut-off tail.
			for _, i := range []int{1, 4, 5} {
				if err := f2.PutSlice(i, slice(t, src, i)); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(decrypted(t, f2, k), plain) {
				t.Fatal("resumed file does not decrypt")
			}
			f2.Close()
			s3, _ := NewStore(dir + "/" + name)
			f3, _ := s3.Open(src.Root(), src.Size())
			defer f3.Close()
			if !f3.Complete() {
				t.Fatal("complete file not complete after a restart")
			}
		})
	}
}

func appendFile(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(b)
	f.Close()
}

func TestStoreNoSpace(t *testing.T) {
	src, _ := source(t, randomBytes(3*PlainChunk, 10))
	s, _ := NewStore(t.TempDir())
	s.free = func(string) (uint64, error) { return 2 * ChunkSize, nil }
	f, err := s.Open(src.Root(), src.Size())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := s.Reserve(f); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("reserve on a full disk: %v", err)
	}
	f.PutSlice(0, slice(t, src, 0))
	f.PutSlice(1, slice(t, src, 1))
	if err := s.Reserve(f); err != nil { // one chunk and the tree left
		t.Fatalf("reserve of the rest: %v", err)
	}
	if _, err := s.Add(bytes.NewReader(make([]byte, 3*PlainChunk)), 3*PlainChunk, mustKey(t)); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("add on a full disk: %v", err)
	}
}

func TestStoreDelete(t *testing.T) {
	s, _ := NewStore(t.TempDir())
	f, err := s.Add(bytes.NewReader([]byte("hello")), 5, mustKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(f.Root()); !errors.Is(err, ErrBusy) {
		t.Fatalf("delete of an open file: %v", err)
	}
	f.Close()
	if err := s.Delete(f.Root()); err != nil {
		t.Fatal(err)
	}
	f2, err := s.Open(f.Root(), 5)
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	if n, _ := f2.Progress(); n != 0 {
		t.Fatalf("deleted file still holds %d chunks", n)
	}
}

// TestStoreBadTree: a tree from a lying source is refused, or dropped
// once a verified chunk shows it wrong, so this node never serves slices
// that do not verify.
func TestStoreBadTree(t *testing.T) {
	src, _ := source(t, randomBytes(4*PlainChunk, 11))
	s, _ := NewStore(t.TempDir())
	f, _ := s.Open(src.Root(), src.Size())
	defer f.Close()
	bad := bytes.Clone(src.Tree())
	bad[len(bad)-1] ^= 1 // a hash of the last groups
	if err := f.SetTree([]byte{1}); !errors.Is(err, ErrChunk) {
		t.Fatalf("short tree: %v", err)
	}
	if err := f.SetTree(bad); err != nil {
		t.Fatal(err) // nothing held yet contradicts it
	}
	if err := f.PutSlice(3, slice(t, src, 3)); err != nil {
		t.Fatal(err)
	}
	if f.Tree() != nil {
		t.Fatal("a tree that does not hold a verified chunk was kept")
	}
	if err := f.SetTree(bad); !errors.Is(err, ErrChunk) {
		t.Fatalf("bad tree accepted over a held chunk: %v", err)
	}
	if err := f.SetTree(src.Tree()); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifySlice(slice(t, f, 3), 3, f.cipherSize, f.Root()); err != nil {
		t.Fatal(err)
	}
}

// TestStoreShare: a shared file is stored under its root, complete, and
// decrypts with the key returned.
func TestStoreShare(t *testing.T) {
	s, _ := NewStore(t.TempDir())
	plain := randomBytes(PlainChunk+1, 12)
	root, key, err := s.Share(bytes.NewReader(plain), int64(len(plain)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Lookup(root)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !f.Complete() || !bytes.Equal(decrypted(t, f, key), plain) {
		t.Fatal("shared file is not stored whole")
	}
	if _, _, err := s.Share(bytes.NewReader(plain), int64(len(plain))+1); err == nil {
		t.Fatal("shared a file shorter than its size")
	}
}

// TestUnrecordedBounded: however many sources store chunks at once, at
// most CommitEvery chunks are written and not yet recorded at any moment
// (what a kill may lose): while one group syncs, the others wait to
// write, where they used to write and sync groups of their own.
func TestUnrecordedBounded(t *testing.T) {
	src, _ := source(t, randomBytes(4*CommitEvery*PlainChunk, 9))
	synctest.Test(t, func(t *testing.T) {
		s, err := NewStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		f, err := s.Open(src.Root(), src.Size())
		if err != nil {
			t.Fatal(err)
		}
		hold := make(chan struct{})
		syncData = func(d *os.File) error { <-hold; return syncFile(d) }
		defer func() { syncData = syncFile }()
		var wg sync.WaitGroup
		for w := range 3 { // three sources, each its own chunks
			wg.Go(func() {
				for i := w; i < f.Chunks(); i += 3 {
					if err := f.PutSlice(i, slice(t, src, i)); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		synctest.Wait() // every writer waits, one of them on its sync
		held, _ := f.Progress()
		recs, err := os.ReadFile(s.path(f.Root(), "have"))
		if err != nil {
			t.Fatal(err)
		}
		if lost := held - len(recs)/8; lost > CommitEvery {
			t.Errorf("%d chunks held and not recorded, at most %d", lost, CommitEvery)
		}
		close(hold)
		wg.Wait()
		if !f.Complete() {
			t.Error("the file is not complete")
		}
		f.Close()
	})
}

// TestStoredCiphertextDamaged: a file completed without a tree builds
// its own from what it stored; when the disk gave back other bytes than
// were written (each chunk verified before), PutSlice fails as the
// disk's error, not ErrChunk, which would blame the source of the last
// chunk (Fetch scores a source down for ErrChunk).
func TestStoredCiphertextDamaged(t *testing.T) {
	src, _ := source(t, randomBytes(4*PlainChunk, 14))
	s, _ := NewStore(t.TempDir())
	f, err := s.Open(src.Root(), src.Size())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	last := f.Chunks() - 1
	for i := range last {
		if err := f.PutSlice(i, slice(t, src, i)); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.OpenFile(s.path(f.Root(), "data"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := data.WriteAt([]byte{0xff, 0x00, 0xff}, 100); err != nil {
		t.Fatal(err)
	}
	data.Close()
	err = f.PutSlice(last, slice(t, src, last))
	if err == nil || errors.Is(err, ErrChunk) {
		t.Fatalf("completing a file the disk damaged: %v; want a disk error, not ErrChunk", err)
	}
}
