// Package media is one participant's media in one call: a full mesh of
// WebRTC peer connections (pion/webrtc), one per remote participant, each
// carrying an Opus audio track and, for video calls, a VP8 video track.
// Every frame is end-to-end encrypted with SFrame (package call/sframe)
// before it is packetised, so the same ciphertext goes to every
// participant and nobody who forwards packets can read it; receivers
// reassemble frames, decrypt them under the sender's keys, count what
// arrives and hand it to the program's Sink.
//
// The package does not carry its own messages: offers and answers leave
// through Config.Signal and come back through HandleSignal, inside the
// signalling protocol of package call, which also chooses, distributes and
// rotates the SFrame keys (SetSendKey, SetRecvKey, DropRecvKeys). It never
// decides who may take part in a call. It uses no cgo: headless
// participants send synthetic frames of real encoders' sizes, each stamped
// with a frame number and send time inside the encryption; codecs and
// devices belong to the app, which sends encoded frames through Send and
// takes decrypted ones through a Sink (frames.go).
package media

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"github.com/umbrella-p2p/umbrella/call/sframe"
	"github.com/umbrella-p2p/umbrella/call/sfu"
)

// Suite is the SFrame cipher suite of every call: the one WebRTC's SFrame
// uses, with an 80-bit tag.
const Suite = sframe.AES128CTRHMACSHA256_80

// Errors a caller may branch on.
var (
	// ErrClosed: the Session was closed.
	ErrClosed = errors.New("media: session closed")
	// ErrBadPeer: a participant id is empty, too long, this participant's
	// own, or one with whom there is no media.
	ErrBadPeer = errors.New("media: bad participant")
	// ErrTooManyPeers: media or keys for MaxPeers participants are held.
	ErrTooManyPeers = errors.New("media: too many participants")
)

// Config configures a Session.
type Config struct {
	// Self is this participant's peer id (string form).
	Self string
	// Video is whether to send video as well as audio.
	Video bool
	// VideoLayers is how many simulcast layers of its video this
	// participant sends through an SFU, 1 to sfu.MaxLayers (0: 1): the
	// program encodes each (Frame.Layer, the smallest first) at the size
	// and bitrate it plans, and the SFU forwards each subscriber one. In
	// a mesh one layer is sent (VideoLayers says how many to encode now).
	// Synthetic video has at most len(SyntheticLayers) layers.
	VideoLayers int
	// Synthetic is whether to send synthetic frames (headless: no
	// devices, no codecs). Without it the Session sends what the program
	// gives Send.
	Synthetic bool
	// Sink, if set, takes every frame the Session decrypts and every
	// key-frame request about this participant's video.
	Sink Sink
	// API builds the peer connections; nil means pion's default API (its
	// default codecs and interceptors). Tests pass one on pion's vnet.
	API *webrtc.API
	// ICEServers are STUN/TURN servers for the peer connections (none: host
	// candidates only).
	ICEServers []webrtc.ICEServer
	// Signal sends an opaque media message to a participant. It is called
	// from the Session's goroutines and must not block for long.
	Signal func(to string, blob []byte)
	// Layers, if set, carries a layer request (ShowLayers) to the SFU
	// host, as package call's MediaConfig.Layers does; it must not
	// block for long.
	Layers func(blob []byte) error
	// Logger receives protocol chatter at Debug (nil: discarded).
	Logger *slog.Logger
	// Now is the clock for send times and latencies (nil: time.Now).
	Now func() time.Time
}

