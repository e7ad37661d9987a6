// Package sfu is a selective forwarding unit for calls too large for a
// full mesh: every participant has one WebRTC peer connection to it, on
// which it publishes its audio and video and receives the others'. The
// SFU never holds a media key: frames arrive end-to-end encrypted with
// SFrame (package call/sframe) and leave as they came; it reads only RTP
// headers, header extensions and the clear codec header (VP8's frame tag,
// to switch video at key frames).
//
// Each subscriber has its own queue and goroutine, so one slow receiver
// never delays another. A subscriber receives on fixed slots it offers
// itself (recvonly transceivers), so nobody renegotiates when someone
// joins or leaves: up to MaxAudioSlots audio slots carry the loudest
// speakers other than itself, chosen by the RFC 6464 audio level the
// senders put in every audio packet, and only their speech: a packet
// whose voice-activity flag is clear goes to no one; its video slots carry the tiles it
// shows (its last-N, set with SetShown). Every forwarded packet carries
// the sender's SourceTag as its CSRC (Source), so the receiver knows
// whose keys decrypt it. NACK, RTCP reports and transport-wide congestion
// feedback (on video) are pion/interceptor's, on both legs.
//
// An SFU call's connections (NewAPI) are made for its egress, which in a
// 32-person voice call is three voices to each of 31 listeners: SRTP with
// HMAC-SHA1-80 rather than AES-GCM (SRTPProfiles), no audio level and no
// transport-wide sequence number on forwarded audio, and the sender in a
// 4-byte CSRC; call/codec/opus's SFUConfig is the voice it is sized for.
//
// A publisher may send its video as simulcast (AddSimulcast): up to
// MaxLayers encodings of one source, told apart by their RIDs. Per
// subscriber and source one layer is forwarded: the one the subscriber
// wants (SetLayers, from its LayerRequest: the speaker tile high, grid
// tiles low) unless its bandwidth, estimated by GCC on the SFU's sending
// leg (Config.BWE), does not carry it. A slot switches layer only at a
// key frame of the new layer, which it asks the publisher for, and
// continues the sequence numbers and timestamps it sent before.
//
// A subscriber whose decoder lost a frame sends a key-frame request (RTCP
// PLI or FIR) on the slot: the SFU asks the publisher of what the slot
// carries for a key frame of that layer. Switches and losses share one
// limit per publisher and layer, one request per KeyRequestEvery, so that
// many subscribers cannot make a sender encode only key frames.
//
// A host that cannot judge who may take part (a relay: it reads no roles)
// restricts each participant to those it may exchange media with
// (Allow): one restricted receives only their media, and its own goes
// only to those whose restriction names it; a source it may not receive
// takes none of its slots, however loud.
//
// The package does not carry its own messages: an offer comes to Join
// and its answer goes back through whatever signalling the caller uses
// (package call), as does a subscriber's choice of tiles.
package sfu

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// AudioLevelURI names the RFC 6464 audio level header extension that
// every sender sets on its audio packets.
const AudioLevelURI = sdp.AudioLevelURI

// Errors a caller may branch on.
var (
	// ErrClosed: the SFU was closed.
	ErrClosed = errors.New("sfu: closed")
	// ErrBadPeer: a participant id is empty or too long, or names no
	// participant.
	ErrBadPeer = errors.New("sfu: bad participant")
	// ErrFull: MaxParticipants participants are in the call.
	ErrFull = errors.New("sfu: call full")
	// ErrBadOffer: an offer is too large or not one the SFU can answer.
	ErrBadOffer = errors.New("sfu: bad offer")
	// ErrTooManyShown: a subscriber asked for more tiles than it has video
	// slots.
	ErrTooManyShown = errors.New("sfu: more tiles than video slots")
)

