package main

import (
	"errors"
	"log/slog"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/call"
	"github.com/umbrella-p2p/umbrella/call/codec/opus"
	"github.com/umbrella-p2p/umbrella/call/device/audio"
	"github.com/umbrella-p2p/umbrella/call/media"
)

// startCall makes a call's Local from c and starts it on a Session with
// nobody yet.
func startCall(t *testing.T, c *callSound) media.Local {
	t.Helper()
	l, err := c.local(call.MediaConfig{Self: "me"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := media.New(media.Config{Self: "me", Sink: l, Signal: func(string, []byte) {}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := l.Start(s); err != nil {
		t.Fatal(err)
	}
	return l
}

func status() api.CallStatus {
	return api.CallStatus{Participants: []api.CallParticipant{
		{PeerID: "me", Self: true, Audio: true}, {PeerID: "ben", Audio: true}}}
}

// TestCallSoundOnNullDevices: a call gets the microphone and the speaker
// (miniaudio's null devices here): it sends, and its status has no sound
// problem; the device list comes from the sound system; a choice is kept
// in the home directory for the next start.
func TestCallSoundOnNullDevices(t *testing.T) {
	home := t.TempDir()
	c := newCallSound(home, audio.BackendNull, slog.New(slog.DiscardHandler))
	defer c.close()
	l := startCall(t, c)
	st := status()
	c.fill(&st)
	if st.SoundProblem != "" || !st.Participants[0].Audio {
		t.Fatalf("status %+v, want sending with no sound problem", st)
	}
	devs, err := c.devices()
	if err != nil {
		t.Fatal(err)
	}
	if len(devs.Microphones) == 0 || len(devs.Speakers) == 0 || devs.Problem != "" {
		t.Fatalf("devices %+v", devs)
	}
	mic := devs.Microphones[0].ID
	if err := c.setDevices(mic, ""); err != nil {
		t.Fatal(err)
	}
	// The call in progress reopened the chosen microphone.
	if s := l.(*soundLocal).State(); !s.Sending {
		t.Fatalf("after choosing a microphone: %+v", s)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if c.current() != nil {
		t.Fatal("a closed call's pipeline is still the current one")
	}
	again := newCallSound(home, audio.BackendNull, slog.New(slog.DiscardHandler))
	defer again.close()
	if d, _ := again.devices(); d.Microphone != mic || d.Speaker != "" {
		t.Fatalf("the next start chose %q/%q, want %q and the default", d.Microphone, d.Speaker, mic)
	}
	if err := c.setDevices(string(make([]byte, maxDeviceID+1)), ""); err == nil {
		t.Fatal("an absurd device id was kept")
	}
}

// TestCallSoundWithoutDevices: with no sound system the call still goes
// on, listening only and silent, and its status says so.
func TestCallSoundWithoutDevices(t *testing.T) {
	c := newCallSound("", audio.BackendNull, slog.New(slog.DiscardHandler))
	c.opened, c.sysErr = true, errors.New("no sound card")
	startCall(t, c)
	st := status()
	c.fill(&st)
	if st.Participants[0].Audio || st.Participants[0].Speaking {
		t.Fatalf("self %+v, want no audio", st.Participants[0])
	}
	// One note that says both, not "you can listen" beside "you cannot
	// hear the others".
	if want := noteNoSound; st.SoundProblem != want {
		t.Fatalf("sound problem %q, want %q", st.SoundProblem, want)
	}
	d, err := c.devices()
	if err != nil || d.Problem == "" {
		t.Fatalf("devices %+v, %v: want a problem", d, err)
	}
}

// TestCallSoundSpeakingFromLevels: who speaks in the call's status comes
// from the audio heard: Ben's loud voice marks him, the silent member
// not.
func TestCallSoundSpeakingFromLevels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCallSound("", audio.BackendNull, slog.New(slog.DiscardHandler))
		c.opened, c.sysErr = true, errors.New("no sound card") // no devices: the bubble holds every goroutine
		l := startCall(t, c)
		enc, err := opus.NewEncoder(opus.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for n := range 10 {
			pcm := make([]int16, opus.FrameSamples)
			for i := range pcm {
				pcm[i] = int16(10000 * math.Sin(2*math.Pi*440*float64(n*opus.FrameSamples+i)/opus.SampleRate))
			}
			pkt, err := enc.Encode(pcm)
			if err != nil {
				t.Fatal(err)
			}
			l.Frame("ben", media.Frame{Kind: media.Audio, Data: pkt, Timestamp: uint32(n * opus.FrameSamples)})
			<-tick.C
		}
		st := status()
		c.fill(&st)
		if !st.Participants[1].Speaking || st.Participants[0].Speaking {
			t.Fatalf("participants %+v, want Ben speaking and the member not", st.Participants)
		}
		_ = l.Close()
	})
}
