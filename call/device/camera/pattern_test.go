package camera

import (
	"bytes"
	"context"
	"errors"
	"image"
	"testing"
	"testing/synctest"
	"time"
)

func newPattern(t *testing.T, w, h, fps int) *TestPattern {
	t.Helper()
	p, err := NewTestPattern(Request{w, h, fps})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// TestPatternMoves: the square advances from one picture to the next,
// it is drawn where Box says, and it leaves the bars behind it.
func TestPatternMoves(t *testing.T) {
	p := newPattern(t, 640, 360, 30)
	a, b := p.Picture(10), p.Picture(11)
	ba, bb := p.Box(10), p.Box(11)
	if bb.Min.X <= ba.Min.X || bb.Min.Y != ba.Min.Y || bb.Size() != ba.Size() {
		t.Fatalf("box %v then %v: not moving right", ba, bb)
	}
	if bytes.Equal(a.Y, b.Y) {
		t.Fatal("pictures 10 and 11 are the same")
	}
	c := ba.Min.Add(ba.Size().Div(2))
	if got := a.Y[a.YOffset(c.X, c.Y)]; got != 255 {
		t.Errorf("picture 10 at the square's centre %v: Y %d, want 255", c, got)
	}
	if got := a.Y[a.YOffset(ba.Min.X, c.Y)]; got != 0 {
		t.Errorf("picture 10 at the square's border: Y %d, want 0", got)
	}
	// Where the square's left edge was, picture 11 shows the bar again.
	bar := Bars[ba.Min.X*len(Bars)/640]
	if got := b.Y[b.YOffset(ba.Min.X, c.Y)]; got != bar[0] {
		t.Errorf("picture 11 behind the square: Y %d, want the bar's %d", got, bar[0])
	}
	// It crosses the picture in two seconds and starts again.
	if p.Box(0) != p.Box(60) || p.Box(59).Min.X <= p.Box(30).Min.X || p.Box(59).Max.X > 640 {
		t.Errorf("boxes 0 %v, 30 %v, 59 %v, 60 %v", p.Box(0), p.Box(30), p.Box(59), p.Box(60))
	}
	if !bytes.Equal(p.Picture(10).Y, a.Y) {
		t.Error("picture 10 drawn twice differs")
	}
}

// TestPatternBars: the bars and the ramp are where the doc says.
func TestPatternBars(t *testing.T) {
	p := newPattern(t, 700, 300, 15)
	img := p.Picture(0)
	for i, bar := range Bars {
		x, y := i*100+50, 20
		if got := [3]byte{img.Y[img.YOffset(x, y)], img.Cb[img.COffset(x, y)], img.Cr[img.COffset(x, y)]}; got != bar {
			t.Errorf("bar %d: %v, want %v", i, got, bar)
		}
	}
	if l, r := img.Y[img.YOffset(0, 290)], img.Y[img.YOffset(699, 290)]; l != 0 || r != 255 {
		t.Errorf("ramp from %d to %d, want 0 to 255", l, r)
	}
	if img.SubsampleRatio != image.YCbCrSubsampleRatio420 || img.Rect != image.Rect(0, 0, 700, 300) {
		t.Errorf("%v %v", img.SubsampleRatio, img.Rect)
	}
}

// TestPatternRead: pictures come at the frame rate, in order; Close and
// the context end a waiting Read.
func TestPatternRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPattern(t, 64, 48, 30)
		start := time.Now()
		for n := range 31 {
			img, err := p.Read(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(img.Y, p.Picture(n).Y) {
				t.Fatalf("read %d is not picture %d", n, n)
			}
		}
		if d := time.Since(start); d != time.Second {
			t.Errorf("31 pictures at 30 fps took %v, want 1s", d)
		}

		ctx, cancel := context.WithTimeout(t.Context(), time.Millisecond)
		defer cancel()
		if _, err := p.Read(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Read with an ending context: %v", err)
		}

		done := make(chan error)
		go func() {
			_, err := p.Read(t.Context())
			done <- err
		}()
		synctest.Wait()
		p.Close()
		if err := <-done; !errors.Is(err, ErrClosed) {
			t.Errorf("Read during Close: %v", err)
		}
		if _, err := p.Read(t.Context()); !errors.Is(err, ErrClosed) {
			t.Errorf("Read after Close: %v", err)
		}
		if err := p.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
}

func TestPatternRequest(t *testing.T) {
	if _, err := NewTestPattern(Request{0, 360, 30}); !errors.Is(err, ErrRequest) {
		t.Errorf("width 0: %v", err)
	}
	p := newPattern(t, 641, 361, 30)
	if m := p.Mode(); m != (Mode{I420, 640, 360, 30}) {
		t.Errorf("mode %+v", m)
	}
}
