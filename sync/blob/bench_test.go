package blob

import (
	"bytes"
	"io"
	"testing"

	"lukechampine.com/blake3"
)

// benchSize is the file the throughput benchmarks process.
const benchSize = 64 << 20

// BenchmarkEncryptAndTree: sealing a file and hashing its bao tree, on
// one core, the work a sender does once per file.
func BenchmarkEncryptAndTree(b *testing.B) {
	plain := randomBytes(benchSize, 1)
	k := mustKey(b)
	ct := make([]byte, 0, CipherSize(benchSize))
	b.SetBytes(benchSize)
	for b.Loop() {
		w := bytes.NewBuffer(ct[:0])
		if err := Encrypt(w, bytes.NewReader(plain), benchSize, k); err != nil {
			b.Fatal(err)
		}
		if _, _, err := BuildTree(bytes.NewReader(w.Bytes()), int64(w.Len())); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawBLAKE3: hashing the same bytes with plain BLAKE3, the
// baseline of BenchmarkEncryptAndTree.
func BenchmarkRawBLAKE3(b *testing.B) {
	plain := randomBytes(benchSize, 1)
	b.SetBytes(benchSize)
	for b.Loop() {
		h := blake3.New(32, nil)
		io.Copy(h, bytes.NewReader(plain))
		h.Sum(nil)
	}
}
