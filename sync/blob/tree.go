package blob

import (
	"bytes"
	"fmt"
	"io"

	"lukechampine.com/blake3/bao"
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

// Slice returns the bao slice of chunk i (its bytes and the sibling
// hashes on its path), cut from the outboard tree and the chunk's
// ciphertext.
func Slice(tree, chunk []byte, i int, cipherSize int64) ([]byte, error) {
	off, n := chunkSpan(i, cipherSize)
	if n <= 0 || int64(len(chunk)) != n {
		return nil, fmt.Errorf("slice of chunk %d: %d bytes, want %d", i, len(chunk), n)
	}
	var buf bytes.Buffer
	buf.Grow(len(chunk) + 1024)
	if err := bao.ExtractSlice(&buf, bytes.NewReader(chunk), bytes.NewReader(tree), Group, uint64(off), uint64(n)); err != nil {
		return nil, fmt.Errorf("slice of chunk %d: %w", i, err)
	}
	return buf.Bytes(), nil
}

// VerifySlice checks a slice of chunk i against the root and returns the
// chunk's ciphertext, or fails with ErrChunk.
func VerifySlice(slice []byte, i int, cipherSize int64, root Root) ([]byte, error) {
	off, n := chunkSpan(i, cipherSize)
	if i < 0 || n <= 0 {
		return nil, fmt.Errorf("%w: no chunk %d in %d bytes", ErrChunk, i, cipherSize)
	}
	data, ok := bao.VerifySlice(slice, Group, uint64(off), uint64(n), root)
	if !ok || int64(len(data)) != n {
		return nil, fmt.Errorf("%w: chunk %d fails verification against root %s", ErrChunk, i, root.String()[:12])
	}
	return data, nil
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
