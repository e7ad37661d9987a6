package camera

import (
	"fmt"
	"math"
)

// Choose picks the mode closest to want among what a camera offers, in
// this order:
//
//  1. a mode that reaches want's frame rate (or does not say) beats one
//     that does not: a call's video should move smoothly;
//  2. then the size nearest want's (least |Δwidth| + |Δheight|), the
//     larger on a tie: scaling down looks better than up;
//  3. then the format cheapest to convert: I420, YUYV, then MJPEG.
//
// Only formats Read converts count, and only sizes within the limits; a
// size range offers the size nearest want on its steps. It returns
// ErrNoMode if nothing qualifies.
func Choose(formats []Format, want Request) (Mode, error) {
	if err := want.Validate(); err != nil {
		return Mode{}, err
	}
	var best Mode
	var bestKey [4]float64
	found := false
	for _, f := range formats {
		if !f.Pixel.Converts() {
			continue
		}
		for _, s := range f.Sizes {
			w, ok := nearest(want.Width, s.MinWidth, s.MaxWidth, s.StepWidth)
			if !ok {
				continue
			}
			h, ok := nearest(want.Height, s.MinHeight, s.MaxHeight, s.StepHeight)
			if !ok || w > MaxWidth || h > MaxHeight || w < 2 || h < 2 {
				continue
			}
			slow := 0.0
			if s.MaxFrameRate > 0 && s.MaxFrameRate < float64(want.FrameRate)-0.5 {
				slow = 1
			}
			key := [4]float64{
				slow,
				math.Abs(float64(w-want.Width)) + math.Abs(float64(h-want.Height)),
				-float64(w * h),
				float64(formatCost(f.Pixel)),
			}
			if !found || less(key, bestKey) {
				found, bestKey = true, key
				rate := float64(want.FrameRate)
				if s.MaxFrameRate > 0 {
					rate = min(rate, s.MaxFrameRate)
				}
				best = Mode{Pixel: f.Pixel, Width: w, Height: h, FrameRate: rate}
			}
		}
	}
	if !found {
		return Mode{}, fmt.Errorf("%w: %d formats offered", ErrNoMode, len(formats))
	}
	return best, nil
}

// formatCost orders the formats by the cost of converting them.
func formatCost(f PixelFormat) int {
	switch f {
	case I420:
		return 0
	case YUYV:
		return 1
	}
	return 2
}

func less(a, b [4]float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// nearest returns the value of lo..hi in steps of step (a single value
// when step is 0) nearest v, or false if the range is empty. Sizes are
// even so that 4:2:0 chroma covers them: an odd one is rounded down.
func nearest(v, lo, hi, step int) (int, bool) {
	if lo < 1 || hi < lo {
		return 0, false
	}
	if step <= 0 || lo == hi {
		if lo != hi {
			return 0, false
		}
		return lo &^ 1, true
	}
	n := max(lo, min(v, hi))
	k := (n - lo + step/2) / step
	n = lo + k*step
	if n > hi {
		n -= step
	}
	return n &^ 1, true
}
