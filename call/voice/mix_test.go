package voice

import (
	"math"
	"testing"
)

func TestMixSumsAndClips(t *testing.T) {
	a := []int16{1000, 20000, -20000, 30000, -5}
	b := []int16{2000, 20000, -20000, -30000, 5}
	dst := make([]int16, len(a))
	Mix(dst, a, b)
	want := []int16{3000, math.MaxInt16, math.MinInt16, 0, 0}
	for i := range want {
		if dst[i] != want[i] {
			t.Fatalf("mix %v + %v = %v, want %v", a, b, dst, want)
		}
	}
	// A third speaker adds on top; a short one adds to the start only.
	Mix(dst, []int16{-1000})
	if dst[0] != 2000 || dst[1] != math.MaxInt16 {
		t.Fatalf("after a short third: %v", dst)
	}
}

func tone(amp float64, n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * math.Sin(2*math.Pi*1000*float64(i)/48000))
	}
	return out
}

func TestDBov(t *testing.T) {
	for _, c := range []struct {
		name string
		pcm  []int16
		want float64
	}{
		{"silence", make([]int16, FrameSamples), SilenceDBov},
		{"empty", nil, SilenceDBov},
		{"full-scale sine", tone(math.MaxInt16, FrameSamples), -3.01},
		{"sine at -20 dBFS", tone(math.MaxInt16/10, FrameSamples), -23.01},
	} {
		if got := DBov(c.pcm); math.Abs(got-c.want) > 0.1 {
			t.Errorf("%s: %.2f dBov, want %.2f", c.name, got, c.want)
		}
	}
}

func TestMeterSpeakingHolds(t *testing.T) {
	var m Meter
	if m.Speaking() || m.Level() != SilenceDBov {
		t.Fatal("a new meter speaks")
	}
	quiet := tone(20, FrameSamples) // about -67 dBov: room noise
	loud := tone(8000, FrameSamples)
	m.Add(quiet)
	if m.Speaking() {
		t.Fatalf("room noise at %.0f dBov counts as speech", m.Level())
	}
	m.Add(loud)
	if !m.Speaking() || m.Level() < -20 {
		t.Fatalf("a loud frame: speaking %t at %.0f dBov", m.Speaking(), m.Level())
	}
	for range SpeakingHold - 1 {
		m.Add(quiet)
	}
	if !m.Speaking() {
		t.Fatal("the mark dropped within the hold, between words")
	}
	m.Silence()
	if m.Speaking() {
		t.Fatal("still speaking after the hold")
	}
}

func TestRFC6464Level(t *testing.T) {
	for _, c := range []struct {
		dbov float64
		want uint8
	}{{0, 0}, {3, 0}, {-0.4, 0}, {-29.7, 30}, {-45, 45}, {SilenceDBov, 127}, {-300, 127}, {math.NaN(), 127}} {
		if got := RFC6464Level(c.dbov); got != c.want {
			t.Errorf("RFC6464Level(%v) = %d, want %d", c.dbov, got, c.want)
		}
	}
}
