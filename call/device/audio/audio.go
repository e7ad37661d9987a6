// Package audio is the desktop app's sound devices, through miniaudio
// (github.com/gen2brain/malgo, cgo): it lists microphones and speakers,
// opens a chosen one or the system's default, captures 20 ms frames of
// FrameSamples mono samples at 48 kHz, and plays out a stream of such
// frames (a call's mix).
//
// It uses cgo, so only the desktop app's path may import it: never
// umbrellad, node, call, call/media or sync. It knows nothing of codecs
// or calls. Tests use miniaudio's null backend (BackendNull): devices
// that capture silence and play nowhere, on their own clock.
package audio

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/gen2brain/malgo"
)

// The format of every frame.
const (
	// SampleRate is the sample rate of capture and playback, in Hz.
	SampleRate = 48000
	// FrameSamples is one 20 ms frame of mono samples.
	FrameSamples = SampleRate / 50
)

// Backend chooses the sound system.
type Backend int

// Backends.
const (
	// BackendDefault is the platform's usual systems in miniaudio's order
	// (PulseAudio, ALSA, JACK on Linux).
	BackendDefault Backend = iota
	// BackendNull is miniaudio's null backend, for tests: one capture
	// device that records silence and one playback device that discards,
	// each on its own clock.
	BackendNull
)

// nullBackend is miniaudio's ma_backend_null. malgo's BackendNull constant
// is one less (its list lacks ma_backend_custom) and selects nothing.
const nullBackend = malgo.Backend(14)

// Errors a caller may branch on.
var (
	// ErrNoDevice: no device of that kind, or none with that id.
	ErrNoDevice = errors.New("audio: no such device")
	// ErrClosed: the System was closed.
	ErrClosed = errors.New("audio: closed")
)

// Device is one microphone or speaker.
type Device struct {
	// ID names the device to Open; it stays the same while the device is
	// plugged in.
	ID string
	// Name is what the system calls it.
	Name string
	// Default: the system's default device of its kind.
	Default bool
}

// System is the sound system of this computer. It is safe for concurrent
// use; Close releases it after closing what it opened.
type System struct {
	log *slog.Logger
	all bool // list pseudo devices too (the null backend's are all there is)

	mu     sync.Mutex
	ctx    *malgo.AllocatedContext // nil once closed; guarded by mu
	opened map[*stream]bool        // open captures and playbacks; guarded by mu
}

// New opens the sound system of backend b. log receives miniaudio's
// messages at Debug (nil: discarded).
func New(b Backend, log *slog.Logger) (*System, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "audio")
	var backends []malgo.Backend
	if b == BackendNull {
		backends = []malgo.Backend{nullBackend}
	} else {
		silenceALSA()
	}
	ctx, err := malgo.InitContext(backends, malgo.ContextConfig{}, func(msg string) {
		log.Debug("miniaudio", "msg", msg)
	})
	if err != nil {
		return nil, fmt.Errorf("audio: open the sound system: %w", err)
	}
	return &System{log: log, all: b == BackendNull, ctx: ctx, opened: map[*stream]bool{}}, nil
}

// Microphones lists the capture devices.
func (s *System) Microphones() ([]Device, error) { return s.devices(malgo.Capture) }

// Speakers lists the playback devices.
func (s *System) Speakers() ([]Device, error) { return s.devices(malgo.Playback) }

