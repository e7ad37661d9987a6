package blob

import (
	"slices"
	"testing"
)

// bits is the have-bitmap of n chunks naming the chunks in idx.
func bits(n int, idx ...int) []byte {
	b := make([]byte, (n+7)/8)
	for _, i := range idx {
		b[i/8] |= 1 << (i % 8)
	}
	return b
}

func span(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func u32(idx ...int) []uint32 {
	out := make([]uint32, len(idx))
	for i, v := range idx {
		out[i] = uint32(v)
	}
	return out
}

// TestClaimRarestFirst: of the chunks a source has, a fetch takes those
// the fewest sources hold first, lowest index first among equals; a
// sequential fetch takes the lowest first; a chunk held already or in
// flight is never claimed; when a source leaves, its chunks count no more.
func TestClaimRarestFirst(t *testing.T) {
	const n = 16
	_, like, _, _ := sender(t, n*PlainChunk, 1)
	_, f := receiver(t, like)
	defer f.Close()
	all, half := bits(n, span(0, n)...), bits(n, span(0, 8)...)

	st := newFetch(f, Options{})
	st.see(nil, all)
	st.see(nil, half)
	if idx, _, _ := st.claim(all, 4); !slices.Equal(idx, u32(8, 9, 10, 11)) {
		t.Fatalf("the full source claimed %v first, want the chunks only it has, 8-11", idx)
	}
	if idx, _, _ := st.claim(half, 4); !slices.Equal(idx, u32(0, 1, 2, 3)) {
		t.Fatalf("the half source claimed %v, want 0-3", idx)
	}
	// The window spills over to the next count once the rarest are taken.
	if idx, _, _ := st.claim(all, 6); !slices.Equal(idx, u32(12, 13, 14, 15, 4, 5)) {
		t.Fatalf("the full source then claimed %v, want 12-15 then 4-5", idx)
	}
	st.release(u32(4, 5))
	st.see(half, nil) // the half source left: 4 and 5 are now as rare as any
	if idx, _, _ := st.claim(all, 8); !slices.Equal(idx, u32(4, 5, 6, 7)) {
		t.Fatalf("after the half source left: %v, want 4-7", idx)
	}
	if _, _, missing := st.claim(all, 8); !missing {
		t.Fatal("claim says nothing is missing while chunks are in flight")
	}

	seq := newFetch(f, Options{Sequential: true})
	seq.see(nil, all)
	seq.see(nil, half)
	if idx, _, _ := seq.claim(all, 4); !slices.Equal(idx, u32(0, 1, 2, 3)) {
		t.Fatalf("a sequential fetch claimed %v, want 0-3", idx)
	}
}
