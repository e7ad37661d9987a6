package sfu

import (
	"fmt"
	"sync"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Bandwidth estimation bounds, in bits per second.
const (
	// MinBitrate is the least an estimate falls to: the low layer and
	// the audio of three speakers.
	MinBitrate = 200_000
	// InitialBitrate is the estimate a connection starts from.
	InitialBitrate = 1_000_000
	// MaxBitrate bounds an estimate: a call never needs more downlink.
	MaxBitrate = 20_000_000
)

// BWE gives every peer connection an API builds a send-side bandwidth
// estimator (Google Congestion Control over the receiver's
// transport-wide congestion control feedback, pion/interceptor's gcc),
// and hands it to whoever made the connection. Register it in the API's
// interceptor registry, then make connections with NewPeerConnection.
// The estimator does not pace or drop packets: it only estimates.
type BWE struct {
	mu      sync.Mutex // held across a connection's construction
	pending cc.BandwidthEstimator
}

// Register adds the estimator's interceptor, and the transport-wide
// sequence number extension it needs on outgoing video, to m and reg.
func (b *BWE) Register(m *webrtc.MediaEngine, reg *interceptor.Registry) error {
	f, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) {
		return gcc.NewSendSideBWE(gcc.SendSideBWEInitialBitrate(InitialBitrate),
			gcc.SendSideBWEMinBitrate(MinBitrate), gcc.SendSideBWEMaxBitrate(MaxBitrate),
			gcc.SendSideBWEPacer(gcc.NewNoOpPacer()))
	})
	if err != nil {
		return fmt.Errorf("sfu: bandwidth estimator: %w", err)
	}
	f.OnNewPeerConnection(func(_ string, e cc.BandwidthEstimator) { b.pending = e })
	reg.Add(f)
	// webrtc.ConfigureTWCCHeaderExtensionSender, on video only (NewAPI).
	if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.TransportCCURI}, webrtc.RTPCodecTypeVideo); err != nil {
		return fmt.Errorf("sfu: transport-wide congestion control: %w", err)
	}
	seq, err := twcc.NewHeaderExtensionInterceptor()
	if err != nil {
		return fmt.Errorf("sfu: transport-wide congestion control: %w", err)
	}
	reg.Add(seq)
	return nil
}

// NewPeerConnection makes a peer connection with api, in whose registry
// b was registered, and returns it with its estimator.
func (b *BWE) NewPeerConnection(api *webrtc.API, cfg webrtc.Configuration) (*webrtc.PeerConnection, cc.BandwidthEstimator, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending = nil
	pc, err := api.NewPeerConnection(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("sfu: peer connection: %w", err)
	}
	e := b.pending
	b.pending = nil
	if e == nil {
		_ = pc.Close()
		return nil, nil, fmt.Errorf("sfu: the API has no bandwidth estimator registered")
	}
	return pc, e, nil
}

// NewAPIWithBWE is NewAPI with a bandwidth estimator on every connection
// the API makes: the API for an SFU (Config.API and Config.BWE) or a
// publisher that adapts its encoders to its uplink.
func NewAPIWithBWE(se webrtc.SettingEngine) (*webrtc.API, *BWE, error) {
	m, reg, err := newEngine()
	if err != nil {
		return nil, nil, err
	}
	b := &BWE{}
	if err := b.Register(m, reg); err != nil {
		return nil, nil, err
	}
	se.SetSRTPProtectionProfiles(SRTPProfiles...)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se)), b, nil
}

// newPeerConnection makes a participant's connection, with its
// estimator when the SFU has one.
func (s *SFU) newPeerConnection() (*webrtc.PeerConnection, cc.BandwidthEstimator, error) {
	cfg := webrtc.Configuration{ICEServers: s.cfg.ICEServers}
	if s.cfg.BWE != nil {
		return s.cfg.BWE.NewPeerConnection(s.api, cfg)
	}
	pc, err := s.api.NewPeerConnection(cfg)
	return pc, nil, err
}
