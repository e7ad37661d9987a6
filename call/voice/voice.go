// Package voice is a call's sound in the desktop app: the microphone's
// frames encoded and sent through the call's media Session, and what the
// others say decoded, put in order, mixed and played. One Pipeline per
// call is the call's media.Local (call/media's boundary for a program's
// own media).
//
//	microphone → Encoder → Session.Send ─ ─ network ─ ─ Session → Sink.Frame
//	  → one Jitter buffer and Decoder per speaker (loss concealed) → Mix → speaker
//
// Each speaker's level (Meter, in dBov) says who is speaking; so does this
// participant's own, from its microphone.
//
// The package is free of cgo: the codec and the devices come through the
// small interfaces declared here (Encoder, Decoder, Microphone, Speaker),
// which call/codec/opus and call/device/audio satisfy; the desktop app
// wires them together. It never decides who takes part in a call and
// never sees a key.
package voice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/umbrella-p2p/umbrella/call/media"
)

// Encoder turns 20 ms of PCM (FrameSamples samples of 48 kHz mono) into
// one packet (call/codec/opus's Encoder), or into none (nil) when the
// frame needs none (DTX: silence): the Pipeline then sends nothing, and
// the next frame it sends says how many it left out.
type Encoder interface {
	Encode(pcm []int16) ([]byte, error)
}

// Decoder turns one speaker's packets back into PCM (call/codec/opus's
// Decoder): Decode a packet into FrameSamples samples, or Conceal a lost
// one (from the next packet's FEC when it is not nil).
type Decoder interface {
	Decode(packet []byte, pcm []int16) error
	Conceal(next []byte, pcm []int16) error
}

// BitrateSetter is an Encoder whose bitrate changes while it runs
// (call/codec/opus's Encoder).
type BitrateSetter interface {
	SetBitrate(bps int) error
}

// Microphone gives recorded frames of FrameSamples samples until Close,
// which closes Frames (call/device/audio's Capture).
type Microphone interface {
	Frames() <-chan []int16
	Close() error
}

// Speaker plays the frames written to it (call/device/audio's Playback).
type Speaker interface {
	Write(pcm []int16)
	Close() error
}

// Config configures a Pipeline. NewEncoder and NewDecoder are required.
type Config struct {
	// NewEncoder makes the encoder of this participant's voice.
	NewEncoder func() (Encoder, error)
	// NewDecoder makes the decoder of one remote speaker.
	NewDecoder func() (Decoder, error)
	// OpenMicrophone opens the microphone. If it fails (or is nil) the
	// participant only listens; State says why.
	OpenMicrophone func() (Microphone, error)
	// OpenSpeaker opens the speaker. If it fails (or is nil) nothing is
	// played, though levels are still measured; State says why.
	OpenSpeaker func() (Speaker, error)
	// MeshBitrate and SFUBitrate are the encoder's bitrates in bits per
	// second in a mesh call and in a call through an SFU (call/codec/
	// opus's MeshBitrate and SFUBitrate): ThroughSFU sets one of them,
	// when the encoder is a BitrateSetter. 0: the encoder keeps the
	// bitrate it has.
	MeshBitrate, SFUBitrate int
	// Target is the jitter buffers' target in frames (0: DefaultTarget).
	Target int
	// Logger receives what goes wrong at Debug (nil: discarded).
	Logger *slog.Logger
}

// ErrNoMicrophone: the call has no microphone: none was configured, or
// it could not be opened, or it stopped.
var ErrNoMicrophone = errors.New("voice: no microphone")

// State says whether the microphone and the speaker work.
type State struct {
	// Sending: the microphone is open and its frames go out. When not,
	// MicrophoneErr says why (ErrNoMicrophone, or wrapping the device's
	// error).
	Sending       bool
	MicrophoneErr error
	// Playing: the speaker is open. When not, SpeakerErr says why.
	Playing    bool
	SpeakerErr error
}

