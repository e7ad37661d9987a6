package camera

import (
	"context"
	"image"
	"image/color"
	"sync"
	"time"
)

// TestPattern is a Source that is not a camera: it draws a moving test
// pattern, for demos and for testing the app without a camera. Picture n
// shows seven colour bars over a grey ramp, and a white square with a
// black border that crosses the picture from left to right every two
// seconds (Box gives where); Read delivers the pictures at the frame
// rate, timed by the clock of package time.
type TestPattern struct {
	mode  Mode
	start time.Time
	done  chan struct{} // closed by Close
	once  sync.Once

	mu sync.Mutex
	n  int // the next picture's number; guarded by mu
}

var _ Source = (*TestPattern)(nil)

// NewTestPattern returns a test pattern of the requested size and rate
// (sizes are rounded down to even ones). Its first picture is due at
// once.
func NewTestPattern(want Request) (*TestPattern, error) {
	if err := want.Validate(); err != nil {
		return nil, err
	}
	return &TestPattern{
		mode:  Mode{Pixel: I420, Width: want.Width &^ 1, Height: want.Height &^ 1, FrameRate: float64(want.FrameRate)},
		start: time.Now(),
		done:  make(chan struct{}),
	}, nil
}

// Mode returns the pattern's size and rate.
func (p *TestPattern) Mode() Mode { return p.mode }

// Read waits until the next picture is due and returns it.
func (p *TestPattern) Read(ctx context.Context) (*image.YCbCr, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		return nil, ErrClosed
	default:
	}
	due := p.start.Add(time.Duration(p.n) * time.Second / time.Duration(p.mode.FrameRate))
	if wait := time.Until(due); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-p.done:
			return nil, ErrClosed
		case <-t.C:
		}
	}
	img := p.Picture(p.n)
	p.n++
	return img, nil
}

// Close stops the pattern. Closing it again does nothing.
func (p *TestPattern) Close() error {
	p.once.Do(func() { close(p.done) })
	return nil
}

// Bars are the colour bars' (Y, Cb, Cr), full range: white, yellow, cyan,
// green, magenta, red and blue at 75 %.
var Bars = func() (bars [7][3]byte) {
	const on = 191 // 75 % of 255
	for i, rgb := range [7][3]byte{
		{on, on, on}, {on, on, 0}, {0, on, on}, {0, on, 0}, {on, 0, on}, {on, 0, 0}, {0, 0, on},
	} {
		y, cb, cr := color.RGBToYCbCr(rgb[0], rgb[1], rgb[2])
		bars[i] = [3]byte{y, cb, cr}
	}
	return bars
}()

// Box returns where picture n's moving square is.
func (p *TestPattern) Box(n int) image.Rectangle {
	w, h := p.mode.Width, p.mode.Height
	side := max(h/6, 4) &^ 1
	period := max(int(2*p.mode.FrameRate), 1)
	travel := max(w-side, 0)
	x := (n % period) * travel / period &^ 1
	y := (h/2 - side/2) &^ 1
	return image.Rect(x, y, x+side, y+side)
}

// Picture draws picture n: a pure function of n and the size.
func (p *TestPattern) Picture(n int) *image.YCbCr {
	w, h := p.mode.Width, p.mode.Height
	img := NewI420(w, h)
	barsEnd := h * 2 / 3
	for y := range h {
		row := img.Y[y*img.YStride : y*img.YStride+w]
		for x := range w {
			if y < barsEnd {
				row[x] = Bars[x*len(Bars)/w][0]
			} else {
				row[x] = byte(x * 255 / max(w-1, 1))
			}
		}
	}
	for cy := range h / 2 {
		for cx := range w / 2 {
			cb, cr := byte(128), byte(128)
			if 2*cy < barsEnd {
				b := Bars[2*cx*len(Bars)/w]
				cb, cr = b[1], b[2]
			}
			img.Cb[cy*img.CStride+cx], img.Cr[cy*img.CStride+cx] = cb, cr
		}
	}
	box := p.Box(n)
	border := max(box.Dx()/8, 2) &^ 1
	inner := box.Inset(border)
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			v := byte(0)
			if (image.Point{x, y}).In(inner) {
				v = 255
			}
			img.Y[y*img.YStride+x] = v
		}
	}
	for cy := box.Min.Y / 2; cy < box.Max.Y/2; cy++ {
		for cx := box.Min.X / 2; cx < box.Max.X/2; cx++ {
			img.Cb[cy*img.CStride+cx], img.Cr[cy*img.CStride+cx] = 128, 128
		}
	}
	return img
}
