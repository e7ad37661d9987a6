package blob

import (
	"bytes"
	"errors"
	"runtime"
	"testing"

	"github.com/umbrella-p2p/umbrella/sync/wire"
	"lukechampine.com/blake3/bao"
)

// baoSlice cuts the slice of chunk i with bao's own function.
func baoSlice(t testing.TB, ct, tree []byte, i int) []byte {
	off, n := chunkSpan(i, int64(len(ct)))
	var out bytes.Buffer
	if err := bao.ExtractSlice(&out, bytes.NewReader(ct[off:off+n]), bytes.NewReader(tree), Group, uint64(off), uint64(n)); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestSliceMatchesBao: the slices cut and verified in place are bao's,
// for trees of every shape (one group, a power of two, uneven, a short
// last group, a last group of whole and partial hashing runs), and a
// change of any part of one (length, a node on the path, the chunk)
// fails, as it does in bao.
func TestSliceMatchesBao(t *testing.T) {
	for _, cs := range []int{1, 16 << 10, ChunkSize - 1, ChunkSize, ChunkSize + 1, 2 * ChunkSize,
		3*ChunkSize + 5, 5 * ChunkSize, 8 * ChunkSize, 13*ChunkSize + 3*16<<10 + 7, 17*ChunkSize + 48<<10} {
		ct := randomBytes(cs, uint64(cs))
		tree, root, err := BuildTree(bytes.NewReader(ct), int64(cs))
		if err != nil {
			t.Fatal(err)
		}
		for i := range int(groups(uint64(cs))) {
			off, n := chunkSpan(i, int64(cs))
			chunk := ct[off : off+n]
			want := baoSlice(t, ct, tree, i)
			got, err := Slice(tree, chunk, i, int64(cs))
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("size %d chunk %d: slice differs from bao's (%d and %d bytes): %v", cs, i, len(got), len(want), err)
			}
			data, err := VerifySlice(got, i, int64(cs), root)
			if err != nil || !bytes.Equal(data, chunk) {
				t.Fatalf("size %d chunk %d: true slice refused: %v", cs, i, err)
			}
			if !treeHoldsVerified(tree, got, i, int64(cs)) {
				t.Fatalf("size %d chunk %d: tree does not hold its own path", cs, i)
			}
			for _, at := range []int{0, 7, 8, 8 + 31, 8 + 63, len(got) - int(n), len(got) - 1} {
				if at >= len(got) {
					continue
				}
				bad := bytes.Clone(got)
				bad[at] ^= 1
				if _, ok := bao.VerifySlice(bad, Group, uint64(off), uint64(n), root); ok {
					continue // the byte is not checked by bao either (a path shorter than at)
				}
				if _, err := VerifySlice(bad, i, int64(cs), root); !errors.Is(err, ErrChunk) {
					t.Fatalf("size %d chunk %d: byte %d changed, verified: %v", cs, i, at, err)
				}
			}
			if pathLen(i, int64(cs)) > 0 {
				other := bytes.Clone(tree)
				other[8+40] ^= 1 // the root's node, on every path
				if treeHoldsVerified(other, got, i, int64(cs)) {
					t.Fatalf("size %d chunk %d: a changed tree holds", cs, i)
				}
			}
			if _, err := VerifySlice(got[:len(got)-1], i, int64(cs), root); !errors.Is(err, ErrChunk) {
				t.Fatalf("size %d chunk %d: truncated slice verified", cs, i)
			}
			if _, err := VerifySlice(append(bytes.Clone(got), 0), i, int64(cs), root); !errors.Is(err, ErrChunk) {
				t.Fatalf("size %d chunk %d: extended slice verified", cs, i)
			}
		}
	}
}

// BenchmarkSlice: cutting and verifying one chunk's slice of a 2 GiB
// file, in place and with bao's streaming functions.
func BenchmarkSlice(b *testing.B) {
	cs := int64(CipherSize(MaxSize))
	tree := make([]byte, TreeSize(cs)) // a tree of zeros: the cost, not the result
	copy(tree, []byte{byte(cs), byte(cs >> 8), byte(cs >> 16), byte(cs >> 24)})
	chunk := make([]byte, ChunkSize)
	i := int(groups(uint64(cs))) - 2
	b.Run("own", func(b *testing.B) {
		b.SetBytes(ChunkSize)
		buf := make([]byte, 0, MaxSlice)
		for b.Loop() {
			s, _ := appendPath(buf[:0], tree, i, cs)
			s = append(s, chunk...)
			VerifySlice(s, i, cs, Root{})
		}
	})
	b.Run("bao", func(b *testing.B) {
		b.SetBytes(ChunkSize)
		off, n := chunkSpan(i, cs)
		for b.Loop() {
			var out bytes.Buffer
			bao.ExtractSlice(&out, bytes.NewReader(chunk), bytes.NewReader(tree), Group, uint64(off), uint64(n))
			bao.VerifySlice(out.Bytes(), Group, uint64(off), uint64(n), Root{})
		}
	})
}

// TestChunkFrame: the frame a holder writes for a chunk is, byte for
// byte, the one wire.Write writes for Chunk{Index, Slice}, for chunk
// indexes and slice sizes of every CBOR head length, and decodes in
// place to the same.
func TestChunkFrame(t *testing.T) {
	dir := t.TempDir()
	s, err := NewStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	size := int64(300*PlainChunk + 10)
	f, err := s.Add(bytes.NewReader(randomBytes(int(size), 9)), size, mustKey(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, i := range []int{0, 23, 24, 255, 256, 299, 300} {
		got, err := chunkFrame(nil, f, i)
		if err != nil {
			t.Fatal(err)
		}
		slice, err := f.SliceOf(i)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := wire.Write(&want, &Chunk{Index: uint32(i), Slice: slice}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("chunk %d: frame of %d bytes differs from wire.Write's %d", i, len(got), want.Len())
		}
		data, err := wire.NewReader(bytes.NewReader(got)).ReadRaw(nil, MaxChunkFrame)
		if err != nil {
			t.Fatal(err)
		}
		var c Chunk
		if err := decodeChunk(data, &c); err != nil || c.Index != uint32(i) || !bytes.Equal(c.Slice, slice) {
			t.Fatalf("chunk %d: decoded %d, %d bytes: %v", i, c.Index, len(c.Slice), err)
		}
		if _, err := VerifySlice(c.Slice, i, f.cipherSize, f.Root()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFetchAllocatesLittlePerChunk: serving and fetching a chunk copies
// it into no buffer of its own (the stream's one buffer at each end), so
// a whole transfer allocates far less than one chunk's size per chunk.
// Before, each chunk took about five buffers of its size at the two ends.
func TestFetchAllocatesLittlePerChunk(t *testing.T) {
	const chunks = 96
	ss, sf, _, _ := sender(t, chunks*PlainChunk, 3)
	_, f := receiver(t, sf)
	defer f.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := Fetch(t.Context(), f, []Source{&pipeSource{name: "a", store: ss}}, Options{}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	// The two streams' buffers and the bitmaps, trees and records: a few
	// chunks' worth in all.
	if per := (after.TotalAlloc - before.TotalAlloc) / chunks; per > ChunkSize/4 {
		t.Fatalf("%d bytes allocated per chunk of %d", per, ChunkSize)
	}
}
