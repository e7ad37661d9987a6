package blob

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// slowDisk makes every group sync of the store take d (fake time, in a
// synctest bubble), as on a USB stick or a network home, until the test
// ends.
func slowDisk(t *testing.T, d time.Duration) {
	syncData = func(f *os.File) error {
		time.Sleep(d)
		return syncFile(f)
	}
	t.Cleanup(func() { syncData = syncFile })
}

// TestFetchSlowDisk: a disk that takes three times Stall to sync each
// group of chunks holds up every source (each waits to write while a
// group syncs), and the download still completes from the sources it
// started with, none of them reported stalled: the watchdog counts only
// the time this end waits for a source, not the time it stores.
func TestFetchSlowDisk(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const stall = 5 * time.Second
		ss, sf, k, plain := sender(t, 3*CommitEvery*PlainChunk+7, 11)
		_, f := receiver(t, sf)
		defer f.Close()
		slowDisk(t, 3*stall)
		var bad badReports
		srcs := []Source{&pipeSource{name: "a", store: ss}, &pipeSource{name: "b", store: ss}}
		start := time.Now()
		stats, err := Fetch(t.Context(), f, srcs, Options{Stall: stall, Bad: bad.report})
		if err != nil {
			t.Fatalf("fetch on a slow disk: %v (bad reports %v)", err, bad.got)
		}
		if len(bad.got) != 0 {
			t.Fatalf("sources reported bad for a slow disk: %v", bad.got)
		}
		// Three group syncs and the last one, each 3×Stall: the disk, not
		// the sources, set the pace.
		if d := time.Since(start); d < 4*3*stall {
			t.Fatalf("fetch took %v, less than its four syncs", d)
		}
		if stats.Chunks["a"]+stats.Chunks["b"] != f.Chunks() {
			t.Fatalf("stats %v for %d chunks", stats.Chunks, f.Chunks())
		}
		if !bytes.Equal(decrypted(t, f, k), plain) {
			t.Fatal("fetched file differs")
		}
	})
}

// TestFetchSlowDiskStaller: on the same slow disk, a source that sends
// nothing after its have-bitmap is still reported stalled
// Stall after this end asked it for chunks, and the healthy source, held
// up by the disk as long, is not.
func TestFetchSlowDiskStaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const stall = 5 * time.Second
		ss, sf, k, plain := sender(t, 2*CommitEvery*PlainChunk, 12)
		_, f := receiver(t, sf)
		defer f.Close()
		slowDisk(t, 3*stall)
		stop := make(chan struct{})
		defer close(stop)
		var (
			bad   badReports
			after atomic.Int64 // when the staller was reported, since start
		)
		start := time.Now()
		report := func(src string, err error) {
			if src == "staller" {
				after.Store(int64(time.Since(start)))
			}
			bad.report(src, err)
		}
		srcs := []Source{
			&pipeSource{name: "healthy", store: ss},
			// the have-bitmap (a length and a frame), then nothing
			&pipeSource{name: "staller", store: ss, wrap: func(rw io.ReadWriteCloser) io.ReadWriteCloser {
				return &staller{ReadWriteCloser: rw, after: 2, stop: stop}
			}},
		}
		stats, err := Fetch(t.Context(), f, srcs, Options{Stall: stall, Bad: report})
		if err != nil {
			t.Fatalf("fetch: %v (bad reports %v)", err, bad.got)
		}
		if !errors.Is(bad.got["staller"], ErrStalled) || len(bad.got) != 1 {
			t.Fatalf("bad reports %v, want the staller stalled and no other", bad.got)
		}
		if d := time.Duration(after.Load()); d < stall || d > stall+time.Second {
			t.Fatalf("the staller was reported after %v, want %v", d, stall)
		}
		if stats.Chunks["healthy"] != f.Chunks() {
			t.Fatalf("stats %v", stats.Chunks)
		}
		if !bytes.Equal(decrypted(t, f, k), plain) {
			t.Fatal("fetched file differs")
		}
	})
}

