package blob

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	r.Read(b)
	return b
}

func mustKey(t testing.TB) Key {
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func encrypt(t testing.TB, plain []byte, k Key) []byte {
	var ct bytes.Buffer
	if err := Encrypt(&ct, bytes.NewReader(plain), int64(len(plain)), k); err != nil {
		t.Fatal(err)
	}
	return ct.Bytes()
}

// sealedChunks cuts a ciphertext into its chunks.
func sealedChunks(ct []byte) [][]byte {
	var out [][]byte
	for len(ct) > 0 {
		n := min(len(ct), ChunkSize)
		out = append(out, ct[:n])
		ct = ct[n:]
	}
	return out
}

func TestRoundTripSizes(t *testing.T) {
	k := mustKey(t)
	for _, size := range []int{0, 1, PlainChunk - 1, PlainChunk, PlainChunk + 1, 3*PlainChunk + 17} {
		plain := randomBytes(size, uint64(size))
		ct := encrypt(t, plain, k)
		if int64(len(ct)) != CipherSize(int64(size)) {
			t.Fatalf("size %d: ciphertext %d bytes, want %d", size, len(ct), CipherSize(int64(size)))
		}
		var out bytes.Buffer
		if err := Decrypt(&out, bytes.NewReader(ct), int64(size), k); err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if !bytes.Equal(out.Bytes(), plain) {
			t.Fatalf("size %d: round trip differs", size)
		}
		tree, root, err := BuildTree(bytes.NewReader(ct), int64(len(ct)))
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range sealedChunks(ct) {
			s, err := Slice(tree, c, i, int64(len(ct)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := VerifySlice(s, i, int64(len(ct)), root)
			if err != nil || !bytes.Equal(got, c) {
				t.Fatalf("size %d chunk %d: slice does not verify: %v", size, i, err)
			}
			if !TreeHolds(tree, c, i, int64(len(ct)), root) {
				t.Fatalf("size %d chunk %d: tree does not hold", size, i)
			}
		}
	}
}

func TestTooLarge(t *testing.T) {
	err := Encrypt(&bytes.Buffer{}, bytes.NewReader(nil), MaxSize+1, mustKey(t))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if err := CheckSize(MaxSize); err != nil {
		t.Fatalf("2 GiB refused: %v", err)
	}
}

// TestChunksRefused: every way of rearranging a file's chunks fails to
// decrypt.
func TestChunksRefused(t *testing.T) {
	k := mustKey(t)
	size := 3*PlainChunk + 100
	ct := encrypt(t, randomBytes(size, 1), k)
	cs := sealedChunks(ct)
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tampered := bytes.Clone(ct)
	tampered[ChunkSize+5] ^= 1
	cases := map[string]struct {
		ct   []byte
		size int
		k    Key
	}{
		"tampered":        {tampered, size, k},
		"reordered":       {join(cs[1], cs[0], cs[2], cs[3]), size, k},
		"dropped":         {join(cs[0], cs[2], cs[3]), size, k},
		"dropped, size":   {join(cs[0], cs[2], cs[3]), size - PlainChunk, k},
		"repeated":        {join(cs[0], cs[0], cs[2], cs[3]), size, k},
		"truncated":       {join(cs[0], cs[1], cs[2]), size, k},
		"truncated, size": {join(cs[0], cs[1], cs[2]), 3 * PlainChunk, k},
		"cut tail":        {ct[:len(ct)-1], size, k},
		"extra bytes":     {join(ct, []byte{0}), size, k},
		"wrong key":       {ct, size, mustKey(t)},
	}
	for name, c := range cases {
		err := Decrypt(&bytes.Buffer{}, bytes.NewReader(c.ct), int64(c.size), c.k)
		if !errors.Is(err, ErrChunk) {
			t.Errorf("%s: err = %v, want ErrChunk", name, err)
		}
	}
	// One chunk at a time too: chunk 1 opens only as chunk 1, not final.
	if _, err := OpenChunk(nil, k, 1, 4, cs[1]); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ i, n int }{{0, 4}, {2, 4}, {1, 2}} {
		if _, err := OpenChunk(nil, k, c.i, c.n, cs[1]); !errors.Is(err, ErrChunk) {
			t.Errorf("chunk 1 opened as %d of %d", c.i, c.n)
		}
	}
}

// TestSlicesRefused: a holder without the key refuses a chunk that is
// not the one at its index under the root.
func TestSlicesRefused(t *testing.T) {
	k := mustKey(t)
	ct := encrypt(t, randomBytes(3*PlainChunk+100, 2), k)
	cs := int64(len(ct))
	tree, root, err := BuildTree(bytes.NewReader(ct), cs)
	if err != nil {
		t.Fatal(err)
	}
	chunks := sealedChunks(ct)
	s1, _ := Slice(tree, chunks[1], 1, cs)
	if _, err := VerifySlice(s1, 1, cs, root); err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(s1)
	bad[len(bad)-10] ^= 1
	badPath := bytes.Clone(s1)
	badPath[10] ^= 1
	other := encrypt(t, randomBytes(3*PlainChunk+100, 3), k)
	otherTree, _, _ := BuildTree(bytes.NewReader(other), cs)
	foreign, _ := Slice(otherTree, sealedChunks(other)[1], 1, cs)
	for name, c := range map[string]struct {
		s []byte
		i int
	}{
		"tampered data": {bad, 1},
		"tampered path": {badPath, 1},
		"moved":         {s1, 2},
		"truncated":     {s1[:len(s1)-1], 1},
		"foreign":       {foreign, 1},
		"beyond end":    {s1, 4},
		"empty":         {nil, 0},
	} {
		if _, err := VerifySlice(c.s, c.i, cs, root); !errors.Is(err, ErrChunk) {
			t.Errorf("%s: err = %v, want ErrChunk", name, err)
		}
	}
}
