package tile

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
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

func picture(w, h int, ratio image.YCbCrSubsampleRatio, luma func(x, y int) byte, cb, cr byte) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), ratio)
	for y := range h {
		for x := range w {
			img.Y[img.YOffset(x, y)] = luma(x, y)
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = cb, cr
	}
	return img
}

// TestScaleIdentity: at 1:1 every pixel is color.YCbCrToRGB's.
func TestScaleIdentity(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := picture(9, 7, image.YCbCrSubsampleRatio420, func(x, y int) byte { return byte(rng.IntN(256)) }, 90, 200)
	dst := image.NewRGBA(image.Rect(0, 0, 9, 7))
	Scale(dst, dst.Rect, src, src.Rect)
	for y := range 7 {
		for x := range 9 {
			r, g, b := color.YCbCrToRGB(src.Y[src.YOffset(x, y)], 90, 200)
			if got, want := dst.RGBAAt(x, y), (color.RGBA{r, g, b, 255}); got != want {
				t.Fatalf("(%d,%d): %v, want %v", x, y, got, want)
			}
		}
	}
}

// TestScaleHalf: halving samples between each 2x2 block's pixels: their
// rounded mean.
func TestScaleHalf(t *testing.T) {
	luma := [][]byte{
		{0, 100, 10, 11},
		{200, 50, 12, 13},
	}
	src := picture(4, 2, image.YCbCrSubsampleRatio420, func(x, y int) byte { return luma[y][x] }, 128, 128)
	dst := image.NewRGBA(image.Rect(0, 0, 2, 1))
	Scale(dst, dst.Rect, src, src.Rect)
	// (0+100+200+50)/4 = 87.5 → 88; (10+11+12+13)/4 = 11.5 → 12.
	for i, want := range []byte{88, 12} {
		if got := dst.RGBAAt(i, 0); got != (color.RGBA{want, want, want, 255}) {
			t.Errorf("pixel %d: %v, want grey %d", i, got, want)
		}
	}
}

// TestScaleChroma: chroma is interpolated between sample centres, not
// repeated in blocks.
func TestScaleChroma(t *testing.T) {
	src := picture(4, 2, image.YCbCrSubsampleRatio420, func(x, y int) byte { return 128 }, 128, 128)
	src.Cr[0], src.Cr[1] = 128, 228 // two chroma samples, centres at x = 1 and 3
	dst := image.NewRGBA(image.Rect(0, 0, 4, 2))
	Scale(dst, dst.Rect, src, src.Rect)
	// Pixel centres 0.5 1.5 2.5 3.5 against sample centres 1 and 3: Cr
	// 128 (clamped), 128+100/4=153, 128+300/4=203, 228 (clamped).
	for x, cr := range []byte{128, 153, 203, 228} {
		r, g, b := color.YCbCrToRGB(128, 128, cr)
		if got := dst.RGBAAt(x, 1); got != (color.RGBA{r, g, b, 255}) {
			t.Errorf("x %d: %v, want Cr %d: %v", x, got, cr, color.RGBA{r, g, b, 255})
		}
	}
}