// TestFetchDiskFails: a disk that fails mid-download (full, or a path it
// cannot write) ends the fetch with ErrDisk, naming the disk's error,
// blames no source, and leaves the chunks recorded before it valid: once
// the disk is fixed, a fetch after a restart resumes from them.
func TestFetchDiskFails(t *testing.T) {
	for _, tc := range []struct {
		name string
		// fail breaks the disk of store s for the file at
		// root, and fix repairs it.
		fail func(t *testing.T, s *Store, root Root) (fix func())
		// cause is what the error must name.
		cause error
		held  int // chunks recorded when the disk fails
	}{{
		name: "full at a group sync",
		fail: func(t *testing.T, _ *Store, _ Root) func() {
			var syncs atomic.Int32
			syncData = func(f *os.File) error {
				if syncs.Add(1) > 1 {
					return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: syscall.ENOSPC}
				}
				return syncFile(f)
			}
			t.Cleanup(func() { syncData = syncFile })
			return func() { syncData = syncFile }
		},
		cause: syscall.ENOSPC,
		held:  CommitEvery,
	}, {
		// The tree is written when it comes, before any chunk; a path
		// in the way (a directory where its temporary file goes) fails
		// it even for root, which a permission would not.
		name: "tree not writable",
		fail: func(t *testing.T, s *Store, root Root) func() {
			tmp := s.path(root, "tree.tmp")
			if err := os.MkdirAll(tmp, 0o700); err != nil {
				t.Fatal(err)
			}
			return func() {
				if err := os.Remove(tmp); err != nil {
					t.Fatal(err)
				}
			}
		},
		cause: syscall.EISDIR,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ss, sf, k, plain := sender(t, 3*CommitEvery*PlainChunk, 13)
				dir := t.TempDir()
				rs, _ := NewStore(dir)
				f, err := rs.Open(sf.Root(), sf.Size())
				if err != nil {
					t.Fatal(err)
				}
				fix := tc.fail(t, rs, sf.Root())
				var bad badReports
				srcs := []Source{&pipeSource{name: "a", store: ss}, &pipeSource{name: "b", store: ss}}
				_, err = Fetch(t.Context(), f, srcs, Options{Bad: bad.report})
				if !errors.Is(err, ErrDisk) || !errors.Is(err, tc.cause) {
					t.Fatalf("fetch on a failing disk: %v; want ErrDisk naming %v", err, tc.cause)
				}
				if !strings.Contains(err.Error(), "disk") {
					t.Errorf("the error does not say the disk failed: %v", err)
				}
				if len(bad.got) != 0 {
					t.Fatalf("sources reported bad for a failing disk: %v", bad.got)
				}
				f.Close()
				fix()

				// A restart: the recorded chunks are held and good, and
				// the fetch goes on from them.
				rs2, _ := NewStore(dir)
				f2, err := rs2.Open(sf.Root(), sf.Size())
				if err != nil {
					t.Fatal(err)
				}
				defer f2.Close()
				held, _ := f2.Progress()
				if held != tc.held {
					t.Fatalf("%d chunks held after the failure, want %d", held, tc.held)
				}
				stats, err := Fetch(t.Context(), f2, srcs, Options{Bad: bad.report})
				if err != nil {
					t.Fatal(err)
				}
				if got := stats.Chunks["a"] + stats.Chunks["b"]; got != f2.Chunks()-held {
					t.Fatalf("resumed with %d chunks, want the %d missing", got, f2.Chunks()-held)
				}
				if !bytes.Equal(decrypted(t, f2, k), plain) {
					t.Fatal("resumed file differs")
				}
			})
		})
	}
}

