package media

import (
	"testing"

	"github.com/pion/interceptor/pkg/cc"

	"github.com/umbrella-p2p/umbrella/call/sfu"
)

func TestSplitBitrate(t *testing.T) {
	for _, c := range []struct {
		target, layers int
		want           []int
	}{
		{3_000_000, 3, []int{150_000, 500_000, 1_200_000}},
		{800_000, 3, []int{150_000, 500_000, 0}},
		{400_000, 3, []int{150_000, 0, 0}},
		{100_000, 3, []int{68_000, 0, 0}},
		{10_000, 3, []int{50_000, 0, 0}},
		{700_000, 2, []int{150_000, 500_000}},
		{700_000, 1, []int{668_000}},
		{5_000_000, 1, []int{1_200_000}},
	} {
		b, err := SplitBitrate(c.target, c.layers)
		if err != nil {
			t.Fatal(err)
		}
		for l := range c.want {
			if b.Layers[l] != c.want[l] {
				t.Errorf("%d bit/s in %d layers: %v, want %v", c.target, c.layers, b.Layers, c.want)
				break
			}
		}
	}
	for _, n := range []int{0, sfu.MaxLayers + 1} {
		if _, err := SplitBitrate(1e6, n); err == nil {
			t.Errorf("%d layers accepted", n)
		}
	}
}

// fakeEstimator is a bandwidth estimator whose target the test sets.
type fakeEstimator struct {
	cc.BandwidthEstimator // not called
	target                int
	on                    func(int)
}

func (f *fakeEstimator) GetTargetBitrate() int             { return f.target }
func (f *fakeEstimator) OnTargetBitrateChange(g func(int)) { f.on = g }
func (f *fakeEstimator) set(bps int) {
	f.target = bps
	if f.on != nil {
		f.on(bps)
	}
}

// TestUplinkFollowsEstimate: the split reported follows the estimate up
// and down, turning the high layers on and off.
func TestUplinkFollowsEstimate(t *testing.T) {
	est := &fakeEstimator{target: sfu.InitialBitrate}
	up, err := NewUplink(est, 3)
	if err != nil {
		t.Fatal(err)
	}
	if b := up.Bitrates(); b.Target != sfu.InitialBitrate || b.Layers[1] == 0 || b.Layers[2] != 0 {
		t.Errorf("at the start: %+v, want the low and mid layers", b)
	}
	var got []Bitrates
	up.OnChange(func(b Bitrates) { got = append(got, b) })
	est.set(2_500_000)
	est.set(300_000)
	if len(got) != 2 {
		t.Fatalf("%d changes reported, want 2", len(got))
	}
	if got[0].Layers[2] != sfu.DefaultLayers[sfu.LayerHigh].Bitrate {
		t.Errorf("at 2.5 Mbit/s: %v, want the high layer on", got[0].Layers)
	}
	if got[1].Layers[1] != 0 || got[1].Layers[2] != 0 || got[1].Layers[0] == 0 {
		t.Errorf("at 300 kbit/s: %v, want the low layer only", got[1].Layers)
	}
	if _, err := NewUplink(est, 0); err == nil {
		t.Error("an uplink of no layers accepted")
	}
}
