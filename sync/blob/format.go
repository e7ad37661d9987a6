// Package blob carries files: their encrypted, content-addressed format,
// their storage on disk beside (not inside) the database, and the stream
// protocol that pulls them from every holder at once.
//
// # Format
//
// A file is encrypted with a fresh random 32-byte key (NewKey) of its own,
// which travels only inside the sealed body of the message that shares the
// file. The clear bytes are cut into chunks of PlainChunk bytes (the last
// may be shorter; an empty file is one empty chunk) and each chunk i of n
// is sealed with ChaCha20-Poly1305 under the file key and the 12-byte
// nonce
//
//	0x00 0x00 0x00 || uint64 big-endian i || final
//
// where final is 1 for chunk n-1 and 0 otherwise, with no associated data
// (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár).
// A chunk opens only at its own index, so chunks cannot be moved or
// repeated; only the last opens as final, so the file cannot be truncated
// at a chunk boundary or extended; dropping a chunk shifts every later one
// off its index. The key is never reused, so the fixed nonce prefix is
// safe. Each sealed chunk is PlainChunk+Overhead = ChunkSize bytes: one
// bao chunk group.
//
// The ciphertext (the sealed chunks back to back) is addressed by its
// BLAKE3 hash, the root of its bao verified-streaming tree with chunk
// groups of 2^Group BLAKE3 chunks (lukechampine.com/blake3/bao). A holder
// sends chunk i as the bao slice of its group: the group and the sibling
// hashes on its path, which the receiver verifies against the root alone,
// without the key; a member or a relay can therefore check every chunk as
// it arrives and store only verified ones. The outboard tree (64 bytes a
// group) lets a holder cut those slices.
package blob

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20poly1305"
)

// Errors of the format.
var (
	// ErrTooLarge refuses a file above MaxSize.
	ErrTooLarge = errors.New("file too large")
	// ErrChunk refuses a chunk that does not open at its index with the
	// file's key, or that fails verification against the root.
	ErrChunk = errors.New("bad chunk")
)

// Key is a file's encryption key.
type Key [chacha20poly1305.KeySize]byte

// Root is the BLAKE3 (bao) root of a file's ciphertext: its address.
type Root [32]byte

// String is the root in hex.
func (r Root) String() string { return hex.EncodeToString(r[:]) }

// NewKey returns a fresh random file key.
func NewKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return k, fmt.Errorf("file key: %w", err)
	}
	return k, nil
}

// Chunks is how many chunks a file of size clear bytes has.
func Chunks(size int64) int {
	if size <= 0 {
		return 1
	}
	return int((size + PlainChunk - 1) / PlainChunk)
}

// CipherSize is the size of the ciphertext of a file of size clear bytes.
func CipherSize(size int64) int64 { return size + int64(Chunks(size))*Overhead }

// CheckSize refuses a size outside 0..MaxSize.
func CheckSize(size int64) error {
	if size < 0 {
		return fmt.Errorf("file size %d is negative", size)
	}
	if size > MaxSize {
		return fmt.Errorf("%w: %d bytes, at most %d (2 GiB)", ErrTooLarge, size, int64(MaxSize))
	}
	return nil
}

// chunkSpan is where chunk i of n lies in a ciphertext of cipherSize bytes.
func chunkSpan(i int, cipherSize int64) (off, n int64) {
	off = int64(i) * ChunkSize
	return off, min(ChunkSize, cipherSize-off)
}

func nonce(i int, final bool) []byte {
	var n [chacha20poly1305.NonceSize]byte
	binary.BigEndian.PutUint64(n[3:11], uint64(i))
	if final {
		n[11] = 1
	}
	return n[:]
}

func newAEAD(k Key) cipher.AEAD {
	a, err := chacha20poly1305.New(k[:])
	if err != nil { // only a wrong key length, which Key rules out
		panic(err)
	}
	return a
}

// SealChunk appends to dst the sealed chunk i of a file of n chunks.
func SealChunk(dst []byte, k Key, i, n int, plain []byte) []byte {
	return newAEAD(k).Seal(dst, nonce(i, i == n-1), plain, nil)
}

// OpenChunk appends to dst the clear bytes of sealed chunk i of a file of
// n chunks, or fails with ErrChunk when it does not open at that index
// with k.
func OpenChunk(dst []byte, k Key, i, n int, sealed []byte) ([]byte, error) {
	out, err := newAEAD(k).Open(dst, nonce(i, i == n-1), sealed, nil)
	if err != nil {
		return dst, fmt.Errorf("%w: chunk %d of %d does not open", ErrChunk, i, n)
	}
	return out, nil
}

// Encrypt reads size clear bytes from r and writes their ciphertext to w,
// one chunk at a time.
func Encrypt(w io.Writer, r io.Reader, size int64, k Key) error {
	if err := CheckSize(size); err != nil {
		return err
	}
	a := newAEAD(k)
	n := Chunks(size)
	plain := make([]byte, PlainChunk)
	sealed := make([]byte, 0, ChunkSize)
	left := size
	for i := range n {
		m := min(left, PlainChunk)
		if _, err := io.ReadFull(r, plain[:m]); err != nil {
			return fmt.Errorf("read chunk %d: %w", i, err)
		}
		left -= m
		sealed = a.Seal(sealed[:0], nonce(i, i == n-1), plain[:m], nil)
		if _, err := w.Write(sealed); err != nil {
			return fmt.Errorf("write chunk %d: %w", i, err)
		}
	}
	return nil
}

// Decrypt reads the ciphertext of a file of size clear bytes from r and
// writes the clear bytes to w. Every chunk must open at its index, the
// last as final, and r must end right after it; otherwise Decrypt fails
// with ErrChunk (w may then hold the clear bytes of the chunks before).
func Decrypt(w io.Writer, r io.Reader, size int64, k Key) error {
	if err := CheckSize(size); err != nil {
		return err
	}
	a := newAEAD(k)
	n := Chunks(size)
	cs := CipherSize(size)
	sealed := make([]byte, ChunkSize)
	plain := make([]byte, 0, PlainChunk)
	for i := range n {
		_, m := chunkSpan(i, cs)
		if _, err := io.ReadFull(r, sealed[:m]); err != nil {
			return fmt.Errorf("%w: chunk %d of %d: %v", ErrChunk, i, n, err)
		}
		var err error
		plain, err = a.Open(plain[:0], nonce(i, i == n-1), sealed[:m], nil)
		if err != nil {
			return fmt.Errorf("%w: chunk %d of %d does not open", ErrChunk, i, n)
		}
		if _, err := w.Write(plain); err != nil {
			return fmt.Errorf("write chunk %d: %w", i, err)
		}
	}
	var one [1]byte
	if _, err := io.ReadFull(r, one[:]); err == nil {
		return fmt.Errorf("%w: bytes after the final chunk", ErrChunk)
	}
	return nil
}