// RegisterExtensions registers the header extension an SFU call uses
// (the audio level, which every publisher sets on its audio and the SFU
// ranks speakers by) in a MediaEngine; participants register it as well.
func RegisterExtensions(m *webrtc.MediaEngine) error {
	if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: AudioLevelURI}, webrtc.RTPCodecTypeAudio); err != nil {
		return fmt.Errorf("sfu: audio level extension: %w", err)
	}
	return nil
}

// SRTPProfiles are the DTLS-SRTP protection profiles an SFU call's
// connections offer, the preferred first; both ends of every such
// connection are made by NewAPI (or NewAPIWithBWE), so the first is the
// one negotiated. A mesh call keeps pion's default (AES-GCM first).
//
// SRTP_AES128_CM_HMAC_SHA1_80 is RFC 5764's mandatory profile: AES
// counter mode and an 80-bit HMAC-SHA1 tag, 10 bytes a packet against
// AES-GCM's 16 (0.23 Mbit/s of a 32-person voice call's egress when
// everyone talks). What the hop-by-hop tag still protects once SFrame
// authenticates every payload end to end (with its own 80-bit tag): the
// RTP header, its sequence number, timestamp, marker and CSRC (the
// SourceTag), against anyone on the path but the SFU itself. 80 bits are
// as hard to forge as SFrame's tag; a forged header that got through
// would name a sender or a position whose frame then fails SFrame's check.
// The 4-byte tag of RFC 3711's audio profile (SRTP_AES128_CM_HMAC_SHA1_32)
// would save 6 bytes more, but pion/webrtc v4 does not run it (its DTLS
// transport knows only the profiles listed here and the NULL one).
var SRTPProfiles = []dtls.SRTPProtectionProfile{
	dtls.SRTP_AES128_CM_HMAC_SHA1_80,
	dtls.SRTP_AEAD_AES_128_GCM,
	dtls.SRTP_AEAD_AES_256_GCM,
}

// NewAPI returns a pion API for an SFU or its participants: the default
// codecs, the extensions of RegisterExtensions, the SRTP profiles of
// SRTPProfiles and the default interceptors (NACK generator and
// responder, RTCP reports, statistics, TWCC feedback), with transport-wide
// congestion control on video only: the SFU's estimate of a subscriber's
// downlink chooses video layers, and 3 voices add little to what video
// tells it (WebRTC's audio long did without it by default too), while on
// every forwarded voice packet its sequence number would cost 4 bytes.
func NewAPI(se webrtc.SettingEngine) (*webrtc.API, error) {
	m, reg, err := newEngine()
	if err != nil {
		return nil, err
	}
	se.SetSRTPProtectionProfiles(SRTPProfiles...)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se)), nil
}

// newEngine returns the media engine and interceptors of NewAPI.
func newEngine() (*webrtc.MediaEngine, *interceptor.Registry, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, nil, fmt.Errorf("sfu: codecs: %w", err)
	}
	if err := RegisterExtensions(m); err != nil {
		return nil, nil, err
	}
	reg := &interceptor.Registry{}
	// webrtc.RegisterDefaultInterceptors, but for TWCC on audio.
	if err := webrtc.ConfigureNack(m, reg); err != nil {
		return nil, nil, fmt.Errorf("sfu: NACK: %w", err)
	}
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return nil, nil, fmt.Errorf("sfu: RTCP reports: %w", err)
	}
	if err := webrtc.ConfigureSimulcastExtensionHeaders(m); err != nil {
		return nil, nil, fmt.Errorf("sfu: simulcast extensions: %w", err)
	}
	if err := webrtc.ConfigureStatsInterceptor(reg); err != nil {
		return nil, nil, fmt.Errorf("sfu: statistics: %w", err)
	}
	m.RegisterFeedback(webrtc.RTCPFeedback{Type: webrtc.TypeRTCPFBTransportCC}, webrtc.RTPCodecTypeVideo)
	if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.TransportCCURI}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, nil, fmt.Errorf("sfu: transport-wide congestion control: %w", err)
	}
	twccFeedback, err := twcc.NewSenderInterceptor()
	if err != nil {
		return nil, nil, fmt.Errorf("sfu: transport-wide congestion control: %w", err)
	}
	reg.Add(twccFeedback)
	return m, reg, nil
}