// Level is how loud one participant is now.
type Level struct {
	// Peer is the participant's id; "" for this participant's own
	// microphone.
	Peer string
	// DBov is the last frame's level (SilenceDBov to 0).
	DBov float64
	// Speaking: a frame at SpeakingDBov or louder came within
	// SpeakingHold frames.
	Speaking bool
}

// Stats counts a speaker's frames (its jitter buffer's counts).
type Stats struct {
	Peer string
	JitterStats
}

// sender is what a Pipeline sends through (a media.Session).
type sender interface {
	Send(media.Frame) error
}

// Pipeline is one call's sound. It is safe for concurrent use; Close
// stops it.
type Pipeline struct {
	cfg   Config
	log   *slog.Logger
	encMu sync.Mutex // held while enc encodes or changes its bitrate
	enc   Encoder    // set by New; used under encMu

	ctx    context.Context // its lifetime; Close cancels it
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	out      sender              // nil until Start; guarded by mu
	mic      Microphone          // nil: receive-only; guarded by mu
	micGen   int                 // bumped when the microphone changes; guarded by mu
	spk      Speaker             // nil: nothing plays; guarded by mu
	state    State               // guarded by mu
	self     Meter               // the microphone's level; guarded by mu
	speakers map[string]*speaker // remote speakers heard lately; guarded by mu
	closed   bool                // guarded by mu
}

// speaker is one remote participant's decoding.
type speaker struct {
	jitter *Jitter
	dec    Decoder
	meter  Meter
	pcm    []int16
	idle   int // ticks since its last frame arrived
}

// maxSkipped caps the frames a sent frame says were left out before it
// (20 minutes): a longer silence looks like a restart to receivers, whose
// jitter buffers start afresh either way.
const maxSkipped = 60000

// forgetAfter is how many silent ticks (10 s) a speaker's decoder is kept
// for after its last frame.
const forgetAfter = 500

// tick is the playout clock's period: one frame.
const tick = 20 * time.Millisecond

// New returns a Pipeline that is not started: it opens its devices and
// starts sending on Start.
func New(cfg Config) (*Pipeline, error) {
	if cfg.NewEncoder == nil || cfg.NewDecoder == nil {
		return nil, errors.New("voice: NewEncoder and NewDecoder are required")
	}
	enc, err := cfg.NewEncoder()
	if err != nil {
		return nil, fmt.Errorf("voice: %w", err)
	}
	if cfg.Target == 0 {
		cfg.Target = DefaultTarget
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Pipeline{cfg: cfg, log: log.With("component", "voice"), enc: enc, speakers: map[string]*speaker{}}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p, nil
}

// Start opens the devices and sends the microphone's frames through s
// until Close. It implements media.Local.
func (p *Pipeline) Start(s *media.Session) error { return p.start(s) }

func (p *Pipeline) start(out sender) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("voice: closed")
	}
	if p.out != nil {
		return errors.New("voice: started twice")
	}
	p.out = out
	p.openMicrophone(p.cfg.OpenMicrophone)
	p.openSpeaker(p.cfg.OpenSpeaker)
	p.wg.Add(1)
	go p.playout()
	return nil
}

// openMicrophone opens a microphone with open and starts sending it (mu
// held).
func (p *Pipeline) openMicrophone(open func() (Microphone, error)) {
	p.micGen++
	p.self = Meter{}
	p.state.Sending, p.state.MicrophoneErr = false, ErrNoMicrophone
	if open == nil {
		return
	}
	mic, err := open()
	if err != nil {
		p.state.MicrophoneErr = fmt.Errorf("%w: %w", ErrNoMicrophone, err)
		p.log.Debug("no microphone: listening only", "err", err)
		return
	}
	p.mic = mic
	p.state.Sending, p.state.MicrophoneErr = true, nil
	p.wg.Add(1)
	go p.capture(mic, p.micGen)
}

// openSpeaker opens a speaker with open (mu held).
func (p *Pipeline) openSpeaker(open func() (Speaker, error)) {
	p.state.Playing, p.state.SpeakerErr = false, errors.New("voice: no speaker")
	if open == nil {
		return
	}
	spk, err := open()
	if err != nil {
		p.state.SpeakerErr = fmt.Errorf("voice: speaker: %w", err)
		p.log.Debug("no speaker", "err", err)
		return
	}
	p.spk = spk
	p.state.Playing, p.state.SpeakerErr = true, nil
}

