package sfu

import (
	"errors"
	"fmt"
	"slices"
)

// Layer is one of a simulcast publisher's video encodings of the same
// source, LayerLow the smallest. A publisher without simulcast sends only
// LayerLow.
type Layer uint8

// The simulcast layers.
const (
	// LayerLow is a grid tile's layer (320×180 at about 150 kbit/s).
	LayerLow Layer = 0
	// LayerMid is a large grid tile's layer (640×360 at about 500 kbit/s).
	LayerMid Layer = 1
	// LayerHigh is the speaker tile's layer (1280×720 at about 1.2 Mbit/s).
	LayerHigh Layer = 2
)

// LayerRIDs are the RTP stream ids (RFC 8852) a publisher gives its
// layers, by Layer.
var LayerRIDs = [MaxLayers]string{"q", "h", "f"}

// LayerSpec describes one simulcast layer a publisher encodes.
type LayerSpec struct {
	// Width and Height are the encoded picture's size.
	Width, Height int
	// Bitrate is the layer's target bitrate, in bits per second.
	Bitrate int
}

// DefaultLayers are the layers a simulcast publisher encodes, by Layer;
// the router budgets a subscriber's bandwidth with their bitrates.
var DefaultLayers = [MaxLayers]LayerSpec{
	{Width: 320, Height: 180, Bitrate: 150_000},
	{Width: 640, Height: 360, Bitrate: 500_000},
	{Width: 1280, Height: 720, Bitrate: 1_200_000},
}

// LayerOfRID returns the layer a published track's RTP stream id names:
// no id is a publisher without simulcast (LayerLow).
func LayerOfRID(rid string) (Layer, error) {
	if rid == "" {
		return LayerLow, nil
	}
	if i := slices.Index(LayerRIDs[:], rid); i >= 0 {
		return Layer(i), nil
	}
	return 0, fmt.Errorf("%w: unknown simulcast stream id %q", ErrBadLayer, rid)
}

// ErrBadLayer: a layer request or a published stream names a layer that
// does not exist, or a request is malformed or too large.
var ErrBadLayer = errors.New("sfu: bad layer")

// LayerRequest is a subscriber's message to the SFU: the layer it wants
// of each source it shows (LayerHigh for the speaker tile, LayerLow for a
// grid tile). A shown source it does not name gets LayerLow. The SFU
// forwards the wanted layer, or a lower one when the subscriber's
// estimated bandwidth does not carry it.
type LayerRequest struct {
	// Want maps a source's participant id to its wanted layer.
	Want map[string]Layer
}

// layerRequestVersion is the first byte of an encoded LayerRequest.
const layerRequestVersion = 1

// Check reports whether r is one the SFU accepts: at most
// MaxLayerRequests sources, each a valid participant id with an
// existing layer.
func (r LayerRequest) Check() error {
	if len(r.Want) > MaxLayerRequests {
		return fmt.Errorf("%w: %d sources, at most %d", ErrBadLayer, len(r.Want), MaxLayerRequests)
	}
	for id, l := range r.Want {
		if err := checkPeerID(id); err != nil {
			return fmt.Errorf("%w: %w", ErrBadLayer, err)
		}
		if l >= MaxLayers {
			return fmt.Errorf("%w: layer %d for %q", ErrBadLayer, l, id)
		}
	}
	return nil
}

// MarshalBinary encodes r: a version byte, a count byte, then for each
// source (in id order) its id's length byte, the id and the layer byte.
func (r LayerRequest) MarshalBinary() ([]byte, error) {
	if err := r.Check(); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(r.Want))
	for id := range r.Want {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	b := []byte{layerRequestVersion, byte(len(ids))}
	for _, id := range ids {
		b = append(b, byte(len(id)))
		b = append(b, id...)
		b = append(b, byte(r.Want[id]))
	}
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary encodes, refusing anything
// longer than MaxLayerRequestSize, a source named twice, trailing bytes
// and whatever Check refuses.
func (r *LayerRequest) UnmarshalBinary(b []byte) error {
	if len(b) > MaxLayerRequestSize {
		return fmt.Errorf("%w: request of %d bytes", ErrBadLayer, len(b))
	}
	if len(b) < 2 || b[0] != layerRequestVersion {
		return fmt.Errorf("%w: not a layer request", ErrBadLayer)
	}
	n := int(b[1])
	if n > MaxLayerRequests {
		return fmt.Errorf("%w: %d sources, at most %d", ErrBadLayer, n, MaxLayerRequests)
	}
	want := make(map[string]Layer, n)
	b = b[2:]
	for range n {
		if len(b) < 1 || len(b) < 1+int(b[0])+1 {
			return fmt.Errorf("%w: truncated", ErrBadLayer)
		}
		l := int(b[0])
		id := string(b[1 : 1+l])
		if _, dup := want[id]; dup {
			return fmt.Errorf("%w: %q named twice", ErrBadLayer, id)
		}
		want[id] = Layer(b[1+l])
		b = b[2+l:]
	}
	if len(b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrBadLayer, len(b))
	}
	req := LayerRequest{Want: want}
	if err := req.Check(); err != nil {
		return err
	}
	*r = req
	return nil
}

// SetLayers sets the layer a subscriber wants of each source it shows
// (from its LayerRequest); it replaces the previous request.
func (s *SFU) SetLayers(id string, req LayerRequest) error {
	if err := req.Check(); err != nil {
		return err
	}
	p := s.part(id)
	if p == nil {
		return fmt.Errorf("%w: %q is not in the call", ErrBadPeer, id)
	}
	want := make(map[string]Layer, len(req.Want))
	for src, l := range req.Want {
		want[src] = l
	}
	p.sub.want.Store(&want)
	p.sub.gen.Add(1)
	return nil
}

// SetBandwidth sets a subscriber's estimated downlink, in bits per
// second, which caps the layers it receives (0: no limit). The SFU's own
// estimator (Config.BWE) calls it; a test or an operator may too.
func (s *SFU) SetBandwidth(id string, bps int) error {
	p := s.part(id)
	if p == nil {
		return fmt.Errorf("%w: %q is not in the call", ErrBadPeer, id)
	}
	p.sub.setBandwidth(bps)
	return nil
}

// setBandwidth records a new estimate, and has the layers chosen again
// when it changed.
func (sub *subscriber) setBandwidth(bps int) {
	if old := sub.bandwidth.Swap(int64(max(bps, 0))); old != int64(bps) {
		sub.gen.Add(1)
	}
}

// part returns a connected participant, or nil.
func (s *SFU) part(id string) *participant {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.parts[id]
}
