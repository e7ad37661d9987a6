package blob

import (
	"bytes"
	"io"
	"testing"
	"time"

	"lukechampine.com/blake3"
)

// benchSize is the file the throughput benchmarks process.
const benchSize = 64 << 20

// BenchmarkEncryptAndTree: sealing a file and hashing its bao tree, the
// work a sender does once per file (run it with -cpu 1 for one core). Its
// raw-blake3-MB/s and x-raw-blake3 metrics are plain BLAKE3 over the same
// bytes, timed in the same run, and how many times longer sealing and
// hashing take.
func BenchmarkEncryptAndTree(b *testing.B) {
	plain := randomBytes(benchSize, 1)
	k := mustKey(b)
	ct := make([]byte, 0, CipherSize(benchSize))
	var raw time.Duration
	rawRuns := 0
	b.SetBytes(benchSize)
	for b.Loop() {
		w := bytes.NewBuffer(ct[:0])
		if err := Encrypt(w, bytes.NewReader(plain), benchSize, k); err != nil {
			b.Fatal(err)
		}
		if _, _, err := BuildTree(bytes.NewReader(w.Bytes()), int64(w.Len())); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		start := time.Now()
		h := blake3.New(32, nil)
		h.Write(plain)
		h.Sum(nil)
		raw += time.Since(start)
		rawRuns++
		b.StartTimer()
	}
	perOp := b.Elapsed() / time.Duration(b.N)
	rawOp := raw / time.Duration(rawRuns)
	b.ReportMetric(float64(benchSize)/(1<<20)/rawOp.Seconds(), "raw-blake3-MB/s")
	b.ReportMetric(perOp.Seconds()/rawOp.Seconds(), "x-raw-blake3")
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