func TestFit(t *testing.T) {
	bg := color.RGBA{1, 2, 3, 255}
	white := func(x, y int) byte { return 255 }
	for _, c := range []struct {
		src, dst image.Rectangle
		want     image.Rectangle
	}{
		{image.Rect(0, 0, 640, 360), image.Rect(0, 0, 320, 320), image.Rect(0, 70, 320, 250)},    // letterbox
		{image.Rect(0, 0, 360, 640), image.Rect(0, 0, 320, 320), image.Rect(70, 0, 250, 320)},    // pillarbox
		{image.Rect(0, 0, 640, 360), image.Rect(0, 0, 320, 180), image.Rect(0, 0, 320, 180)},     // same shape
		{image.Rect(0, 0, 640, 360), image.Rect(10, 20, 110, 220), image.Rect(10, 92, 110, 148)}, // offset tile
	} {
		src := picture(c.src.Dx(), c.src.Dy(), image.YCbCrSubsampleRatio420, white, 128, 128)
		dst := image.NewRGBA(c.dst)
		got := Fit(dst, src, bg)
		if got != c.want {
			t.Errorf("%v into %v: %v, want %v", c.src, c.dst, got, c.want)
			continue
		}
		for y := c.dst.Min.Y; y < c.dst.Max.Y; y++ {
			for x := c.dst.Min.X; x < c.dst.Max.X; x++ {
				want := bg
				if (image.Point{x, y}).In(c.want) {
					want = color.RGBA{255, 255, 255, 255}
				}
				if px := dst.RGBAAt(x, y); px != want {
					t.Fatalf("%v into %v: (%d,%d) %v, want %v", c.src, c.dst, x, y, px, want)
				}
			}
		}
	}
	empty := image.NewRGBA(image.Rect(0, 0, 4, 4))
	if r := Fit(empty, image.NewYCbCr(image.Rectangle{}, image.YCbCrSubsampleRatio420), bg); !r.Empty() || empty.RGBAAt(2, 2) != bg {
		t.Errorf("empty source: %v, %v", r, empty.RGBAAt(2, 2))
	}
}

// TestFill: the middle of a wider picture fills a square tile; its sides
// are cropped.
func TestFill(t *testing.T) {
	// 16x4: 4 dark columns, 8 mid-grey, 4 bright.
	src := picture(16, 4, image.YCbCrSubsampleRatio420, func(x, y int) byte {
		switch {
		case x < 4:
			return 0
		case x >= 12:
			return 255
		}
		return 100
	}, 128, 128)
	dst := image.NewRGBA(image.Rect(0, 0, 8, 8))
	Fill(dst, src)
	for y := range 8 {
		for x := range 8 {
			if px := dst.RGBAAt(x, y); px != (color.RGBA{100, 100, 100, 255}) {
				t.Fatalf("(%d,%d): %v, want the middle's grey", x, y, px)
			}
		}
	}
}

// TestScaleAnyShape: every subsampling, odd sizes and sub-images at odd
// origins, scaled up and down, stay within the planes.
func TestScaleAnyShape(t *testing.T) {
	ratios := []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	}
	for _, ratio := range ratios {
		for sw := 1; sw <= 7; sw++ {
			for sh := 1; sh <= 5; sh++ {
				src := picture(sw+3, sh+3, ratio, func(x, y int) byte { return byte(x * y) }, 100, 150)
				sub := src.SubImage(image.Rect(3, 3, 3+sw, 3+sh)).(*image.YCbCr)
				for _, d := range []image.Point{{1, 1}, {2, 9}, {13, 3}} {
					t.Run(fmt.Sprintf("%v/%dx%d/%v", ratio, sw, sh, d), func(t *testing.T) {
						dst := image.NewRGBA(image.Rectangle{Max: d})
						Fit(dst, sub, color.RGBA{})
						Fill(dst, sub)
						Fit(dst, src, color.RGBA{})
					})
				}
			}
		}
	}
}

// BenchmarkFit: the call window's tiles, one frame each: a 640x360
// stream at its own size (the speaker), into a 320x180 tile, a 720p
// stream into a 640x360 tile, and 360p blown up to a 1280x720 window.
func BenchmarkFit(b *testing.B) {
	for _, c := range []struct{ sw, sh, dw, dh int }{
		{640, 360, 640, 360},
		{640, 360, 320, 180},
		{1280, 720, 640, 360},
		{640, 360, 1280, 720},
	} {
		b.Run(fmt.Sprintf("%dx%d-to-%dx%d", c.sw, c.sh, c.dw, c.dh), func(b *testing.B) {
			src := picture(c.sw, c.sh, image.YCbCrSubsampleRatio420, func(x, y int) byte { return byte(x ^ y) }, 100, 150)
			dst := image.NewRGBA(image.Rect(0, 0, c.dw, c.dh))
			b.ReportAllocs()
			cpu := cpuTime(b)
			for b.Loop() {
				Fit(dst, src, color.RGBA{A: 255})
			}
			b.ReportMetric(float64(cpuTime(b)-cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		})
	}
}
