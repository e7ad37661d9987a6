package media

import (
	"fmt"
	"slices"
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

// showSynthetic, for a synthetic participant, asks for the tiles the
// app's call window would show it (as ShowLayers does): syntheticTiles of
// the roster. s.mu is held.
func (s *Session) showSynthetic() {
	if !s.cfg.Synthetic {
		return
	}
	others := make([]string, 0, len(s.roster))
	for id := range s.roster {
		others = append(others, id)
	}
	req := sfu.LayerRequest{Want: syntheticTiles(s.cfg.Self, others)}
	if req.Check() != nil { // roster holds at most MaxPeers checked ids
		return
	}
	s.layers.Store(&req)
	s.wakeLayers()
}

// syntheticTiles is the tiles a synthetic participant self shows of
// others, as the app's call window draws them: a grid of SFUVideoSlots
// tiles, the first one large. It shows the participants that follow it in
// sorted order (wrapping round), as the SFU host does for a subscriber
// that asks nothing, so that every participant's video reaches some
// subscriber: the first at the top layer of SyntheticLayers, the others
// at sfu.LayerLow. So every publisher's top layer is asked for by the
// participant before it, and its low layer by the others that show it.
func syntheticTiles(self string, others []string) map[string]sfu.Layer {
	ids := slices.Sorted(slices.Values(append(slices.Clone(others), self)))
	ids = slices.Compact(ids)
	i, _ := slices.BinarySearch(ids, self)
	want := map[string]sfu.Layer{}
	for d := 1; d < len(ids) && len(want) < SFUVideoSlots; d++ {
		l := sfu.LayerLow
		if d == 1 {
			l = sfu.Layer(len(SyntheticLayers) - 1)
		}
		want[ids[(i+d)%len(ids)]] = l
	}
	return want
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
