package media

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"github.com/umbrella-p2p/umbrella/call/sfu"
)

// sfuClient is a participant's media in a call that runs through an SFU
// (package call/sfu): one peer connection to the host, on which it
// publishes its own audio (with the RFC 6464 audio level the SFU ranks
// speakers by) and video once — every frame the Session's Send encrypts,
// synthetic or the program's own, its video in Config.VideoLayers
// simulcast layers — and receives on fixed slots —
// sfu.MaxAudioSlots audio and SFUVideoSlots video — whatever the SFU
// forwards, each packet naming its sender by sfu.SourceTag (its CSRC,
// sfu.Source). Frames are decrypted with the sender's keys, which stay in
// the Session (SetRecvKey); the host never holds one. A decoder's
// key-frame request goes to the host on the slot that carries the sender
// (requestKeyFrame), which passes it on; the tiles shown go to the host as a layer request
// (ShowLayers); the estimate of the uplink to the host sizes the video
// layers (VideoBitrates).
//
// It is the Session's other mode (see callSession): it shares the
// Session's keys, clock, logger and stats type, and runs its own
// goroutines, which close stops.
type sfuClient struct {
	s    *Session
	host string
	api  *webrtc.API
	lost func(host string) // called once when the host stops answering

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	pc           *webrtc.PeerConnection
	audio, video *webrtc.TrackLocalStaticRTP // video nil unless the Session sends one layer of video
	sc           *sfu.Simulcast              // the video's layers, nil unless Config.VideoLayers > 1
	rates        atomic.Pointer[Bitrates]    // the split of the uplink estimate; nil: none
	levelID      atomic.Uint32               // the audio level extension's id, once answered
	answered     atomic.Bool
	heard        atomic.Int64 // when the host last sent anything, Unix ns
	lostOnce     sync.Once

	audioMu    sync.Mutex
	audioSeq   uint16 // guarded by audioMu
	audioTS    uint32 // guarded by audioMu
	videoMu    sync.Mutex
	packetizer [sfu.MaxLayers]rtp.Packetizer // by layer, nil until its first frame; guarded by videoMu

	mu      sync.Mutex
	closed  bool               // guarded by mu
	senders map[string]*peer   // stats by sender; guarded by mu
	tags    map[[4]byte]string // sender by source tag; guarded by mu
	slotOf  map[string]uint32  // the SSRC of the video slot carrying each sender; guarded by mu
}

// newSFUClient makes the peer connection to host and sends it an offer
// through the Session's Signal.
func newSFUClient(s *Session, api *webrtc.API, bwe *sfu.BWE, host string, lost func(string)) (*sfuClient, error) {
	c := &sfuClient{s: s, host: host, api: api, lost: lost, senders: map[string]*peer{}, tags: map[[4]byte]string{}, slotOf: map[string]uint32{}}
	c.ctx, c.cancel = context.WithCancel(s.ctx)
	cfg := webrtc.Configuration{ICEServers: s.cfg.ICEServers}
	var pc *webrtc.PeerConnection
	var err error
	if bwe != nil {
		var est cc.BandwidthEstimator
		if pc, est, err = bwe.NewPeerConnection(api, cfg); err == nil && s.cfg.Video {
			c.followUplink(est)
		}
	} else {
		pc, err = api.NewPeerConnection(cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("media: peer connection to host %s: %w", host, err)
	}
	c.pc = pc
	if err := c.setup(); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// setup adds the slots and the published tracks, and offers them.
func (c *sfuClient) setup() error {
	pc := c.pc
	pc.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) { c.onTrack(t, r) })
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		c.s.log.Debug("host connection state", "host", c.host, "state", st.String())
		if st == webrtc.PeerConnectionStateFailed {
			c.hostLost()
		}
	})
	recvonly := webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}
	for range sfu.MaxAudioSlots {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, recvonly); err != nil {
			return fmt.Errorf("media: audio slot: %w", err)
		}
	}
	for range SFUVideoSlots {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, recvonly); err != nil {
			return fmt.Errorf("media: video slot: %w", err)
		}
	}
	var err error
	c.audio, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", c.s.cfg.Self)
	if err != nil {
		return fmt.Errorf("media: audio track: %w", err)
	}
	tracks := []*webrtc.TrackLocalStaticRTP{c.audio}
	if c.s.cfg.Video && c.s.cfg.VideoLayers > 1 {
		if c.sc, err = sfu.AddSimulcast(pc, c.s.cfg.Self, c.s.cfg.VideoLayers); err != nil {
			return fmt.Errorf("media: video layers: %w", err)
		}
		c.wg.Add(1)
		go func() { // its RTCP, layer by layer
			defer c.wg.Done()
			_ = c.sc.KeyFrames(func(l sfu.Layer) {
				c.heard.Store(time.Now().UnixNano())
				c.s.layerKeyFrameRequested(c.host, l)
			})
		}()
	} else if c.s.cfg.Video {
		c.video, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", c.s.cfg.Self)
		if err != nil {
			return fmt.Errorf("media: video track: %w", err)
		}
		tracks = append(tracks, c.video)
	}
	sendonly := webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}
	for _, tr := range tracks {
		x, err := pc.AddTransceiverFromTrack(tr, sendonly)
		if err != nil {
			return fmt.Errorf("media: publish %s: %w", tr.Kind(), err)
		}
		snd, video := x.Sender(), tr == c.video
		c.wg.Add(1)
		go func() { // RTCP: the interceptors run on it, and it says the host is there
			defer c.wg.Done()
			for {
				pkts, _, err := snd.ReadRTCP()
				if err != nil {
					return
				}
				c.heard.Store(time.Now().UnixNano())
				if video && sfu.AsksKeyFrame(pkts) {
					c.s.keyFrameRequested(c.host)
				}
			}
		}()
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return fmt.Errorf("media: offer to host %s: %w", c.host, err)
	}
	gathered, grace := whenGathered(pc, c.s.hurry.Load())
	if err := pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("media: local description for host %s: %w", c.host, err)
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTimer(gatherTimeout)
		defer t.Stop()
		select {
		case <-gathered:
		case <-grace:
			c.s.log.Debug("ICE gathering not done after a host was lost; offering the candidates found", "host", c.host)
		case <-t.C:
			c.s.log.Debug("ICE gathering timed out; offering the candidates found", "host", c.host)
		case <-c.ctx.Done():
			return
		}
		blob, err := sfu.EncodeSignal(sfu.SignalOffer, pc.LocalDescription().SDP)
		if err != nil {
			c.s.log.Debug("offer to host not sent", "host", c.host, "err", err)
			return
		}
		c.s.cfg.Signal(c.host, blob)
	}()
	return nil
}