// Session is one participant's media in one call. Its methods are safe for
// concurrent use.
type Session struct {
	cfg   Config
	api   *webrtc.API
	log   *slog.Logger
	now   func() time.Time
	audio *webrtc.TrackLocalStaticSample
	video *webrtc.TrackLocalStaticSample // nil unless cfg.Video

	ctx    context.Context // the Session's lifetime; Close cancels it
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine the Session starts

	send     atomic.Pointer[sframe.Sender]
	muted    atomic.Bool
	sfu      atomic.Pointer[sfuClient] // set while the call runs through an SFU: Send writes there
	forceKey atomic.Bool               // a key frame of the synthetic video was asked for
	// hurry is set once an SFU host was lost or replaced (its TURN server
	// may be gone with it): from then on an offer or
	// answer waits for ICE gathering at most gatherGrace after its first
	// candidate (whenGathered).
	hurry atomic.Bool
	// layers is the latest layer request (ShowLayers); layersWake wakes
	// the goroutine that sends it.
	layers     atomic.Pointer[sfu.LayerRequest]
	layersWake chan struct{}

	mu      sync.Mutex
	closed  bool                        // guarded by mu
	peers   map[string]*peer            // participants with media; guarded by mu
	pending map[string]string           // offers that came before Connect; guarded by mu
	recv    map[string]*sframe.Receiver // senders' keys by participant; guarded by mu
	// roster is, for a synthetic participant's choice of tiles
	// (showSynthetic), who else takes part: those whose keys were set
	// and who were not disconnected since. Guarded by mu.
	roster map[string]bool
}

// peer is the media with one remote participant.
type peer struct {
	id    string
	stats peerStats

	mu        sync.Mutex
	pc        *webrtc.PeerConnection // nil until negotiation starts; guarded by mu
	videoSSRC uint32                 // the SSRC of its video track, 0 until one arrives; guarded by mu
}

// New returns a Session with no participants. With cfg.Synthetic it starts
// sending synthetic frames as soon as a send key is set.
func New(cfg Config) (*Session, error) {
	if err := checkPeerID(cfg.Self); err != nil {
		return nil, fmt.Errorf("media: self: %w", err)
	}
	if cfg.Signal == nil {
		return nil, errors.New("media: no Signal function")
	}
	if cfg.VideoLayers < 0 || cfg.VideoLayers > sfu.MaxLayers || cfg.Synthetic && cfg.VideoLayers > len(SyntheticLayers) {
		return nil, fmt.Errorf("media: %d video layers (1 to %d, synthetic video has at most %d)", cfg.VideoLayers, sfu.MaxLayers, len(SyntheticLayers))
	}
	s := &Session{
		cfg:     cfg,
		api:     cfg.API,
		log:     cfg.Logger,
		now:     cfg.Now,
		peers:   make(map[string]*peer),
		pending: make(map[string]string),
		recv:    make(map[string]*sframe.Receiver),
		roster:  make(map[string]bool),

		layersWake: make(chan struct{}, 1),
	}
	if s.api == nil {
		s.api = webrtc.NewAPI()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "media")
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	s.audio, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
	}, "audio", cfg.Self)
	if err != nil {
		return nil, fmt.Errorf("media: audio track: %w", err)
	}
	if cfg.Video {
		s.video, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
		}, "video", cfg.Self)
		if err != nil {
			return nil, fmt.Errorf("media: video track: %w", err)
		}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if cfg.Layers != nil {
		s.wg.Add(1)
		go s.layerRequests()
	}
	if cfg.Synthetic {
		s.wg.Add(1)
		go s.synthesize(Audio, AudioFrameInterval)
		if s.video != nil {
			s.wg.Add(1)
			go s.synthesize(Video, VideoFrameInterval)
		}
	}
	return s, nil
}

func checkPeerID(id string) error {
	if id == "" || len(id) > MaxPeerIDSize {
		return fmt.Errorf("%w: id of %d bytes", ErrBadPeer, len(id))
	}
	return nil
}

