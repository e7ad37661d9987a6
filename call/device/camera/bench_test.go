package camera

import (
	"fmt"
	"image"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time this process has used: on a shared machine it
// measures the cost better than the wall clock.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime(b)-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

var benchSizes = []image.Point{{640, 360}, {1280, 720}}

// BenchmarkYUYVToI420: converting one raw camera frame.
func BenchmarkYUYVToI420(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(fmt.Sprintf("%dx%d", s.X, s.Y), func(b *testing.B) {
			src := yuyvOf(b, s.X, s.Y)
			dst := NewI420(s.X, s.Y)
			b.ReportAllocs()
			cpu := cpuTime(b)
			for b.Loop() {
				if err := YUYVToI420(dst, src, s.X, s.Y); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
	}
}

// BenchmarkJPEGToI420: decoding one MJPEG camera frame (image/jpeg writes
// 4:2:0; a camera's 4:2:2 adds To420's chroma pass).
func BenchmarkJPEGToI420(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(fmt.Sprintf("%dx%d", s.X, s.Y), func(b *testing.B) {
			p, err := NewTestPattern(Request{s.X, s.Y, 30})
			if err != nil {
				b.Fatal(err)
			}
			src := encodeJPEG(b, p.Picture(0))
			b.ReportAllocs()
			cpu := cpuTime(b)
			for b.Loop() {
				if _, err := JPEGToI420(src); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
	}
}

// BenchmarkTestPattern: drawing one test pattern picture.
func BenchmarkTestPattern(b *testing.B) {
	p, err := NewTestPattern(Request{640, 360, 30})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu := cpuTime(b)
	for i := 0; b.Loop(); i++ {
		p.Picture(i)
	}
	reportCPU(b, cpu)
}

func yuyvOf(b *testing.B, w, h int) []byte {
	b.Helper()
	src := make([]byte, 2*w*h)
	for i := range src {
		src[i] = byte(i * 7)
	}
	return src
}