// handleAnswer takes the host's answer and starts sending and watching.
func (c *sfuClient) handleAnswer(blob []byte) error {
	sdp, err := sfu.DecodeSignal(blob, sfu.SignalAnswer)
	if err != nil {
		return fmt.Errorf("from host %s: %w", c.host, err)
	}
	if c.answered.Load() || c.pc.SignalingState() != webrtc.SignalingStateHaveLocalOffer {
		return fmt.Errorf("%w: answer from host %s, which has no offer pending", ErrBadSignal, c.host)
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		return fmt.Errorf("%w: answer from host %s: %w", ErrBadSignal, c.host, err)
	}
	for _, x := range c.pc.GetTransceivers() {
		if snd := x.Sender(); snd != nil && snd.Track() == c.audio {
			for _, ext := range snd.GetParameters().HeaderExtensions {
				if ext.URI == sfu.AudioLevelURI {
					c.levelID.Store(uint32(ext.ID))
				}
			}
		}
	}
	c.answered.Store(true)
	c.s.wakeLayers() // the new host gets the tiles shown
	c.heard.Store(time.Now().UnixNano())
	if !c.start(1) {
		return ErrClosed
	}
	go c.watch()
	return nil
}

// start accounts for n goroutines about to start, unless the client is
// closed.
func (c *sfuClient) start(n int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.wg.Add(n)
	return true
}

// watch reports the host lost once nothing came from it (media or RTCP)
// for HostSilence.
func (c *sfuClient) watch() {
	defer c.wg.Done()
	tick := time.NewTicker(HostSilence / 4)
	defer tick.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case now := <-tick.C:
			if now.Sub(time.Unix(0, c.heard.Load())) >= HostSilence {
				c.hostLost()
				return
			}
		}
	}
}

func (c *sfuClient) hostLost() {
	c.lostOnce.Do(func() {
		c.s.log.Debug("SFU host lost", "host", c.host)
		// Its TURN server, if it was a relay's, may be gone with it: the
		// next connections do not wait for it (whenGathered).
		c.s.hurry.Store(true)
		if c.lost != nil {
			go c.lost(c.host) // never under the caller's locks
		}
	})
}

