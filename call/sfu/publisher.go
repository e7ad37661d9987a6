package sfu

import (
	"fmt"
	"sync"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Simulcast is a publisher's simulcast video: one local track per layer,
// all of one sender (one m= section with a RID for each layer), as the
// SFU expects. It encodes nothing: the app's encoders (one per layer,
// sized and paced as DefaultLayers says) write their packets with
// WriteRTP, SFrame-encrypted as every frame is.
type Simulcast struct {
	// Sender is the transceiver's sender; read its RTCP (KeyFrames does).
	Sender *webrtc.RTPSender
	tx     *webrtc.RTPTransceiver
	tracks []*webrtc.TrackLocalStaticRTP

	mu           sync.Mutex
	mid          string // the transceiver's mid once negotiated; guarded by mu
	midID, ridID uint8  // the negotiated extension ids; guarded by mu
}

// AddSimulcast adds a sendonly video transceiver with layers simulcast
// layers (1 to MaxLayers, LayerLow first) of stream's video to pc, whose
// API must have the simulcast header extensions (NewAPI's default
// interceptors register them). Call it before the offer.
func AddSimulcast(pc *webrtc.PeerConnection, stream string, layers int) (*Simulcast, error) {
	if layers < 1 || layers > MaxLayers {
		return nil, fmt.Errorf("%w: %d layers, 1 to %d", ErrBadLayer, layers, MaxLayers)
	}
	capab := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	s := &Simulcast{}
	for l := range layers {
		t, err := webrtc.NewTrackLocalStaticRTP(capab, "video", stream, webrtc.WithRTPStreamID(LayerRIDs[l]))
		if err != nil {
			return nil, fmt.Errorf("sfu: simulcast track: %w", err)
		}
		s.tracks = append(s.tracks, t)
	}
	x, err := pc.AddTransceiverFromTrack(s.tracks[0], webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return nil, fmt.Errorf("sfu: simulcast transceiver: %w", err)
	}
	s.Sender, s.tx = x.Sender(), x
	for _, t := range s.tracks[1:] {
		if err := s.Sender.AddEncoding(t); err != nil {
			return nil, fmt.Errorf("sfu: simulcast layer %s: %w", t.RID(), err)
		}
	}
	return s, nil
}

// Layers is how many layers s sends.
func (s *Simulcast) Layers() int { return len(s.tracks) }

// WriteRTP sends one packet of a layer, with the MID and RID header
// extensions by which the receiver tells the layers apart (pion does not
// add them). Before negotiation completes it sends nothing.
func (s *Simulcast) WriteRTP(l Layer, p *rtp.Packet) error {
	if int(l) >= len(s.tracks) {
		return fmt.Errorf("%w: layer %d of %d", ErrBadLayer, l, len(s.tracks))
	}
	mid, midID, ridID := s.ids()
	if mid == "" {
		return nil
	}
	if err := p.Header.SetExtension(midID, []byte(mid)); err != nil {
		return fmt.Errorf("sfu: simulcast mid: %w", err)
	}
	if err := p.Header.SetExtension(ridID, []byte(LayerRIDs[l])); err != nil {
		return fmt.Errorf("sfu: simulcast rid: %w", err)
	}
	if err := s.tracks[l].WriteRTP(p); err != nil {
		return fmt.Errorf("sfu: simulcast layer %d: %w", l, err)
	}
	return nil
}

// KeyFrames reads the RTCP of every layer until the connection closes
// and calls f with the layer of every key frame request (PLI or FIR) that
// names it: the app forces a key frame of that layer's encoder. f may be
// called from several goroutines at once. Reading RTCP also keeps the
// interceptors (NACK, reports, bandwidth estimation) running.
func (s *Simulcast) KeyFrames(f func(Layer)) error {
	errs := make(chan error, len(s.tracks))
	for l := range Layer(len(s.tracks)) {
		go func() {
			for {
				pkts, _, err := s.Sender.ReadSimulcastRTCP(LayerRIDs[l])
				if err != nil {
					errs <- fmt.Errorf("sfu: simulcast RTCP of layer %d: %w", l, err)
					return
				}
				for _, p := range pkts {
					switch p.(type) {
					case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
						f(l)
					}
				}
			}
		}()
	}
	var err error
	for range s.tracks {
		err = <-errs
	}
	return err
}

// ids returns the transceiver's mid and the ids of the MID and RID
// extensions once they are negotiated ("" before).
func (s *Simulcast) ids() (string, uint8, uint8) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mid != "" {
		return s.mid, s.midID, s.ridID
	}
	mid := s.tx.Mid()
	var midID, ridID uint8
	for _, e := range s.Sender.GetParameters().HeaderExtensions {
		switch e.URI {
		case sdp.SDESMidURI:
			midID = uint8(e.ID)
		case sdp.SDESRTPStreamIDURI:
			ridID = uint8(e.ID)
		}
	}
	if mid == "" || midID == 0 || ridID == 0 {
		return "", 0, 0
	}
	s.mid, s.midID, s.ridID = mid, midID, ridID
	return mid, midID, ridID
}
