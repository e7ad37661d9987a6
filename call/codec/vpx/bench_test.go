package vpx

import (
	"fmt"
	"image"
	"image/color"
	"syscall"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/call/tile"
)

// cpuTime is the CPU time this process has used, user and system: on a
// shared machine it measures a codec's cost better than the wall clock.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU milliseconds per operation since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime(b)-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// benchSizes are a call's camera sizes with the bitrates the app sends
// them at.
var benchSizes = []struct {
	w, h, bitrate int
}{
	{640, 360, 600_000},
	{1280, 720, 1_500_000},
}

// benchScene is 30 pictures of a moving, textured scene.
func benchScene(w, h int) []*image420 {
	var s []*image420
	for n := range 30 {
		s = append(s, scene(w, h, n, 32))
	}
	return s
}

type image420 = image.YCbCr

// BenchmarkEncode: the cost of one frame from a camera stream at the
// default speed, key frames every 90 frames as in a call.
func BenchmarkEncode(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(b *testing.B) {
			cfg := DefaultEncoderConfig()
			cfg.Width, cfg.Height, cfg.Bitrate = sz.w, sz.h, sz.bitrate
			e := newEncoder(b, cfg)
			pics := benchScene(sz.w, sz.h)
			var bytes int
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime(b)
			for i := 0; b.Loop(); i++ {
				f, _, err := e.Encode(pics[i%len(pics)], false)
				if err != nil {
					b.Fatal(err)
				}
				bytes += len(f)
			}
			reportCPU(b, cpu)
			b.ReportMetric(float64(bytes)/float64(b.N), "B/frame")
		})
	}
}

// BenchmarkDecode: the cost of one frame of the same streams, key frames
// included in their share.
func BenchmarkDecode(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(b *testing.B) {
			cfg := DefaultEncoderConfig()
			cfg.Width, cfg.Height, cfg.Bitrate, cfg.KeyFrameInterval = sz.w, sz.h, sz.bitrate, 90
			e := newEncoder(b, cfg)
			pics := benchScene(sz.w, sz.h)
			var frames [][]byte
			for n := range 90 {
				f, _, err := e.Encode(pics[n%len(pics)], false)
				if err != nil {
					b.Fatal(err)
				}
				frames = append(frames, f)
			}
			d := newDecoder(b)
			var pic *image.YCbCr
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime(b)
			for i := 0; b.Loop(); i++ {
				var err error
				if pic, err = d.DecodeTo(frames[i%len(frames)], pic); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
	}
}

// BenchmarkParticipant is one participant's video work in one frame slot
// of a call at 30 fps, at 640x360: encode its camera's frame, decode the
// frames of the 3 video tiles it shows and draw each into a 320x180 tile
// (package call/tile). core-% is the share of one core that costs at 30
// frames a second (the app's target is at most 60 % for everything).
func BenchmarkParticipant(b *testing.B) {
	cfg := DefaultEncoderConfig()
	e := newEncoder(b, cfg)
	pics := benchScene(cfg.Width, cfg.Height)
	var streams [3][][]byte
	var decs [3]*Decoder
	for s := range streams {
		se := newEncoder(b, cfg)
		for n := range 90 {
			f, _, err := se.Encode(pics[(n+7*s)%len(pics)], false)
			if err != nil {
				b.Fatal(err)
			}
			streams[s] = append(streams[s], f)
		}
		decs[s] = newDecoder(b)
	}
	tiles := image.NewRGBA(image.Rect(0, 0, 320, 180))
	var shown [3]*image.YCbCr // each sender's picture, reused
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime(b)
	for i := 0; b.Loop(); i++ {
		if _, _, err := e.Encode(pics[i%len(pics)], false); err != nil {
			b.Fatal(err)
		}
		for s, d := range decs {
			var err error
			if shown[s], err = d.DecodeTo(streams[s][i%len(streams[s])], shown[s]); err != nil {
				b.Fatal(err)
			}
			tile.Fit(tiles, shown[s], color.RGBA{A: 255})
		}
	}
	ms := float64(cpuTime(b)-cpu) / float64(time.Millisecond) / float64(b.N)
	b.ReportMetric(ms, "cpu-ms/op")
	b.ReportMetric(ms*30/10, "core-%")
}