// Config configures an SFU.
type Config struct {
	// API builds the peer connections; nil means NewAPIWithBWE with a
	// default SettingEngine. It must have the extensions of
	// RegisterExtensions.
	API *webrtc.API
	// BWE, registered in API, estimates each subscriber's downlink to
	// choose the simulcast layers it receives (nil with a given API: no
	// estimate, every wanted layer is sent).
	BWE *BWE
	// ICEServers are STUN/TURN servers (none: host candidates only).
	ICEServers []webrtc.ICEServer
	// Logger receives protocol chatter at Debug (nil: discarded).
	Logger *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Stats is what the SFU did for one participant.
type Stats struct {
	// Peer is the participant's id.
	Peer string
	// Received counts the packets that arrived from it; Forwarded those
	// sent to it; Dropped those for it lost to a full queue, no free slot
	// or a failed write.
	Received, Forwarded, Dropped uint64
	// KeyFrameRequests counts the key frames the SFU asked of it as a
	// publisher (layer switches and subscribers' losses).
	KeyFrameRequests uint64
	// AudioSlots and VideoSlots are how many tracks of each kind it
	// receives on.
	AudioSlots, VideoSlots int
}

// SFU forwards one call's media. Its methods are safe for concurrent use.
type SFU struct {
	cfg Config
	api *webrtc.API
	log *slog.Logger
	r   *router

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool                    // guarded by mu
	parts  map[string]*participant // guarded by mu
	// allowed holds, by participant, the sources Allow lets it receive,
	// kept across its reconnections; absent: any, unless gated (an Allow
	// was made): none. Guarded by mu.
	allowed map[string]*map[string]struct{}
	gated   bool
}

// participant is one participant's connection to the SFU.
type participant struct {
	pc  *webrtc.PeerConnection
	src *source
	sub *subscriber
}

// New returns an SFU with no participants.
func New(cfg Config) (*SFU, error) {
	s := &SFU{cfg: cfg, api: cfg.API, log: cfg.Logger, parts: map[string]*participant{}, allowed: map[string]*map[string]struct{}{}}
	if s.api == nil {
		var err error
		if s.api, s.cfg.BWE, err = NewAPIWithBWE(webrtc.SettingEngine{}); err != nil {
			return nil, err
		}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "sfu")
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	s.r = newRouter(now)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

func checkPeerID(id string) error {
	if id == "" || len(id) > MaxPeerIDSize {
		return fmt.Errorf("%w: id of %d bytes", ErrBadPeer, len(id))
	}
	return nil
}

// Join connects a participant from its offer and returns the SFU's answer
// (with every ICE candidate). The offer's recvonly transceivers are the
// participant's slots: up to MaxAudioSlots audio and MaxVideoSlots video
// (more stay unused); its sendonly ones are what it publishes. A participant who joins again is
// reconnected from the new offer.
func (s *SFU) Join(id, offer string) (string, error) {
	if err := checkPeerID(id); err != nil {
		return "", err
	}
	if len(offer) > MaxSDPSize {
		return "", fmt.Errorf("%w: %d bytes", ErrBadOffer, len(offer))
	}
	s.Leave(id)
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return "", ErrClosed
	case len(s.parts) >= MaxParticipants:
		s.mu.Unlock()
		return "", fmt.Errorf("%w: %d participants", ErrFull, len(s.parts))
	}
	s.parts[id] = nil // reserved while connecting
	s.mu.Unlock()
	p, answer, err := s.connect(id, offer)
	s.mu.Lock()
	if err != nil || s.closed || s.parts[id] != nil {
		if s.parts[id] == nil {
			delete(s.parts, id)
		}
		s.mu.Unlock()
		if p != nil {
			_ = p.pc.GracefulClose()
		}
		if err == nil {
			err = ErrClosed
		}
		return "", err
	}
	s.parts[id] = p
	if from := s.allowed[id]; from != nil {
		p.sub.from.Store(from)
	} else if s.gated {
		p.sub.from.Store(&map[string]struct{}{})
	}
	s.r.addSource(p.src)
	s.r.addSubscriber(p.sub)
	s.mu.Unlock()
	return answer, nil
}

// connect makes the peer connection for a participant from its offer.
func (s *SFU) connect(id, offer string) (*participant, string, error) {
	pc, est, err := s.newPeerConnection()
	if err != nil {
		return nil, "", fmt.Errorf("sfu: peer connection for %s: %w", id, err)
	}
	p := &participant{pc: pc, src: &source{id: id, tag: SourceTag(id)}, sub: &subscriber{id: id}}
	if est != nil {
		p.sub.setBandwidth(est.GetTargetBitrate())
		est.OnTargetBitrateChange(p.sub.setBandwidth)
	}
	pc.OnTrack(func(t *webrtc.TrackRemote, recv *webrtc.RTPReceiver) { s.onTrack(p, t, recv) })
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		// Failed: gone without a word. Closed: it closed its end (pion
		// closes this one on its DTLS close_notify), as a participant
		// does whose call moved to another host or ended; no Failed
		// ever follows a Closed.
		gone := st == webrtc.PeerConnectionStateFailed || st == webrtc.PeerConnectionStateClosed
		if gone && s.startGoroutine() {
			go func() {
				defer s.wg.Done()
				s.leaveIf(id, p)
			}()
		}
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return p, "", fmt.Errorf("%w: from %s: %w", ErrBadOffer, id, err)
	}
	if err := s.addSlots(p); err != nil {
		return p, "", err
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return p, "", fmt.Errorf("%w: answer to %s: %w", ErrBadOffer, id, err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return p, "", fmt.Errorf("sfu: local description for %s: %w", id, err)
	}
	t := time.NewTimer(gatherTimeout)
	defer t.Stop()
	select {
	case <-gathered:
	case <-t.C:
		s.log.Debug("ICE gathering timed out; answering with the candidates found", "peer", id)
	case <-s.ctx.Done():
		return p, "", ErrClosed
	}
	return p, pc.LocalDescription().SDP, nil
}

// addSlots gives each of the offer's recvonly transceivers an outgoing
// track, and notes the extension ids negotiated for them.
func (s *SFU) addSlots(p *participant) error {
	var want [Video + 1]int
	for _, t := range p.pc.GetTransceivers() {
		if t.Direction() != webrtc.RTPTransceiverDirectionSendonly || t.Sender() != nil {
			continue
		}
		switch t.Kind() {
		case webrtc.RTPCodecTypeAudio:
			want[Audio] = min(want[Audio]+1, MaxAudioSlots)
		case webrtc.RTPCodecTypeVideo:
			want[Video] = min(want[Video]+1, MaxVideoSlots)
		}
	}
	for kind := Audio; kind <= Video; kind++ {
		capab := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
		if kind == Video {
			capab = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
		}
		for i := range want[kind] {
			track, err := webrtc.NewTrackLocalStaticRTP(capab, fmt.Sprintf("%s%d", kindName(kind), i), "sfu")
			if err != nil {
				return fmt.Errorf("sfu: track: %w", err)
			}
			snd, err := p.pc.AddTrack(track)
			if err != nil {
				return fmt.Errorf("sfu: track for %s: %w", p.src.id, err)
			}
			for _, t := range p.pc.GetTransceivers() {
				if t.Sender() == snd && t.Direction() != webrtc.RTPTransceiverDirectionSendonly {
					return fmt.Errorf("%w: from %s: a slot would take a published track's transceiver", ErrBadOffer, p.src.id)
				}
			}
			sl := &slot{out: track}
			if kind == Audio {
				p.sub.audio = append(p.sub.audio, sl)
			} else {
				p.sub.video = append(p.sub.video, sl)
			}
			if !s.startGoroutine() {
				return ErrClosed
			}
			go func() { // RTCP must be read for the interceptors (NACK, reports) to run
				defer s.wg.Done()
				for {
					pkts, _, err := snd.ReadRTCP()
					if err != nil {
						return
					}
					if kind == Video && AsksKeyFrame(pkts) && s.r.keyFrameLost(sl) {
						s.log.Debug("key frame asked for a subscriber", "peer", p.src.id)
					}
				}
			}()
		}
	}
	return nil
}

// AsksKeyFrame reports whether RTCP packets ask for a key frame (a PLI
// or a FIR).
func AsksKeyFrame(pkts []rtcp.Packet) bool {
	for _, p := range pkts {
		switch p.(type) {
		case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
			return true
		}
	}
	return false
}

func kindName(k Kind) string {
	if k == Audio {
		return "audio"
	}
	return "video"
}

// startGoroutine accounts for a goroutine about to start, unless the SFU
// is closed.
func (s *SFU) startGoroutine() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

// onTrack reads a participant's published track until its connection
// closes, handing every packet to the router.
func (s *SFU) onTrack(p *participant, t *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	var kind Kind
	switch t.Kind() {
	case webrtc.RTPCodecTypeAudio:
		kind = Audio
	case webrtc.RTPCodecTypeVideo:
		kind = Video
	default:
		return
	}
	var levelID uint8
	for _, ext := range recv.GetParameters().HeaderExtensions {
		if ext.URI == AudioLevelURI {
			levelID = uint8(ext.ID)
		}
	}
	layer := LayerLow
	if kind == Video {
		var err error
		if layer, err = LayerOfRID(t.RID()); err != nil {
			s.log.Debug("published track refused", "peer", p.src.id, "err", err)
			return
		}
		ssrc := uint32(t.SSRC())
		kf := func() {
			_ = p.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
		}
		p.src.keyFrame[layer].Store(&kf)
	}
	if !s.startGoroutine() {
		return
	}
	go func() {
		defer s.wg.Done()
		for {
			pkt, _, err := t.ReadRTP()
			if err != nil {
				return
			}
			in := classify(p.src, kind, levelID, pkt, s.r.now())
			in.layer = layer
			s.r.publish(in)
		}
	}()
}

// classify reads what the router needs from a packet: its audio level or
// whether it starts a video key frame.
func classify(src *source, kind Kind, levelID uint8, pkt *rtp.Packet, now time.Time) inPacket {
	in := inPacket{src: src, kind: kind, level: -1, pkt: pkt, arrived: now}
	if kind == Audio {
		if b := pkt.GetExtension(levelID); levelID != 0 && len(b) == 1 {
			in.level, in.voice = int(b[0]&0x7f), b[0]&0x80 != 0
		}
	} else {
		in.key = vp8KeyFrameStart(pkt.Payload)
	}
	return in
}

// vp8KeyFrameStart reports whether an RTP payload of VP8 (RFC 7741) is
// the first packet of a key frame: the start of partition 0 whose frame
// tag (in clear under SFrame) has the P bit clear.
func vp8KeyFrameStart(p []byte) bool {
	if len(p) < 1 {
		return false
	}
	b0 := p[0]
	if b0&0x10 == 0 || b0&0x07 != 0 { // S bit clear, or not partition 0
		return false
	}
	i := 1
	if b0&0x80 != 0 { // X: extension byte
		if len(p) <= i {
			return false
		}
		x := p[i]
		i++
		if x&0x80 != 0 { // I: picture id, 1 or 2 bytes
			if len(p) <= i {
				return false
			}
			if p[i]&0x80 != 0 {
				i += 2
			} else {
				i++
			}
		}
		if x&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if x&0x30 != 0 { // T or K: TID/KEYIDX byte
			i++
		}
	}
	return len(p) > i && p[i]&1 == 0
}

// SetShown sets the participants whose video a subscriber shows (its
// last-N): their video and no other's is forwarded to it, at most one per
// video slot it offered.
func (s *SFU) SetShown(id string, shown []string) error {
	s.mu.Lock()
	p := s.parts[id]
	s.mu.Unlock()
	if p == nil {
		return fmt.Errorf("%w: %q is not in the call", ErrBadPeer, id)
	}
	if len(shown) > len(p.sub.video) {
		return fmt.Errorf("%w: %d tiles, %d slots", ErrTooManyShown, len(shown), len(p.sub.video))
	}
	set := make(map[string]struct{}, len(shown))
	for _, other := range shown {
		if err := checkPeerID(other); err != nil {
			return err
		}
		set[other] = struct{}{}
	}
	p.sub.shown.Store(&set)
	return nil
}

// Allow restricts whom participant id exchanges media with: it receives
// the media of those in from only, and its own goes to those only whose
// Allow names it. It holds from then on, over its reconnections, until
// Forget; called before id joins, it holds from its first packet. Without
// an Allow, a participant exchanges media with everyone, until the
// first Allow: from then on one that joins with none (never named, or
// forgotten) receives nothing.
func (s *SFU) Allow(id string, from []string) error {
	if err := checkPeerID(id); err != nil {
		return err
	}
	if len(from) > MaxParticipants {
		return fmt.Errorf("%w: allowed %d participants", ErrFull, len(from))
	}
	set := make(map[string]struct{}, len(from))
	for _, o := range from {
		if err := checkPeerID(o); err != nil {
			return err
		}
		set[o] = struct{}{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.allowed) >= MaxAllowed && s.allowed[id] == nil {
		return fmt.Errorf("%w: restrictions for %d participants already", ErrFull, len(s.allowed))
	}
	s.allowed[id] = &set
	s.gated = true
	if p := s.parts[id]; p != nil {
		p.sub.from.Store(&set)
	}
	return nil
}

// Forget lifts participant id's Allow (if it joins again it receives
// nothing, or, if no Allow was ever made, everything) and leaves the
// others' as they are.
func (s *SFU) Forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.allowed, id)
}