func (s *System) devices(kind malgo.DeviceType) ([]Device, error) {
	infos, err := s.infos(kind)
	if err != nil {
		return nil, err
	}
	out := make([]Device, 0, len(infos))
	for _, in := range infos {
		d := Device{ID: in.ID.String(), Name: in.Name(), Default: in.IsDefault != 0}
		if !s.all && pseudo(kind, d.ID) {
			s.log.Debug("pseudo device not listed", "id", d.ID, "name", d.Name)
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

// pseudoALSA are ALSA PCMs that are no sound device: null discards and
// records silence, the others only mix, share or convert for another
// PCM.
var pseudoALSA = []string{"null", "dmix", "dsnoop", "lavrate", "samplerate", "speexrate", "speex", "upmix", "vdownmix"}

// pseudo reports whether the device of kind whose ID (Device.ID, the
// backend's device name in hex) is id is one no person would pick: an
// ALSA pseudo PCM (pseudoALSA, with or without arguments), PulseAudio's
// (or PipeWire's) null sink when there is no sound card, and, among
// microphones, the monitor of a speaker (what it plays, not a voice).
func pseudo(kind malgo.DeviceType, id string) bool {
	raw, err := hex.DecodeString(id)
	if err != nil {
		return false
	}
	name, _, _ := strings.Cut(string(raw), "\x00")
	base, _, _ := strings.Cut(name, ":")
	switch {
	case slices.Contains(pseudoALSA, base):
		return true
	case name == "auto_null" || name == "auto_null.monitor":
		return true
	case kind == malgo.Capture && strings.HasSuffix(name, ".monitor"):
		return true
	}
	return false
}

func (s *System) infos(kind malgo.DeviceType) ([]malgo.DeviceInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		return nil, ErrClosed
	}
	infos, err := s.ctx.Devices(kind)
	if err != nil {
		return nil, fmt.Errorf("audio: list devices: %w", err)
	}
	return infos, nil
}

// stream is an open device.
type stream struct {
	s   *System
	dev *malgo.Device
}

// open initialises and starts a device of kind with the given id ("" the
// default), calling data from miniaudio's thread.
func (s *System) open(kind malgo.DeviceType, id string, data malgo.DataProc) (*stream, error) {
	cfg := malgo.DefaultDeviceConfig(kind)
	cfg.SampleRate = SampleRate
	cfg.PeriodSizeInMilliseconds = 10
	sub := &cfg.Playback
	if kind == malgo.Capture {
		sub = &cfg.Capture
	}
	sub.Format = malgo.FormatS16
	sub.Channels = 1
	var pin runtime.Pinner
	defer pin.Unpin()
	if id != "" {
		infos, err := s.infos(kind)
		if err != nil {
			return nil, err
		}
		var found *malgo.DeviceID
		for i := range infos {
			if infos[i].ID.String() == id {
				found = &infos[i].ID
				break
			}
		}
		if found == nil {
			return nil, fmt.Errorf("%w: %s", ErrNoDevice, id)
		}
		pin.Pin(found) // it goes to C inside the device config
		sub.DeviceID = unsafe.Pointer(found)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		return nil, ErrClosed
	}
	dev, err := malgo.InitDevice(s.ctx.Context, cfg, malgo.DeviceCallbacks{Data: data})
	if err != nil {
		return nil, fmt.Errorf("%w: open: %w", ErrNoDevice, err)
	}
	if err := dev.Start(); err != nil {
		dev.Uninit()
		return nil, fmt.Errorf("audio: start device: %w", err)
	}
	st := &stream{s: s, dev: dev}
	s.opened[st] = true
	return st, nil
}

// close stops and releases the device; it is idempotent.
func (st *stream) close() {
	st.s.mu.Lock()
	defer st.s.mu.Unlock()
	if !st.s.opened[st] {
		return
	}
	delete(st.s.opened, st)
	_ = st.dev.Stop()
	st.dev.Uninit()
}

// Close closes every device still open and the sound system. It is
// idempotent.
func (s *System) Close() error {
	s.mu.Lock()
	var open []*stream
	for st := range s.opened {
		open = append(open, st)
	}
	s.mu.Unlock()
	for _, st := range open {
		st.close()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		return nil
	}
	err := s.ctx.Uninit()
	s.ctx.Free()
	s.ctx = nil
	if err != nil {
		return fmt.Errorf("audio: close the sound system: %w", err)
	}
	return nil
}

// Capture is an open microphone. Frames delivers what it records.
type Capture struct {
	st     *stream
	frames chan []int16
	once   sync.Once

	mu      sync.Mutex
	partial []int16 // samples of the frame being filled; guarded by mu
	closed  bool    // guarded by mu
	dropped uint64  // frames dropped because the reader lagged; guarded by mu
}

// captureQueue is how many frames a Capture holds for a reader that lags
// (100 ms): older ones are dropped, so the microphone never adds more
// delay than that.
const captureQueue = 5

// OpenCapture opens microphone id ("" the default) and starts recording.
func (s *System) OpenCapture(id string) (*Capture, error) {
	c := &Capture{frames: make(chan []int16, captureQueue), partial: make([]int16, 0, FrameSamples)}
	st, err := s.open(malgo.Capture, id, func(_, in []byte, _ uint32) { c.data(in) })
	if err != nil {
		return nil, err
	}
	c.st = st
	return c, nil
}

// data takes samples from miniaudio's thread: whole frames go to Frames,
// the oldest dropped when the reader lags.
func (c *Capture) data(in []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	for len(in) >= 2 {
		c.partial = append(c.partial, int16(binary.LittleEndian.Uint16(in)))
		in = in[2:]
		if len(c.partial) < FrameSamples {
			continue
		}
		frame := c.partial
		c.partial = make([]int16, 0, FrameSamples)
		for {
			select {
			case c.frames <- frame:
			default:
				select {
				case <-c.frames:
					c.dropped++
				default:
				}
				continue
			}
			break
		}
	}
}

// Frames delivers the recorded frames, FrameSamples samples each; it is
// closed by Close.
func (c *Capture) Frames() <-chan []int16 { return c.frames }

// Dropped is how many frames were dropped because nobody read them in
// time.
func (c *Capture) Dropped() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dropped
}

// Close stops recording and closes Frames. It is idempotent.
func (c *Capture) Close() error {
	c.once.Do(func() {
		c.st.close() // no more data callbacks after this
		c.mu.Lock()
		c.closed = true
		close(c.frames)
		c.mu.Unlock()
	})
	return nil
}

// Playback is an open speaker, playing the frames written to it.
type Playback struct {
	st   *stream
	once sync.Once

	mu      sync.Mutex
	queue   []int16 // samples waiting to play; guarded by mu
	played  uint64  // samples the device took from the queue; guarded by mu
	starved uint64  // samples of silence played for want of queued ones; guarded by mu
}

// MaxPlaybackQueue bounds the samples a Playback holds (100 ms): a writer
// that runs ahead of the device loses its oldest samples, so playback
// never lags more than that.
const MaxPlaybackQueue = 5 * FrameSamples

// OpenPlayback opens speaker id ("" the default) and starts playing
// (silence until frames are written).
func (s *System) OpenPlayback(id string) (*Playback, error) {
	p := &Playback{}
	st, err := s.open(malgo.Playback, id, func(out, _ []byte, _ uint32) { p.data(out) })
	if err != nil {
		return nil, err
	}
	p.st = st
	return p, nil
}

// data fills out from miniaudio's thread.
func (p *Playback) data(out []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := min(len(out)/2, len(p.queue))
	for i := range n {
		binary.LittleEndian.PutUint16(out[2*i:], uint16(p.queue[i]))
	}
	clear(out[2*n:])
	p.queue = p.queue[:copy(p.queue, p.queue[n:])]
	p.played += uint64(n)
	p.starved += uint64(len(out)/2 - n)
}

// Write queues samples to play.
func (p *Playback) Write(pcm []int16) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queue = append(p.queue, pcm...)
	if over := len(p.queue) - MaxPlaybackQueue; over > 0 {
		p.queue = p.queue[:copy(p.queue, p.queue[over:])]
	}
}

// Played is how many written samples the device took, and how many
// samples of silence it played for want of them.
func (p *Playback) Played() (played, starved uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.played, p.starved
}

// Queued is how many written samples wait to play.
func (p *Playback) Queued() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.queue)
}

// Close stops playing. It is idempotent.
func (p *Playback) Close() error {
	p.once.Do(p.st.close)
	return nil
}
