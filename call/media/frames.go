package media

import (
	"errors"
	"fmt"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	pmedia "github.com/pion/webrtc/v4/pkg/media"

	"github.com/umbrella-p2p/umbrella/call/sfu"
)

// The boundary between a Session and a program's codecs and devices
// (which live outside this package, in packages that may use cgo):
//
//   - Send takes one encoded frame (an Opus packet of 20 ms; a VP8 frame,
//     key frame or not) and sends it to every participant, encrypted with
//     SFrame and packetised exactly as synthetic frames are.
//   - A Sink set in Config gets every frame the Session decrypts, by
//     participant and kind, with its RTP timestamp for a jitter buffer,
//     and each key-frame request (RTCP PLI or FIR) a receiver sends about
//     this participant's video, so that its encoder can make one.
//   - RequestKeyFrame asks a participant for a key frame of its video,
//     for a decoder that lost one.
//
// The synthetic source is one user of Send; a program's own media for
// calls that are not synthetic is a Local (CallOptions.Local).

// Errors of Send.
var (
	// ErrNoSendKey: no send key is set yet; the frame was not sent.
	ErrNoSendKey = errors.New("media: no send key yet")
	// ErrBadFrame: a frame to send is empty, too large, of an unknown kind
	// or of a kind this Session does not send, or its KeyFrame flag
	// disagrees with its VP8 header.
	ErrBadFrame = errors.New("media: bad frame")
)

// Frame is one encoded media frame: what a program's encoder gives Send,
// and what a Sink gets once decrypted.
type Frame struct {
	// Kind is Audio (an Opus packet) or Video (a VP8 frame).
	Kind Kind
	// Data is the encoded frame, codec header first: Opus's TOC byte,
	// VP8's frame tag. A Sink must not keep it after Frame returns.
	Data []byte
	// KeyFrame marks a VP8 key frame. On Send it must agree with the VP8
	// header's P bit; a Sink gets it from that header.
	KeyFrame bool
	// Duration is how long the frame plays. On Send, 0 means the kind's
	// usual interval (AudioFrameInterval, VideoFrameInterval); a Sink
	// gets 0.
	Duration time.Duration
	// Timestamp is a received frame's RTP timestamp (48 kHz for audio,
	// 90 kHz for video): consecutive 20 ms audio frames differ by
	// AudioFrameSamples. Send ignores it.
	Timestamp uint32
	// Layer is a video frame's simulcast layer, 0 the smallest: through an
	// SFU each layer is its own stream (Session.VideoLayers says how many
	// to send now). Send refuses a layer it does not send; a Sink gets 0.
	Layer uint8
	// Level is an audio frame's loudness as RFC 6464 has it: −dBov from
	// 0 (loudest) to 127 (silence). Through an SFU it goes with the frame
	// in clear (the audio level header extension), and the SFU forwards
	// the loudest speakers by it; a sender without a meter gives
	// MaxLevel. Send refuses more than MaxLevel; a Sink gets 0.
	Level uint8
	// Silent says an audio frame holds no speech (the sender's meter
	// heard none lately): RFC 6464's voice activity flag, cleared. Through
	// an SFU it goes with Level, and the SFU forwards only frames that are
	// not silent. A sender without a meter leaves it false. A Sink gets
	// false.
	Silent bool
	// Skipped is how many audio frames of Duration the sender left out
	// just before this one (DTX: nothing to hear), so that this frame's
	// RTP timestamp counts the time they took. A Sink gets 0.
	Skipped uint16
}

// MaxLevel is the RFC 6464 level of silence (−127 dBov).
const MaxLevel = 127

// AudioFrameSamples is how many samples one 20 ms audio frame holds at
// 48 kHz, and so how far apart consecutive audio frames' RTP timestamps
// are.
const AudioFrameSamples = 960

// Sink takes what a Session receives. Its methods are called from the
// Session's goroutines (one per remote track) and must return quickly.
type Sink interface {
	// Frame takes one decrypted frame of participant from, in the order
	// it arrived on from's track of f.Kind.
	Frame(from string, f Frame)
	// KeyFrameRequest says participant from asked for a key frame of this
	// participant's video.
	KeyFrameRequest(from string)
}

