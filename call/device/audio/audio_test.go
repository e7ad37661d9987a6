package audio

import (
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/gen2brain/malgo"
)

// These tests run on miniaudio's null backend, whose devices keep real
// time on their own threads: the waits are for that clock, bounded, on
// channels, never sleeps.

func nullSystem(t *testing.T) *System {
	t.Helper()
	s, err := New(BackendNull, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestNullDevicesListed(t *testing.T) {
	s := nullSystem(t)
	mics, err := s.Microphones()
	if err != nil {
		t.Fatal(err)
	}
	spk, err := s.Speakers()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("microphones %+v, speakers %+v", mics, spk)
	if len(mics) == 0 || len(spk) == 0 || mics[0].Name == "" || mics[0].ID == "" {
		t.Fatalf("the null backend lists microphones %+v and speakers %+v, want one of each", mics, spk)
	}
	if _, err := s.OpenCapture("no-such-device"); !errors.Is(err, ErrNoDevice) {
		t.Fatalf("open an unknown microphone: %v, want ErrNoDevice", err)
	}
}

func TestCaptureGivesFrames(t *testing.T) {
	s := nullSystem(t)
	mics, err := s.Microphones()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", mics[0].ID} { // the default, then by id
		c, err := s.OpenCapture(id)
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.After(5 * time.Second)
		for n := 0; n < 10; n++ {
			select {
			case f := <-c.Frames():
				if len(f) != FrameSamples {
					t.Fatalf("a frame of %d samples, want %d", len(f), FrameSamples)
				}
			case <-deadline:
				t.Fatalf("device %q: %d frames in 5 s, want 10", id, n)
			}
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		for range c.Frames() { // drains, then ends: Close closed it
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPlaybackConsumes(t *testing.T) {
	s := nullSystem(t)
	p, err := s.OpenPlayback("")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	frame := make([]int16, FrameSamples)
	for i := range frame {
		frame[i] = int16(i)
	}
	p.Write(frame)
	p.Write(frame)
	// The device takes what was written, then plays silence.
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(5 * time.Second)
	for {
		played, starved := p.Played()
		if played == 2*FrameSamples && starved > 0 && p.Queued() == 0 {
			break
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("after 5 s: played %d, starved %d, queued %d", played, starved, p.Queued())
		}
	}
	// A writer far ahead of the device is bounded.
	for range 50 {
		p.Write(frame)
	}
	if q := p.Queued(); q > MaxPlaybackQueue {
		t.Fatalf("%d samples queued, want at most %d", q, MaxPlaybackQueue)
	}
}

// TestCloseSystemClosesDevices: Close releases the devices still open and
// then refuses more.
func TestCloseSystemClosesDevices(t *testing.T) {
	s, err := New(BackendNull, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.OpenCapture("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenPlayback(""); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if _, err := s.OpenCapture(""); !errors.Is(err, ErrClosed) {
		t.Fatalf("open after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Microphones(); !errors.Is(err, ErrClosed) {
		t.Fatalf("list after Close: %v, want ErrClosed", err)
	}
}

// TestPseudoDevices: the pickers leave out what is no sound device —
// ALSA's null PCM and its mixing and converting plugins, PulseAudio's
// null sink, a speaker's monitor offered as a microphone — and keep the
// cards and the sound servers.
func TestPseudoDevices(t *testing.T) {
	for _, tc := range []struct {
		kind malgo.DeviceType
		name string
		want bool
	}{
		{malgo.Playback, "null", true},
		{malgo.Capture, "null", true},
		{malgo.Playback, "dmix:CARD=PCH,DEV=0", true},
		{malgo.Capture, "dsnoop:CARD=PCH,DEV=0", true},
		{malgo.Playback, "speexrate", true},
		{malgo.Playback, "auto_null", true},
		{malgo.Capture, "auto_null.monitor", true},
		{malgo.Capture, "alsa_output.pci-0000_00_1f.3.analog-stereo.monitor", true},
		{malgo.Playback, "alsa_output.pci-0000_00_1f.3.analog-stereo", false},
		{malgo.Capture, "alsa_input.usb-Logitech_Webcam_C270-02.mono-fallback", false},
		{malgo.Playback, "hw:0,0", false},
		{malgo.Capture, "sysdefault:CARD=PCH", false},
		{malgo.Playback, "default", false},
		{malgo.Playback, "pulse", false},
		{malgo.Playback, "nullish-but-real", false},
	} {
		id := hex.EncodeToString([]byte(tc.name)) // as Device.ID shows it
		if got := pseudo(tc.kind, id); got != tc.want {
			t.Errorf("%v %q: pseudo %v, want %v", tc.kind, tc.name, got, tc.want)
		}
	}
	if pseudo(malgo.Playback, "not hex") {
		t.Error("an id that is not hex is taken for a pseudo device")
	}
}
