package blob

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	mbits "math/bits"

	"lukechampine.com/blake3/bao"
	"lukechampine.com/blake3/guts"
)

// TreeSize is the size of the outboard tree of a ciphertext of
// cipherSize bytes.
func TreeSize(cipherSize int64) int { return bao.EncodedSize(int(cipherSize), Group, true) }

// memWriterAt is an io.WriterAt over a fixed buffer.
type memWriterAt []byte

func (m memWriterAt) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m)) {
		return 0, fmt.Errorf("tree write at %d beyond %d bytes", off, len(m))
	}
	return copy(m[off:], p), nil
}

// BuildTree reads cipherSize bytes of ciphertext from r and returns their
// outboard tree and root.
func BuildTree(r io.Reader, cipherSize int64) ([]byte, Root, error) {
	tree := make(memWriterAt, TreeSize(cipherSize))
	root, err := bao.Encode(tree, r, cipherSize, Group, true)
	if err != nil {
		return nil, Root{}, fmt.Errorf("tree: %w", err)
	}
	return tree, root, nil
}

// A bao slice of one chunk (one chunk group) is, as bao.ExtractSlice cuts
// it: the ciphertext's length (8 bytes, little-endian), the parent nodes
// on the path from the root down to the chunk's group (64 bytes each: the
// chaining values of the left and right child), then the chunk. The
// outboard tree is the length and every parent node in pre-order, so the
// path's nodes are found by walking down from the root, skipping the
// nodes of each left subtree passed over. Slices are cut and verified
// here, in place, rather than through bao's streaming functions, which
// read the tree from its start for every slice and copy each chunk
// through buffers of their own: on a large file most of a transfer's CPU
// (the tests check both against bao).

// groups is how many chunk groups n bytes of ciphertext make.
func groups(n uint64) uint64 { return (n + ChunkSize - 1) / ChunkSize }

// split is where a subtree of n bytes (more than one group) splits: its
// left child holds the largest power of two below n.
func split(n uint64) uint64 { return 1 << (mbits.Len64(n-1) - 1) }

// pathLen is how many parent nodes lie on the path to chunk i of a
// ciphertext of cipherSize bytes.
func pathLen(i int, cipherSize int64) int {
	d := 0
	pos, n, off := uint64(0), uint64(cipherSize), uint64(i)*ChunkSize
	for n > ChunkSize {
		d++
		if mid := split(n); off < pos+mid {
			n = mid
		} else {
			pos, n = pos+mid, n-mid
		}
	}
	return d
}

// sliceSize is the size of the bao slice of chunk i.
func sliceSize(i int, cipherSize int64) int {
	_, n := chunkSpan(i, cipherSize)
	return 8 + 64*pathLen(i, cipherSize) + int(n)
}

// appendPath appends the length and the path's parent nodes to chunk i,
// cut from tree, to dst: a slice but for the chunk itself.
func appendPath(dst, tree []byte, i int, cipherSize int64) ([]byte, error) {
	off, n := chunkSpan(i, cipherSize)
	if i < 0 || n <= 0 {
		return nil, fmt.Errorf("no chunk %d in %d bytes", i, cipherSize)
	}
	if len(tree) != TreeSize(cipherSize) {
		return nil, fmt.Errorf("tree of %d bytes, want %d", len(tree), TreeSize(cipherSize))
	}
	dst = append(dst, tree[:8]...)
	at := 8
	pos, size := uint64(0), uint64(cipherSize)
	for size > ChunkSize {
		dst = append(dst, tree[at:at+64]...)
		mid := split(size)
		if uint64(off) < pos+mid {
			at += 64
			size = mid
		} else {
			at += 64 + 64*int(groups(mid)-1)
			pos, size = pos+mid, size-mid
		}
	}
	return dst, nil
}

// Slice returns the bao slice of chunk i (its bytes and the sibling
// hashes on its path), cut from the outboard tree and the chunk's
// ciphertext.
func Slice(tree, chunk []byte, i int, cipherSize int64) ([]byte, error) {
	_, n := chunkSpan(i, cipherSize)
	if n <= 0 || int64(len(chunk)) != n {
		return nil, fmt.Errorf("slice of chunk %d: %d bytes, want %d", i, len(chunk), n)
	}
	s, err := appendPath(make([]byte, 0, sliceSize(i, cipherSize)), tree, i, cipherSize)
	if err != nil {
		return nil, fmt.Errorf("slice of chunk %d: %w", i, err)
	}
	return append(s, chunk...), nil
}