// UseMicrophone closes the microphone in use and opens another with open
// (nil: none, listen only). It may be called before or after Start.
func (p *Pipeline) UseMicrophone(open func() (Microphone, error)) {
	p.mu.Lock()
	old := p.mic
	p.mic = nil
	p.cfg.OpenMicrophone = open
	started := p.out != nil && !p.closed
	p.mu.Unlock()
	if old != nil {
		_ = old.Close() // its capture goroutine ends when Frames closes
	}
	if started {
		p.mu.Lock()
		if !p.closed {
			p.openMicrophone(open)
		}
		p.mu.Unlock()
	}
}

// UseSpeaker closes the speaker in use and opens another with open (nil:
// none). It may be called before or after Start.
func (p *Pipeline) UseSpeaker(open func() (Speaker, error)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.spk != nil {
		_ = p.spk.Close()
		p.spk = nil
	}
	p.cfg.OpenSpeaker = open
	if p.out != nil && !p.closed {
		p.openSpeaker(open)
	}
}

// capture encodes and sends mic's frames until it closes.
func (p *Pipeline) capture(mic Microphone, gen int) {
	defer p.wg.Done()
	var skipped uint16 // frames not sent since the last one sent (DTX)
	for pcm := range mic.Frames() {
		if len(pcm) != FrameSamples {
			continue
		}
		p.mu.Lock()
		p.self.Add(pcm)
		level, silent := RFC6464Level(p.self.Level()), !p.self.Speaking()
		out := p.out
		p.mu.Unlock()
		p.encMu.Lock()
		pkt, err := p.enc.Encode(pcm)
		p.encMu.Unlock()
		if err != nil {
			p.log.Debug("frame not encoded", "err", err)
			continue
		}
		if pkt == nil { // DTX: nothing to hear, nothing sent
			skipped = min(skipped+1, maxSkipped)
			continue
		}
		f := media.Frame{Kind: media.Audio, Data: pkt, Level: level, Silent: silent, Skipped: skipped}
		skipped = 0
		if err := out.Send(f); err != nil && !errors.Is(err, media.ErrNoSendKey) {
			p.log.Debug("frame not sent", "err", err)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if gen == p.micGen && !p.closed {
		// The microphone stopped by itself (unplugged): listen only.
		p.mic = nil
		p.self = Meter{}
		p.state.Sending, p.state.MicrophoneErr = false, fmt.Errorf("%w: the microphone stopped", ErrNoMicrophone)
	}
}

// ThroughSFU sets the encoder's bitrate for a call through an SFU
// (Config.SFUBitrate) or a mesh (Config.MeshBitrate). It implements
// media.Routed.
func (p *Pipeline) ThroughSFU(sfu bool) {
	bps := p.cfg.MeshBitrate
	if sfu {
		bps = p.cfg.SFUBitrate
	}
	bs, ok := p.enc.(BitrateSetter)
	if bps == 0 || !ok {
		return
	}
	p.encMu.Lock()
	defer p.encMu.Unlock()
	if err := bs.SetBitrate(bps); err != nil {
		p.log.Debug("bitrate not set", "bps", bps, "err", err)
	}
}

// Frame takes a decrypted frame of participant from (media.Sink). Audio
// goes to that speaker's jitter buffer; other kinds are not this
// package's.
func (p *Pipeline) Frame(from string, f media.Frame) {
	if f.Kind != media.Audio {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	sp := p.speakers[from]
	if sp == nil {
		if len(p.speakers) >= MaxSpeakers {
			p.log.Debug("frame dropped: too many speakers", "peer", from)
			return
		}
		dec, err := p.cfg.NewDecoder()
		if err != nil {
			p.log.Debug("no decoder", "peer", from, "err", err)
			return
		}
		sp = &speaker{jitter: NewJitter(p.cfg.Target), dec: dec, pcm: make([]int16, FrameSamples)}
		p.speakers[from] = sp
	}
	sp.idle = 0
	sp.jitter.Push(f.Timestamp, slices.Clone(f.Data))
}

// KeyFrameRequest is about video (media.Sink): not this package's.
func (p *Pipeline) KeyFrameRequest(string) {}

// playout decodes, mixes and plays one frame of every speaker each tick
// until Close. It keeps time by the clock, not by counting ticks: when it
// ran late (a busy machine), it plays every frame whose time has come, up
// to maxCatchUp at once, so that playout never falls behind the frames
// arriving (which would lengthen every speaker's delay).
func (p *Pipeline) playout() {
	defer p.wg.Done()
	t := time.NewTicker(tick)
	defer t.Stop()
	mix := make([]int16, FrameSamples)
	start, played := time.Now(), int64(0)
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-t.C:
		}
		due := int64(time.Since(start) / tick)
		played = max(played, due-maxCatchUp)
		for ; played < due; played++ {
			p.mu.Lock()
			spk := p.playTick(mix)
			p.mu.Unlock()
			if spk != nil {
				spk.Write(mix) // the Speaker copies what it queues
			}
		}
	}
}

// maxCatchUp is how many frames playout plays at once when it ran late
// (100 ms, what a Speaker queues at most); beyond, it skips ahead.
const maxCatchUp = 5

// playTick mixes this tick's frame of every speaker into mix and returns
// the speaker to play it on (mu held).
func (p *Pipeline) playTick(mix []int16) Speaker {
	clear(mix)
	for id, sp := range p.speakers {
		sp.idle++
		if sp.idle > forgetAfter && sp.jitter.Len() == 0 {
			delete(p.speakers, id)
			continue
		}
		turn, frame, next := sp.jitter.Pop()
		var err error
		switch turn {
		case Silent:
			sp.meter.Silence()
			continue
		case Play:
			if err = sp.dec.Decode(frame, sp.pcm); err != nil {
				p.log.Debug("frame not decoded; concealed", "peer", id, "err", err)
				err = sp.dec.Conceal(nil, sp.pcm)
			}
		case Conceal:
			err = sp.dec.Conceal(next, sp.pcm)
		}
		if err != nil {
			p.log.Debug("frame not concealed", "peer", id, "err", err)
			sp.meter.Silence()
			continue
		}
		sp.meter.Add(sp.pcm)
		Mix(mix, sp.pcm)
	}
	return p.spk
}

// Levels returns how loud each participant heard lately is now, and this
// participant's own microphone (Peer ""), sorted by Peer.
func (p *Pipeline) Levels() []Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := []Level{{DBov: p.self.Level(), Speaking: p.self.Speaking()}}
	for id, sp := range p.speakers {
		out = append(out, Level{Peer: id, DBov: sp.meter.Level(), Speaking: sp.meter.Speaking()})
	}
	slices.SortFunc(out, func(a, b Level) int { return cmpString(a.Peer, b.Peer) })
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Stats returns each speaker's jitter buffer counts, sorted by Peer.
func (p *Pipeline) Stats() []Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Stats, 0, len(p.speakers))
	for id, sp := range p.speakers {
		out = append(out, Stats{Peer: id, JitterStats: sp.jitter.Stats()})
	}
	slices.SortFunc(out, func(a, b Stats) int { return cmpString(a.Peer, b.Peer) })
	return out
}

// State says whether the microphone and speaker work.
func (p *Pipeline) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// Close stops sending and playing and closes the devices. It is
// idempotent.
func (p *Pipeline) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	mic, spk := p.mic, p.spk
	p.mic, p.spk = nil, nil
	p.speakers = map[string]*speaker{}
	p.mu.Unlock()
	p.cancel()
	var errs []error
	if mic != nil {
		errs = append(errs, mic.Close())
	}
	p.wg.Wait()
	if spk != nil {
		errs = append(errs, spk.Close())
	}
	return errors.Join(errs...)
}

var (
	_ media.Local  = (*Pipeline)(nil)
	_ media.Routed = (*Pipeline)(nil)
)