// Connect starts media with a participant. Of the two, the one whose peer
// id sorts lower makes the offer; the other waits for it (an offer that
// came before Connect is answered now). Connecting to a participant
// already connected does nothing.
func (s *Session) Connect(id string) error {
	if err := checkPeerID(id); err != nil {
		return err
	}
	if id == s.cfg.Self {
		return fmt.Errorf("%w: connect to self", ErrBadPeer)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if _, ok := s.peers[id]; ok {
		s.mu.Unlock()
		return nil
	}
	if len(s.peers) >= MaxPeers {
		s.mu.Unlock()
		return fmt.Errorf("%w: %d", ErrTooManyPeers, len(s.peers))
	}
	p := &peer{id: id}
	s.peers[id] = p
	offer, hasOffer := s.pending[id]
	delete(s.pending, id)
	s.mu.Unlock()

	var err error
	switch {
	case s.cfg.Self < id:
		err = s.offer(p)
	case hasOffer:
		err = s.answer(p, offer)
	}
	if err != nil { // forget p, so that Connect may be tried again
		s.mu.Lock()
		if s.peers[id] == p {
			delete(s.peers, id)
		}
		s.mu.Unlock()
		p.close()
	}
	return err
}

// Disconnect stops media with a participant, which left the call (its
// keys stay until dropped).
func (s *Session) Disconnect(id string) {
	s.mu.Lock()
	if s.roster[id] {
		delete(s.roster, id)
		s.showSynthetic()
	}
	s.mu.Unlock()
	s.disconnect(id)
}

// disconnect stops mesh media with a participant.
func (s *Session) disconnect(id string) {
	s.mu.Lock()
	p := s.peers[id]
	delete(s.peers, id)
	delete(s.pending, id)
	s.mu.Unlock()
	if p != nil {
		p.close()
	}
}

func (p *peer) close() {
	p.mu.Lock()
	pc := p.pc
	p.pc = nil
	p.mu.Unlock()
	if pc != nil {
		_ = pc.GracefulClose()
	}
}

// HandleSignal takes a media message from a participant. A malformed one,
// or one this side does not expect from that participant (an offer from
// the side that should answer, an answer to no offer), is an error and
// changes nothing.
func (s *Session) HandleSignal(from string, blob []byte) error {
	if err := checkPeerID(from); err != nil {
		return err
	}
	if from == s.cfg.Self {
		return fmt.Errorf("%w: signal from self", ErrBadPeer)
	}
	msg, err := decodeSignal(blob)
	if err != nil {
		return fmt.Errorf("from %s: %w", from, err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	p := s.peers[from]
	switch msg.Type {
	case sigOffer:
		if from > s.cfg.Self {
			s.mu.Unlock()
			return fmt.Errorf("%w: offer from %s, whose id sorts higher", ErrBadSignal, from)
		}
		if p == nil {
			if _, ok := s.pending[from]; !ok && len(s.pending) >= MaxPeers {
				s.mu.Unlock()
				return fmt.Errorf("%w: %d offers wait for Connect", ErrTooManyPeers, len(s.pending))
			}
			s.pending[from] = msg.SDP
			s.mu.Unlock()
			return nil
		}
		s.mu.Unlock()
		return s.answer(p, msg.SDP)
	default: // sigAnswer
		s.mu.Unlock()
		if from < s.cfg.Self {
			return fmt.Errorf("%w: answer from %s, whose id sorts lower", ErrBadSignal, from)
		}
		if p == nil {
			return fmt.Errorf("%w: answer from %s, not connected", ErrBadPeer, from)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.pc == nil || p.pc.SignalingState() != webrtc.SignalingStateHaveLocalOffer {
			return fmt.Errorf("%w: answer from %s, which has no offer pending", ErrBadSignal, from)
		}
		if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: msg.SDP}); err != nil {
			return fmt.Errorf("%w: answer from %s: %w", ErrBadSignal, from, err)
		}
		return nil
	}
}

// offer makes a new peer connection to p and sends it an offer.
func (s *Session) offer(p *peer) error { return s.negotiate(p, "") }

// answer makes a new peer connection to p from its offer and answers.
func (s *Session) answer(p *peer, offer string) error { return s.negotiate(p, offer) }

// negotiate makes a new peer connection to p: from remoteOffer and with an
// answer when there is one, else with an offer. Only once the new
// connection stands does it replace (and close) the old, so a bad offer
// leaves the media with p as it was.
func (s *Session) negotiate(p *peer, remoteOffer string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	pc, err := s.api.NewPeerConnection(webrtc.Configuration{ICEServers: s.cfg.ICEServers})
	if err != nil {
		return fmt.Errorf("media: peer connection to %s: %w", p.id, err)
	}
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { s.onTrack(p, t) })
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		s.log.Debug("connection state", "peer", p.id, "state", st.String())
	})
	desc, typ, err := s.describeLocal(p, pc, remoteOffer)
	if err != nil {
		_ = pc.GracefulClose()
		return err
	}
	old := p.pc
	p.pc = pc
	if old != nil {
		_ = old.GracefulClose()
	}
	return s.describe(p, pc, desc, typ)
}