// TestFetchSlowDiskBuffered: over a stream that buffers like a libp2p
// stream (its flow-control window takes a whole answer), the source has
// answered every request while this end still syncs a group to a slow
// disk, and closes the stream once it has waited Idle for the next one.
// The fetch opens another stream and goes on, where it used to end with
// ErrNoSources.
func TestFetchSlowDiskBuffered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ss, sf, k, plain := sender(t, 3*CommitEvery*PlainChunk, 15)
		_, f := receiver(t, sf)
		defer f.Close()
		slowDisk(t, 3*Stall) // longer than the source's Idle
		var bad badReports
		src := &pipeSource{name: "a", store: ss, buffer: 16 << 20}
		stats, err := Fetch(t.Context(), f, []Source{src}, Options{Bad: bad.report})
		if err != nil {
			t.Fatalf("fetch on a slow disk: %v (bad reports %v, %d streams)", err, bad.got, src.opens)
		}
		if len(bad.got) != 0 {
			t.Fatalf("the source reported bad for a slow disk: %v", bad.got)
		}
		if stats.Chunks["a"] != f.Chunks() || src.opens < 2 {
			t.Fatalf("stats %v over %d streams; want every chunk, over new streams when the source closed idle ones", stats.Chunks, src.opens)
		}
		if !bytes.Equal(decrypted(t, f, k), plain) {
			t.Fatal("fetched file differs")
		}
	})
}

// garbler sends its writes changed by edit, which counts them.
type garbler struct {
	io.ReadWriteCloser
	edit func(p []byte) []byte
}

func (g *garbler) Write(p []byte) (int, error) {
	if _, err := g.ReadWriteCloser.Write(g.edit(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// TestFetchMalformedFrames: a source that sends a frame that does not
// decode or is longer than the protocol allows, a chunk after good ones
// or its first answer, is reported (ErrChunk) and dropped, not taken for
// a stream that merely ended (and opened again, had chunks come).
func TestFetchMalformedFrames(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func() func(p []byte) []byte
	}{{
		name: "chunk",
		edit: func() func([]byte) []byte {
			chunks := 0
			return func(p []byte) []byte {
				if len(p) > 4096 { // a chunk frame, written whole
					if chunks++; chunks == 2 {
						p = bytes.Clone(p)
						p[3] = 0xff // after the three-byte length: not a CBOR map
					}
				}
				return p
			}
		},
	}, {
		name: "answer",
		edit: func() func([]byte) []byte {
			writes := 0
			return func(p []byte) []byte {
				if writes++; writes == 2 { // the have-bitmap's frame, after its length
					p = bytes.Repeat([]byte{0xff}, len(p))
				}
				return p
			}
		},
	}, {
		name: "too long",
		edit: func() func([]byte) []byte {
			writes := 0
			return func(p []byte) []byte {
				if writes++; writes == 1 { // the have-bitmap's length
					return binary.AppendUvarint(nil, MaxHaveFrame+1)
				}
				return p
			}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ss, sf, k, plain := sender(t, 8*PlainChunk, 16)
				_, f := receiver(t, sf)
				defer f.Close()
				var bad badReports
				garbled := &pipeSource{name: "garbler", store: ss, wrap: func(rw io.ReadWriteCloser) io.ReadWriteCloser {
					return &garbler{ReadWriteCloser: rw, edit: tc.edit()}
				}}
				srcs := []Source{garbled, &pipeSource{name: "honest", store: ss}}
				stats, err := Fetch(t.Context(), f, srcs, Options{Window: 2, Bad: bad.report})
				if err != nil {
					t.Fatal(err)
				}
				if !errors.Is(bad.got["garbler"], ErrChunk) || len(bad.got) != 1 || garbled.opens != 1 {
					t.Fatalf("bad reports %v, %d streams to the garbler; want it reported, on one stream", bad.got, garbled.opens)
				}
				if stats.Chunks["garbler"]+stats.Chunks["honest"] != 8 {
					t.Fatalf("stats %v", stats.Chunks)
				}
				if !bytes.Equal(decrypted(t, f, k), plain) {
					t.Fatal("fetched file differs")
				}
			})
		})
	}
}