// Leave disconnects a participant: nothing of its is forwarded from then
// on. Leaving twice, or without having joined, does nothing.
func (s *SFU) Leave(id string) {
	s.mu.Lock()
	p, ok := s.parts[id]
	if ok && p != nil {
		delete(s.parts, id)
	}
	s.mu.Unlock()
	if p == nil {
		return
	}
	s.r.removeSource(id)
	s.r.removeSubscriber(id)
	_ = p.pc.GracefulClose()
}

// leaveIf disconnects participant id if p is still its connection.
func (s *SFU) leaveIf(id string, p *participant) {
	s.mu.Lock()
	same := s.parts[id] == p
	s.mu.Unlock()
	if same {
		s.Leave(id)
	}
}

// Stats returns what the SFU did for each participant.
func (s *SFU) Stats() []Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Stats, 0, len(s.parts))
	for id, p := range s.parts {
		if p == nil {
			continue
		}
		out = append(out, Stats{
			Peer: id, Received: p.src.received.Load(),
			Forwarded: p.sub.forwarded.Load(), Dropped: p.sub.dropped.Load(), KeyFrameRequests: p.src.keyAsks.Load(),
			AudioSlots: len(p.sub.audio), VideoSlots: len(p.sub.video),
		})
	}
	slices.SortFunc(out, func(a, b Stats) int { return cmp.Compare(a.Peer, b.Peer) })
	return out
}

// Close disconnects everyone and stops every goroutine the SFU started.
// It is idempotent.
func (s *SFU) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	var ids []string
	for id := range s.parts {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	s.cancel()
	for _, id := range ids {
		s.Leave(id)
	}
	s.r.close()
	s.wg.Wait()
	return nil
}