// describeLocal sets up pc's transceivers and creates its offer, or its
// answer to remoteOffer.
func (s *Session) describeLocal(p *peer, pc *webrtc.PeerConnection, remoteOffer string) (webrtc.SessionDescription, uint, error) {
	if remoteOffer == "" {
		if err := s.addSenders(p, pc, true); err != nil {
			return webrtc.SessionDescription{}, 0, err
		}
		desc, err := pc.CreateOffer(nil)
		if err != nil {
			return desc, 0, fmt.Errorf("media: offer to %s: %w", p.id, err)
		}
		return desc, sigOffer, nil
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: remoteOffer}); err != nil {
		return webrtc.SessionDescription{}, 0, fmt.Errorf("%w: offer from %s: %w", ErrBadSignal, p.id, err)
	}
	if err := s.addSenders(p, pc, false); err != nil {
		return webrtc.SessionDescription{}, 0, err
	}
	desc, err := pc.CreateAnswer(nil)
	if err != nil {
		return desc, 0, fmt.Errorf("media: answer to %s: %w", p.id, err)
	}
	return desc, sigAnswer, nil
}

// addSenders adds this participant's tracks. The offerer also offers to
// receive video when it sends none, so that either side's video fits in
// one negotiation.
func (s *Session) addSenders(p *peer, pc *webrtc.PeerConnection, offerer bool) error {
	tracks := []*webrtc.TrackLocalStaticSample{s.audio}
	if s.video != nil {
		tracks = append(tracks, s.video)
	} else if offerer {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
			webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			return fmt.Errorf("media: video transceiver: %w", err)
		}
	}
	for _, t := range tracks {
		snd, err := pc.AddTrack(t)
		if err != nil {
			return fmt.Errorf("media: add %s track: %w", t.Kind(), err)
		}
		if !s.startGoroutine() {
			return ErrClosed
		}
		video := t.Kind() == webrtc.RTPCodecTypeVideo
		go func() { // RTCP must be read for the interceptors (NACK, reports) to run
			defer s.wg.Done()
			for {
				pkts, _, err := snd.ReadRTCP()
				if err != nil {
					return
				}
				if video && sfu.AsksKeyFrame(pkts) {
					s.keyFrameRequested(p.id)
				}
			}
		}()
	}
	return nil
}

// describe sets the local description and, once ICE gathering completes,
// sends it to p with every candidate. p.mu is held.
func (s *Session) describe(p *peer, pc *webrtc.PeerConnection, desc webrtc.SessionDescription, typ uint) error {
	gathered, grace := whenGathered(pc, s.hurry.Load())
	if err := pc.SetLocalDescription(desc); err != nil {
		return fmt.Errorf("media: local description for %s: %w", p.id, err)
	}
	if !s.startGoroutine() {
		return ErrClosed
	}
	go func() {
		defer s.wg.Done()
		t := time.NewTimer(gatherTimeout)
		defer t.Stop()
		select {
		case <-gathered:
		case <-grace:
			s.log.Debug("ICE gathering not done after a host was lost; sending the candidates found", "peer", p.id)
		case <-t.C:
			s.log.Debug("ICE gathering timed out; sending the candidates found", "peer", p.id)
		case <-s.ctx.Done():
			return
		}
		p.mu.Lock()
		current := p.pc == pc
		p.mu.Unlock()
		local := pc.LocalDescription()
		if !current || local == nil {
			return // replaced or closed while gathering: its description is stale
		}
		blob, err := encodeSignal(typ, local.SDP)
		if err != nil {
			s.log.Debug("media message not sent", "peer", p.id, "err", err)
			return
		}
		s.cfg.Signal(p.id, blob)
	}()
	return nil
}

