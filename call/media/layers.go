package media

import (
	"fmt"
	"time"

	"github.com/umbrella-p2p/umbrella/call/sfu"
)

// LayerRetry is how long a Session waits before it sends a layer request
// again that its signalling refused (the host was not ready).
const LayerRetry = time.Second

// ShowLayers says whose video this participant shows, and how large:
// want maps a participant to the simulcast layer its tile needs
// (sfu.LayerHigh or sfu.LayerMid for the speaker's large tile,
// sfu.LayerLow for a grid tile); a participant not named is hidden. Through
// an SFU the host then forwards those tiles and no other, each at its
// layer or, when this participant's downlink does not carry it, a lower
// one; the request goes to the host in the background (Config.Layers),
// again to each new host. In a mesh it changes nothing: every
// participant's one layer arrives.
func (s *Session) ShowLayers(want map[string]sfu.Layer) error {
	req := sfu.LayerRequest{Want: make(map[string]sfu.Layer, len(want))}
	for id, l := range want {
		req.Want[id] = l
	}
	if err := req.Check(); err != nil {
		return fmt.Errorf("media: %w", err)
	}
	s.layers.Store(&req)
	s.wakeLayers()
	return nil
}

// wakeLayers has the layer request goroutine look again.
func (s *Session) wakeLayers() {
	select {
	case s.layersWake <- struct{}{}:
	default:
	}
}

// layerRequests sends the latest layer request (ShowLayers) to the SFU
// host through Config.Layers whenever it changed or the host did, until
// Close. It runs only when Config.Layers is set.
func (s *Session) layerRequests() {
	defer s.wg.Done()
	var (
		sentTo  *sfuClient
		sentReq *sfu.LayerRequest
	)
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.layersWake:
		case <-retry.C:
		}
		c, req := s.sfu.Load(), s.layers.Load()
		if c == nil || !c.answered.Load() || req == nil || c == sentTo && req == sentReq {
			continue
		}
		blob, err := req.MarshalBinary()
		if err != nil { // ShowLayers checked it
			continue
		}
		if err := s.cfg.Layers(blob); err != nil {
			s.log.Debug("layer request not sent", "host", c.host, "err", err)
			retry.Reset(LayerRetry)
			continue
		}
		sentTo, sentReq = c, req
	}
}
