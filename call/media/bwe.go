package media

import (
	"fmt"
	"slices"

	"github.com/pion/interceptor/pkg/cc"

	"github.com/umbrella-p2p/umbrella/call/sfu"
)

// AudioBitrate is what a publisher keeps of its estimated uplink for its
// Opus audio before it sizes its video.
const AudioBitrate = 32_000

// Bitrates is what a publisher's video encoders should send at an
// estimated uplink.
type Bitrates struct {
	// Target is the uplink estimate, in bits per second.
	Target int
	// Layers is each simulcast layer's bitrate (by sfu.Layer), 0 for a
	// layer to stop encoding: the SFU stops forwarding a layer that no
	// longer arrives. A publisher without simulcast has one layer.
	Layers []int
}

// SplitBitrate divides an uplink estimate of target bits per second
// between layers video layers (1 to sfu.MaxLayers) once AudioBitrate is
// set aside. With simulcast, the low layer always runs (at most at its
// sfu.DefaultLayers bitrate, at least at a third of it), and each higher
// layer runs at its full bitrate only if the layers below it and it fit.
// A single layer gets what is left, up to the high layer's bitrate.
func SplitBitrate(target, layers int) (Bitrates, error) {
	if layers < 1 || layers > sfu.MaxLayers {
		return Bitrates{}, fmt.Errorf("media: %d video layers, 1 to %d", layers, sfu.MaxLayers)
	}
	b := Bitrates{Target: target, Layers: make([]int, layers)}
	left := max(target-AudioBitrate, 0)
	if layers == 1 {
		b.Layers[0] = max(min(left, sfu.DefaultLayers[sfu.LayerHigh].Bitrate), sfu.DefaultLayers[sfu.LayerLow].Bitrate/3)
		return b, nil
	}
	low := sfu.DefaultLayers[sfu.LayerLow].Bitrate
	b.Layers[0] = max(min(left, low), low/3)
	left -= b.Layers[0]
	for l := 1; l < layers; l++ {
		rate := sfu.DefaultLayers[l].Bitrate
		if rate > left {
			break
		}
		b.Layers[l] = rate
		left -= rate
	}
	return b, nil
}

// Uplink follows a publisher's send-side bandwidth estimate (the
// estimator sfu.BWE hands out with its peer connection: register it in
// the API's interceptors with BWE.Register, or build the API with
// sfu.NewAPIWithBWE) and reports the bitrates its encoders should take:
// the app calls each layer encoder's SetBitrate from OnChange.
type Uplink struct {
	est    cc.BandwidthEstimator
	layers int
}

// NewUplink follows est for a publisher of layers video layers.
func NewUplink(est cc.BandwidthEstimator, layers int) (*Uplink, error) {
	if _, err := SplitBitrate(0, layers); err != nil {
		return nil, err
	}
	return &Uplink{est: est, layers: layers}, nil
}

// Bitrates is the split of the current estimate.
func (u *Uplink) Bitrates() Bitrates {
	b, _ := SplitBitrate(u.est.GetTargetBitrate(), u.layers) // layers was checked
	return b
}

// OnChange calls f with the new split every time the estimate changes,
// from the estimator's goroutine; it replaces any earlier f.
func (u *Uplink) OnChange(f func(Bitrates)) {
	u.est.OnTargetBitrateChange(func(target int) {
		b, _ := SplitBitrate(target, u.layers)
		f(b)
	})
}

// followUplink has the video bitrates of c's Session (VideoBitrates)
// follow est, the estimate of this participant's uplink to its host.
func (c *sfuClient) followUplink(est cc.BandwidthEstimator) {
	u, err := NewUplink(est, max(c.s.cfg.VideoLayers, 1))
	if err != nil { // Config.VideoLayers was checked
		return
	}
	b := u.Bitrates()
	c.rates.Store(&b)
	u.OnChange(func(b Bitrates) { c.rates.Store(&b) })
}

// VideoBitrates is what each layer's encoder should send now, in bits per
// second, by layer (0: stop encoding that layer, the uplink does not
// carry it), as SplitBitrate divides the estimate of this participant's
// uplink to its SFU host; nil in a mesh or with no estimate, when the
// encoders keep their own bitrates.
func (s *Session) VideoBitrates() []int {
	c := s.sfu.Load()
	if c == nil {
		return nil
	}
	b := c.rates.Load()
	if b == nil {
		return nil
	}
	return slices.Clone(b.Layers)
}