// startGoroutine accounts for a goroutine about to start, unless the
// Session is closed.
func (s *Session) startGoroutine() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

// onTrack reads a remote track until its connection closes, reassembling,
// decrypting and counting its frames.
func (s *Session) onTrack(p *peer, t *webrtc.TrackRemote) {
	var kind Kind
	switch t.Kind() {
	case webrtc.RTPCodecTypeAudio:
		kind = Audio
	case webrtc.RTPCodecTypeVideo:
		kind = Video
	default:
		return
	}
	if !s.startGoroutine() {
		return
	}
	p.stats.track(kind)
	if kind == Video {
		p.mu.Lock()
		p.videoSSRC = uint32(t.SSRC())
		p.mu.Unlock()
	}
	go func() {
		defer s.wg.Done()
		var buf []byte
		if kind == Audio {
			// An Opus frame is one RTP packet: no reassembly, and no
			// wait for the next packet as the sample builder would.
			var op codecs.OpusPacket
			for {
				pkt, _, err := t.ReadRTP()
				if err != nil {
					return
				}
				frame, err := op.Unmarshal(pkt.Payload)
				if err != nil {
					p.stats.frame(kind, false, -1)
					continue
				}
				buf = s.receive(p, kind, frame, pkt.Timestamp, buf)
			}
		}
		sb := samplebuilder.New(videoMaxLate, &codecs.VP8Packet{}, t.Codec().ClockRate)
		for {
			pkt, _, err := t.ReadRTP()
			if err != nil {
				return
			}
			sb.Push(pkt)
			for smp := sb.Pop(); smp != nil; smp = sb.Pop() {
				buf = s.receive(p, kind, smp.Data, smp.PacketTimestamp, buf)
			}
		}
	}()
}

// receive decrypts and counts one frame from p, with RTP timestamp ts, and
// hands it to the Sink; buf is scratch space.
func (s *Session) receive(p *peer, kind Kind, frame []byte, ts uint32, buf []byte) []byte {
	s.mu.Lock()
	r := s.recv[p.id]
	s.mu.Unlock()
	n, err := clearLen(kind, frame)
	if err != nil || r == nil {
		p.stats.frame(kind, false, -1)
		return buf
	}
	out, _, err := r.Decrypt(append(buf[:0], frame[:n]...), frame[:n], frame[n:])
	if err != nil {
		s.log.Debug("frame not decrypted", "peer", p.id, "kind", kind.String(), "err", err)
		p.stats.frame(kind, false, -1)
		return buf
	}
	st, stamped := parseStamp(out[n:])
	stamped = stamped && st.kind == kind
	latency := time.Duration(-1)
	if stamped {
		latency = max(s.now().Sub(st.sent), 0)
	}
	p.stats.frame(kind, true, latency)
	if kind == Video {
		w, h, key := keyFrameSize(out)
		p.stats.picture(s.now(), w, h, key)
	}
	if stamped {
		p.stats.numbered(kind, st.number)
	}
	if s.cfg.Sink != nil {
		s.cfg.Sink.Frame(p.id, Frame{Kind: kind, Data: out, KeyFrame: kind == Video && isKeyFrame(out), Timestamp: ts})
	}
	return out
}