// VerifySlice checks a slice of chunk i against the root and returns the
// chunk's ciphertext, the tail of slice (not a copy), or fails with
// ErrChunk.
func VerifySlice(slice []byte, i int, cipherSize int64, root Root) ([]byte, error) {
	off, n := chunkSpan(i, cipherSize)
	if i < 0 || n <= 0 {
		return nil, fmt.Errorf("%w: no chunk %d in %d bytes", ErrChunk, i, cipherSize)
	}
	bad := func() error {
		return fmt.Errorf("%w: chunk %d fails verification against root %s", ErrChunk, i, root.String()[:12])
	}
	if len(slice) != sliceSize(i, cipherSize) || binary.LittleEndian.Uint64(slice) != uint64(cipherSize) {
		return nil, bad()
	}
	cv := cvOf(root[:])
	flags := uint32(guts.FlagRoot)
	p := slice[8:]
	pos, size := uint64(0), uint64(cipherSize)
	for size > ChunkSize {
		l, r := cvOf(p[:32]), cvOf(p[32:64])
		p = p[64:]
		if guts.ChainingValue(guts.ParentNode(l, r, &guts.IV, flags)) != cv {
			return nil, bad()
		}
		flags = 0
		if mid := split(size); uint64(off) < pos+mid {
			cv, size = l, mid
		} else {
			cv, pos, size = r, pos+mid, size-mid
		}
	}
	node := hashGroup(p, pos/guts.ChunkSize)
	node.Flags |= flags
	if guts.ChainingValue(node) != cv {
		return nil, bad()
	}
	return p, nil
}

// cvOf reads a chaining value.
func cvOf(b []byte) (cv [8]uint32) {
	_ = b[31]
	for i := range cv {
		cv[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return cv
}

// simd is how many bytes guts hashes in one call.
const simd = guts.MaxSIMD * guts.ChunkSize

// hashGroup returns the root node of one chunk group (1 byte to
// ChunkSize) whose first BLAKE3 chunk is chunk number counter, as bao
// computes it: runs of simd bytes hashed together and merged as a binary
// tree, the last run (full or not) merged last. Full runs are hashed in
// place; only a short last run is copied.
func hashGroup(p []byte, counter uint64) guts.Node {
	var stack [54 - guts.MaxSIMD][8]uint32
	var sc uint64
	push := func(cv [8]uint32) {
		i := 0
		for sc&(1<<i) != 0 {
			cv = guts.ChainingValue(guts.ParentNode(stack[i], cv, &guts.IV, 0))
			i++
		}
		stack[i] = cv
		sc++
	}
	for len(p) > simd {
		push(guts.ChainingValue(guts.CompressBuffer((*[simd]byte)(p[:simd]), simd, &guts.IV, counter+sc*guts.MaxSIMD, 0)))
		p = p[simd:]
	}
	var last *[simd]byte
	if len(p) == simd {
		last = (*[simd]byte)(p)
	} else {
		var buf [simd]byte
		copy(buf[:], p)
		last = &buf
	}
	n := guts.CompressBuffer(last, len(p), &guts.IV, counter+sc*guts.MaxSIMD, 0)
	for i := mbits.TrailingZeros64(sc); i < mbits.Len64(sc); i++ {
		if sc&(1<<i) != 0 {
			n = guts.ParentNode(stack[i], guts.ChainingValue(n), &guts.IV, 0)
		}
	}
	return n
}

// treeHoldsVerified reports whether tree has the path of a slice of chunk
// i that verified against the root: then the tree authenticates the
// chunk, with no hashing.
func treeHoldsVerified(tree, slice []byte, i int, cipherSize int64) bool {
	var buf [8 + 64*64]byte
	path, err := appendPath(buf[:0], tree, i, cipherSize)
	return err == nil && len(path) <= len(slice) && bytes.Equal(path, slice[:len(path)])
}

// TreeHolds reports whether the outboard tree authenticates chunk i
// against the root: a holder checks its tree so that every slice it cuts
// verifies.
func TreeHolds(tree, chunk []byte, i int, cipherSize int64, root Root) bool {
	off, n := chunkSpan(i, cipherSize)
	if n <= 0 || int64(len(chunk)) != n || len(tree) != TreeSize(cipherSize) {
		return false
	}
	return bao.VerifyChunk(chunk, tree, Group, uint64(off), root)
}
