package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/call"
	"github.com/umbrella-p2p/umbrella/call/codec/opus"
	"github.com/umbrella-p2p/umbrella/call/device/audio"
	"github.com/umbrella-p2p/umbrella/call/media"
	"github.com/umbrella-p2p/umbrella/call/voice"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/node"
)

// The app's sound in calls: each call that is not synthetic gets a voice
// pipeline (call/voice) over libopus (call/codec/opus) and the chosen
// microphone and speaker (call/device/audio), as its media.Local. A
// member whose microphone cannot be opened still listens, and the call
// window says so. The choice of devices is kept in the home directory
// for the next call, and applies at once to a call in progress.

// soundFile keeps the chosen devices, in the home directory.
const soundFile = "call-devices.json"

// Notes the call window shows about the member's own sound.
const (
	noteNoMicrophone = "No microphone: you can listen, but the others cannot hear you."
	noteNoSpeaker    = "No speaker: you cannot hear the others."
	noteNoSound      = "No microphone or speaker: you can neither hear the others nor be heard."
)

// callSound is the app's sound devices and the voice of its calls. It is
// safe for concurrent use.
type callSound struct {
	backend audio.Backend
	file    string // where the choice is kept ("": nowhere)
	log     *slog.Logger

	saveMu sync.Mutex // one write of the file at a time

	mu     sync.Mutex
	opened bool          // the sound system was opened (or failed to); guarded by mu
	sys    *audio.System // nil: none (sysErr says why); guarded by mu
	sysErr error         // guarded by mu
	choice soundChoice   // guarded by mu
	live   []*soundLocal // calls' pipelines, the latest last; guarded by mu
}

// soundChoice is the chosen devices' ids ("": the system's default).
type soundChoice struct {
	Microphone string `json:"microphone"`
	Speaker    string `json:"speaker"`
	// Camera is the chosen camera's device node ("": the first one);
	// video.go's, kept in the same file.
	Camera string `json:"camera,omitempty"`
}

// newCallSound reads the choice kept in home ("" keeps none); the sound
// system of backend b opens when a call or the device list first needs
// it. Without a sound system calls still work, receive-only and silent,
// and say why.
func newCallSound(home string, b audio.Backend, log *slog.Logger) *callSound {
	c := &callSound{backend: b, log: log.With("component", "sound")}
	if home != "" {
		c.file = filepath.Join(home, soundFile)
		if b, err := os.ReadFile(c.file); err == nil {
			if err := json.Unmarshal(b, &c.choice); err != nil {
				c.log.Warn("the kept choice of sound devices is unreadable; using the defaults", "err", err)
				c.choice = soundChoice{}
			}
		}
	}
	return c
}

// system opens the sound system the first time.
func (c *callSound) system() (*audio.System, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.opened {
		c.opened = true
		c.sys, c.sysErr = audio.New(c.backend, c.log)
		if c.sysErr != nil {
			c.log.Warn("no sound system: calls can neither be heard nor spoken in", "err", c.sysErr)
		}
	}
	return c.sys, c.sysErr
}

// local is the media.Local of a call (media.CallOptions.Local).
func (c *callSound) local(call.MediaConfig) (media.Local, error) {
	c.mu.Lock()
	choice := c.choice
	c.mu.Unlock()
	p, err := voice.New(voice.Config{
		NewEncoder:     func() (voice.Encoder, error) { return opus.NewEncoder(opus.DefaultConfig()) },
		NewDecoder:     func() (voice.Decoder, error) { return opus.NewDecoder() },
		MeshBitrate:    opus.MeshBitrate,
		SFUBitrate:     opus.SFUBitrate,
		OpenMicrophone: c.openMicrophone(choice.Microphone),
		OpenSpeaker:    c.openSpeaker(choice.Speaker),
		Logger:         c.log,
	})
	if err != nil {
		return nil, err
	}
	l := &soundLocal{Pipeline: p, c: c}
	c.mu.Lock()
	c.live = append(c.live, l)
	c.mu.Unlock()
	return l, nil
}

// openMicrophone opens microphone id, or the default when id is gone.
func (c *callSound) openMicrophone(id string) func() (voice.Microphone, error) {
	return func() (voice.Microphone, error) {
		sys, err := c.system()
		if err != nil {
			return nil, err
		}
		m, err := sys.OpenCapture(id)
		if errors.Is(err, audio.ErrNoDevice) && id != "" {
			c.log.Info("the chosen microphone is gone; using the default", "id", id)
			m, err = sys.OpenCapture("")
		}
		if err != nil {
			return nil, err
		}
		return m, nil
	}
}

// openSpeaker opens speaker id, or the default when id is gone.
func (c *callSound) openSpeaker(id string) func() (voice.Speaker, error) {
	return func() (voice.Speaker, error) {
		sys, err := c.system()
		if err != nil {
			return nil, err
		}
		s, err := sys.OpenPlayback(id)
		if errors.Is(err, audio.ErrNoDevice) && id != "" {
			c.log.Info("the chosen speaker is gone; using the default", "id", id)
			s, err = sys.OpenPlayback("")
		}
		if err != nil {
			return nil, err
		}
		return s, nil
	}
}

// soundLocal is a call's pipeline, forgotten by callSound when it closes.
type soundLocal struct {
	*voice.Pipeline
	c *callSound
}

// Close closes the pipeline and forgets it.
func (l *soundLocal) Close() error {
	l.c.mu.Lock()
	l.c.live = slices.DeleteFunc(l.c.live, func(o *soundLocal) bool { return o == l })
	l.c.mu.Unlock()
	return l.Pipeline.Close()
}