// synthesize sends a synthetic frame of kind k every interval through
// Send while a send key is set (audio: and not muted), until Close; video
// has a key frame every VideoKeyFrameEvery frames and whenever one is
// asked for, and goes in as many layers as VideoLayers says (the top
// ones of SyntheticLayers, each picture's frame number the same in
// every layer), leaving out a layer VideoBitrates stops, as the app's
// encoders do. Send takes it to the mesh or the SFU.
func (s *Session) synthesize(k Kind, interval time.Duration) {
	defer s.wg.Done()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var n uint64
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tick.C:
		}
		snd := s.send.Load()
		if snd == nil || (k == Audio && s.muted.Load()) {
			continue
		}
		if k == Audio {
			clear, plain := syntheticFrame(k, n, s.now())
			n++
			f := Frame{Kind: k, Data: append(clear, plain...), Duration: interval, Level: SyntheticLevel}
			if err := s.Send(f); err != nil {
				s.log.Debug("synthetic frame not sent", "kind", k.String(), "err", err)
			}
			continue
		}
		if s.forceKey.Swap(false) && n%VideoKeyFrameEvery != 0 {
			n += VideoKeyFrameEvery - n%VideoKeyFrameEvery
		}
		layers, rates, now := min(s.VideoLayers(), len(SyntheticLayers)), s.VideoBitrates(), s.now()
		for i, l := range SyntheticLayers[len(SyntheticLayers)-layers:] {
			if i < len(rates) && rates[i] == 0 {
				continue // the uplink does not carry it
			}
			clear, plain := syntheticLayerFrame(Video, l, n, now)
			f := Frame{Kind: Video, Data: append(clear, plain...), Duration: interval, Layer: uint8(i)}
			f.KeyFrame = isKeyFrame(f.Data)
			if err := s.Send(f); err != nil {
				s.log.Debug("synthetic frame not sent", "kind", k.String(), "layer", i, "err", err)
			}
		}
		n++
	}
}

// SetSendKey sets the SFrame base key of this participant's own frames;
// every frame after it is under kid.
func (s *Session) SetSendKey(kid uint64, key []byte) error {
	snd, err := sframe.NewSender(Suite, kid, key)
	if err != nil {
		return fmt.Errorf("media: send key %d: %w", kid, err)
	}
	s.send.Store(snd)
	return nil
}

// SetRecvKey adds a sender's SFrame base key (several may be live while
// keys change; frames name theirs by kid).
func (s *Session) SetRecvKey(from string, kid uint64, key []byte) error {
	if err := checkPeerID(from); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	r := s.recv[from]
	if r == nil {
		if len(s.recv) >= MaxPeers {
			return fmt.Errorf("%w: keys of %d senders held", ErrTooManyPeers, len(s.recv))
		}
		var err error
		if r, err = sframe.NewReceiver(Suite); err != nil {
			return fmt.Errorf("media: %w", err)
		}
		s.recv[from] = r
	}
	if err := r.AddKey(kid, key); err != nil {
		return fmt.Errorf("media: key %d of %s: %w", kid, from, err)
	}
	if !s.roster[from] {
		s.roster[from] = true
		s.showSynthetic()
	}
	return nil
}

// DropRecvKeys forgets a sender's keys except keepKID; frames under the
// dropped ones fail to decrypt from then on.
func (s *Session) DropRecvKeys(from string, keepKID uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.recv[from]; r != nil {
		r.RetainOnly(keepKID)
	}
}

// SetMuted stops (true) or resumes (false) sending audio frames.
func (s *Session) SetMuted(muted bool) { s.muted.Store(muted) }

// Stats returns what arrived from each remote participant with media.
func (s *Session) Stats() []PeerStats {
	s.mu.Lock()
	peers := make([]*peer, 0, len(s.peers))
	for _, p := range s.peers {
		peers = append(peers, p)
	}
	s.mu.Unlock()
	out := make([]PeerStats, 0, len(peers))
	for _, p := range peers {
		st := p.stats.snapshot(s.now())
		st.Peer = p.id
		out = append(out, st)
	}
	slicesSortByPeer(out)
	return out
}

// Close ends media with everyone and stops every goroutine the Session
// started. It is idempotent.
func (s *Session) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	peers := s.peers
	s.peers = map[string]*peer{}
	s.pending = map[string]string{}
	s.recv = map[string]*sframe.Receiver{}
	s.roster = map[string]bool{}
	s.mu.Unlock()
	s.cancel()
	for _, p := range peers {
		p.close()
	}
	s.wg.Wait()
	return nil
}