// Send encrypts an encoded frame with the current send key and sends it to
// every participant with media: on the mesh's tracks, or to the SFU host
// while the call runs through one. A muted Session drops audio frames
// silently (nil error); with no send key yet it fails with ErrNoSendKey.
func (s *Session) Send(f Frame) error {
	var track *webrtc.TrackLocalStaticSample
	switch f.Kind {
	case Audio:
		track = s.audio
		if f.Duration == 0 {
			f.Duration = AudioFrameInterval
		}
	case Video:
		track = s.video
		if f.Duration == 0 {
			f.Duration = VideoFrameInterval
		}
	}
	if track == nil {
		return fmt.Errorf("%w: this session sends no %v", ErrBadFrame, f.Kind)
	}
	if len(f.Data) > MaxSendFrameSize {
		return fmt.Errorf("%w: %v frame of %d bytes", ErrBadFrame, f.Kind, len(f.Data))
	}
	n, err := clearLen(f.Kind, f.Data)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadFrame, err)
	}
	if f.Kind == Video && f.KeyFrame != isKeyFrame(f.Data) {
		return fmt.Errorf("%w: KeyFrame %t disagrees with the VP8 header", ErrBadFrame, f.KeyFrame)
	}
	if f.Level > MaxLevel {
		return fmt.Errorf("%w: audio level %d", ErrBadFrame, f.Level)
	}
	if n := s.VideoLayers(); f.Kind == Video && int(f.Layer) >= n {
		return fmt.Errorf("%w: video layer %d, %d sent", ErrBadFrame, f.Layer, n)
	}
	if s.isClosed() {
		return ErrClosed
	}
	if f.Kind == Audio && s.muted.Load() {
		return nil
	}
	snd := s.send.Load()
	if snd == nil {
		return ErrNoSendKey
	}
	buf := make([]byte, 0, len(f.Data)+Suite.Overhead()+sframeHeaderMax)
	buf = append(buf, f.Data[:n]...)
	buf, err = snd.Encrypt(buf, f.Data[:n], f.Data[n:])
	if err != nil {
		return fmt.Errorf("media: encrypt %v frame: %w", f.Kind, err)
	}
	if c := s.sfu.Load(); c != nil { // through an SFU: the mesh has no one
		return c.write(f, buf)
	}
	if err := track.WriteSample(pmedia.Sample{Data: buf, Duration: f.Duration, PrevDroppedPackets: f.Skipped}); err != nil {
		return fmt.Errorf("media: send %v frame: %w", f.Kind, err)
	}
	return nil
}

// sframeHeaderMax is the longest SFrame header (config byte, 8-byte KID
// and CTR).
const sframeHeaderMax = 17

// LayerSink is a Sink that encodes simulcast layers (Config.VideoLayers):
// it is told which layer a key-frame request is about.
type LayerSink interface {
	Sink
	// LayerKeyFrameRequest says participant from (the SFU host) asked
	// for a key frame of layer of this participant's video.
	LayerKeyFrameRequest(from string, layer uint8)
}

// VideoLayers is how many simulcast layers of its video the program
// should encode and Send now: Config.VideoLayers while the call runs
// through an SFU, else 1.
func (s *Session) VideoLayers() int {
	if c := s.sfu.Load(); c != nil && c.sc != nil {
		return c.sc.Layers()
	}
	return 1
}

// keyFrameRequested says participant from (or the SFU host) asked for a
// key frame of this participant's video: to the synthetic source and the
// Sink.
func (s *Session) keyFrameRequested(from string) {
	s.forceKey.Store(true)
	if s.cfg.Sink != nil {
		s.cfg.Sink.KeyFrameRequest(from)
	}
}

// layerKeyFrameRequested says the SFU host from asked for a key frame of
// one simulcast layer: to a LayerSink, or as a request of every layer.
func (s *Session) layerKeyFrameRequested(from string, l sfu.Layer) {
	if ls, ok := s.cfg.Sink.(LayerSink); ok {
		ls.LayerKeyFrameRequest(from, uint8(l))
		return
	}
	s.keyFrameRequested(from)
}

// isKeyFrame reports whether a VP8 frame is a key frame (P bit 0).
func isKeyFrame(vp8 []byte) bool { return len(vp8) > 0 && vp8[0]&1 == 0 }

func (s *Session) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// RequestKeyFrame asks participant id for a key frame of its video (an
// RTCP PLI), as a video decoder does when it lost one. Through an SFU the
// request goes to the SFU, which passes it on (at most one per
// publisher every sfu.KeyRequestEvery).
func (s *Session) RequestKeyFrame(id string) error {
	if c := s.sfu.Load(); c != nil {
		return c.requestKeyFrame(id)
	}
	s.mu.Lock()
	p := s.peers[id]
	s.mu.Unlock()
	if p == nil {
		return fmt.Errorf("%w: no media with %s", ErrBadPeer, id)
	}
	p.mu.Lock()
	pc, ssrc := p.pc, p.videoSSRC
	p.mu.Unlock()
	if pc == nil || ssrc == 0 {
		return fmt.Errorf("%w: no video from %s", ErrBadPeer, id)
	}
	if err := pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}); err != nil {
		return fmt.Errorf("media: key frame request to %s: %w", id, err)
	}
	return nil
}