// current is the latest call's pipeline, or nil.
func (c *callSound) current() *voice.Pipeline {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.live) == 0 {
		return nil
	}
	return c.live[len(c.live)-1].Pipeline
}

// fill adds to a call's status what its sound says: who speaks (from the
// audio levels), whether the member sends audio, and what is wrong with
// its sound. The app takes part in one call at a time: the latest.
func (c *callSound) fill(st *api.CallStatus) {
	p := c.current()
	if p == nil {
		return
	}
	levels := map[string]voice.Level{}
	for _, l := range p.Levels() {
		levels[l.Peer] = l
	}
	state := p.State()
	for i := range st.Participants {
		pt := &st.Participants[i]
		if pt.Self {
			pt.Audio = state.Sending
			pt.Speaking = state.Sending && !pt.Muted && levels[""].Speaking
			continue
		}
		pt.Speaking = levels[pt.PeerID].Speaking
	}
	switch {
	case !state.Sending && !state.Playing:
		st.SoundProblem = noteNoSound // "you can listen" would be false
	case !state.Sending:
		st.SoundProblem = noteNoMicrophone
	case !state.Playing:
		st.SoundProblem = noteNoSpeaker
	default:
		st.SoundProblem = ""
	}
}

// devices lists the sound devices and the choice.
func (c *callSound) devices() (api.CallDevices, error) {
	c.mu.Lock()
	out := api.CallDevices{Microphones: []api.AudioDevice{}, Speakers: []api.AudioDevice{},
		Microphone: c.choice.Microphone, Speaker: c.choice.Speaker}
	c.mu.Unlock()
	sys, err := c.system()
	if err != nil {
		out.Problem = fmt.Sprintf("No sound system: %v", err)
		return out, nil
	}
	mics, err := sys.Microphones()
	if err != nil {
		return out, err
	}
	spks, err := sys.Speakers()
	if err != nil {
		return out, err
	}
	conv := func(l []audio.Device) []api.AudioDevice {
		out := make([]api.AudioDevice, len(l))
		for i, d := range l {
			out[i] = api.AudioDevice{ID: d.ID, Name: d.Name, Default: d.Default}
		}
		return out
	}
	out.Microphones, out.Speakers = conv(mics), conv(spks)
	return out, nil
}

// setDevices keeps a new choice for this call and the next.
func (c *callSound) setDevices(mic, spk string) error {
	if len(mic) > maxDeviceID || len(spk) > maxDeviceID {
		return errors.New("sound: a device id that long is no device's")
	}
	c.mu.Lock()
	old := c.choice
	c.choice.Microphone, c.choice.Speaker = mic, spk
	choice := c.choice
	live := slices.Clone(c.live)
	c.mu.Unlock()
	for _, l := range live {
		if mic != old.Microphone {
			l.UseMicrophone(c.openMicrophone(mic))
		}
		if spk != old.Speaker {
			l.UseSpeaker(c.openSpeaker(spk))
		}
	}
	return c.save(choice)
}

// save keeps choice in the file (nowhere without a home).
func (c *callSound) save(choice soundChoice) error {
	if c.file == "" {
		return nil
	}
	c.saveMu.Lock()
	defer c.saveMu.Unlock()
	b, err := json.Marshal(choice)
	if err != nil {
		return err
	}
	tmp := c.file + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("keep the sound devices: %w", err)
	}
	if err := os.Rename(tmp, c.file); err != nil {
		return fmt.Errorf("keep the sound devices: %w", err)
	}
	return nil
}

// choiceNow is the kept choice of devices.
func (c *callSound) choiceNow() soundChoice {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.choice
}

// setCamera keeps the choice of camera (video.go's) with the sound
// devices'.
func (c *callSound) setCamera(path string) error {
	c.mu.Lock()
	c.choice.Camera = path
	choice := c.choice
	c.mu.Unlock()
	return c.save(choice)
}

// maxDeviceID bounds a device id (miniaudio's are at most 256 bytes, hex
// encoded).
const maxDeviceID = 1024

// close releases the sound system (after the node closed its calls).
func (c *callSound) close() {
	c.mu.Lock()
	sys := c.sys
	c.sys, c.sysErr = nil, audio.ErrClosed
	c.mu.Unlock()
	if sys != nil {
		if err := sys.Close(); err != nil {
			c.log.Debug("close the sound system", "err", err)
		}
	}
}

// appBackend is the node as the app's screens see it: with the sound of
// calls (speaking marks from real audio, device pickers).
type appBackend struct {
	*node.Node
	sound *callSound
	video *callVideo
}

// CallStatus is the node's, with what the call's sound says.
func (b appBackend) CallStatus(cid, id crdt.ID) (api.CallStatus, error) {
	st, err := b.Node.CallStatus(cid, id)
	if err != nil {
		return st, err
	}
	b.sound.fill(&st)
	b.video.fill(&st)
	return st, nil
}

// CallDevices lists the microphones and speakers and the choice.
func (b appBackend) CallDevices() (api.CallDevices, error) {
	d, err := b.sound.devices()
	d.Cameras, d.Camera = b.video.cameras()
	return d, err
}

// SetCallDevices keeps the member's choice of microphone and speaker.
func (b appBackend) SetCallDevices(_ context.Context, mic, spk string) error {
	return b.sound.setDevices(mic, spk)
}