// write sends one frame Send encrypted: audio as one RTP packet with its
// level, video packetised. Send calls it for every frame of this
// participant's, synthetic or not, while the call runs through the SFU.
func (c *sfuClient) write(f Frame, frame []byte) error {
	if f.Kind == Audio {
		c.audioMu.Lock()
		defer c.audioMu.Unlock()
		c.audioTS += uint32(f.Skipped) * uint32(f.Duration*48000/time.Second)
		pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: c.audioSeq, Timestamp: c.audioTS, Marker: true}, Payload: frame}
		if id := uint8(c.levelID.Load()); id != 0 {
			level := f.Level
			if !f.Silent {
				level |= 0x80 // RFC 6464's V flag: voice activity
			}
			if err := pkt.Header.SetExtension(id, []byte{level}); err != nil {
				return fmt.Errorf("media: audio level: %w", err)
			}
		}
		c.audioSeq++
		c.audioTS += uint32(f.Duration * 48000 / time.Second)
		if err := c.audio.WriteRTP(pkt); err != nil {
			return fmt.Errorf("media: send audio frame to host %s: %w", c.host, err)
		}
		return nil
	}
	if c.video == nil && c.sc == nil {
		return fmt.Errorf("%w: this session sends no video", ErrBadFrame)
	}
	c.videoMu.Lock()
	defer c.videoMu.Unlock()
	l := sfu.Layer(f.Layer)
	if c.sc == nil && l != 0 || c.sc != nil && int(l) >= c.sc.Layers() {
		return fmt.Errorf("%w: video layer %d not sent", ErrBadFrame, l)
	}
	if c.packetizer[l] == nil {
		c.packetizer[l] = rtp.NewPacketizer(1200, 0, 0, &codecs.VP8Payloader{}, rtp.NewRandomSequencer(), 90000)
	}
	for _, pkt := range c.packetizer[l].Packetize(frame, uint32(f.Duration*90000/time.Second)) {
		var err error
		if c.sc != nil {
			err = c.sc.WriteRTP(l, pkt)
		} else {
			err = c.video.WriteRTP(pkt)
		}
		if err != nil {
			return fmt.Errorf("media: send video frame of layer %d to host %s: %w", l, c.host, err)
		}
	}
	return nil
}

// sender returns the participant whose source tag is tag, among those
// whose keys the Session holds, and its stats.
func (c *sfuClient) sender(tag [4]byte) *peer {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.tags[tag]
	if !ok {
		c.s.mu.Lock()
		for from := range c.s.recv {
			c.tags[sfu.SourceTag(from)] = from
		}
		c.s.mu.Unlock()
		if id, ok = c.tags[tag]; !ok {
			return nil
		}
	}
	p := c.senders[id]
	if p == nil {
		if len(c.senders) >= MaxPeers {
			return nil
		}
		p = &peer{id: id}
		c.senders[id] = p
	}
	return p
}

// onTrack reads one slot until the connection closes: each packet names
// its sender by its source tag; frames are reassembled per sender (video
// switches senders at key frames), decrypted and counted.
func (c *sfuClient) onTrack(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
	var kind Kind
	switch t.Kind() {
	case webrtc.RTPCodecTypeAudio:
		kind = Audio
	case webrtc.RTPCodecTypeVideo:
		kind = Video
	default:
		return
	}
	if !c.start(1) {
		return
	}
	go func() {
		defer c.wg.Done()
		var buf []byte
		var op codecs.OpusPacket
		var sb *samplebuilder.SampleBuilder
		var from *peer // the sender the sample builder holds packets of
		for {
			pkt, _, err := t.ReadRTP()
			if err != nil {
				return
			}
			c.heard.Store(time.Now().UnixNano())
			tag, _ := sfu.Source(&pkt.Header)
			p := c.sender(tag)
			if p == nil {
				continue // no sender known by that tag: nothing to decrypt it with
			}
			p.stats.track(kind)
			if kind == Audio {
				frame, err := op.Unmarshal(pkt.Payload)
				if err != nil {
					p.stats.frame(kind, false, -1)
					continue
				}
				buf = c.s.receive(p, kind, frame, pkt.Timestamp, buf)
				continue
			}
			if p != from {
				c.carries(from, p, uint32(t.SSRC()))
				from, sb = p, samplebuilder.New(videoMaxLate, &codecs.VP8Packet{}, t.Codec().ClockRate)
			}
			sb.Push(pkt)
			for smp := sb.Pop(); smp != nil; smp = sb.Pop() {
				buf = c.s.receive(p, kind, smp.Data, smp.PacketTimestamp, buf)
			}
		}
	}()
}

// carries notes that the video slot of SSRC ssrc now carries sender to
// instead of from (nil: none before).
func (c *sfuClient) carries(from, to *peer, ssrc uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if from != nil && c.slotOf[from.id] == ssrc {
		delete(c.slotOf, from.id)
	}
	c.slotOf[to.id] = ssrc
}

// requestKeyFrame asks for a key frame of participant id's video: an
// RTCP PLI on the slot that carries it, which the SFU passes on to id.
func (c *sfuClient) requestKeyFrame(id string) error {
	c.mu.Lock()
	ssrc, ok := c.slotOf[id]
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: no video from %s through the SFU", ErrBadPeer, id)
	}
	if err := c.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}); err != nil {
		return fmt.Errorf("media: key frame request to %s through the SFU: %w", id, err)
	}
	return nil
}

// stats returns what arrived from each sender.
func (c *sfuClient) stats() []PeerStats {
	c.mu.Lock()
	out := make([]PeerStats, 0, len(c.senders))
	for _, p := range c.senders {
		st := p.stats.snapshot(c.s.now())
		st.Peer = p.id
		out = append(out, st)
	}
	c.mu.Unlock()
	slicesSortByPeer(out)
	return out
}

// close ends the connection to the host and stops the client's
// goroutines.
func (c *sfuClient) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	if c.pc != nil {
		_ = c.pc.GracefulClose()
	}
	c.wg.Wait()
}
