package voice_test

import (
	"bytes"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/call/codec/opus"
	"github.com/umbrella-p2p/umbrella/call/media"
	"github.com/umbrella-p2p/umbrella/call/media/mediatest"
	"github.com/umbrella-p2p/umbrella/call/voice"
)

// This test runs the app's real voice path between two participants on a
// pion vnet LAN: a tone from alice's microphone is Opus-encoded, sent
// through her Session (SFrame, RTP), received by bob's Session, put in
// order, decoded and played on bob's speaker, which must play the same
// tone. Only the devices are fakes. (This test binary uses cgo, for
// libopus; package voice itself does not.)

// toneMic is a microphone the test feeds.
type toneMic struct {
	frames chan []int16
	once   sync.Once
}

func (m *toneMic) Frames() <-chan []int16 { return m.frames }
func (m *toneMic) Close() error           { m.once.Do(func() { close(m.frames) }); return nil }

// tapeSpeaker records what it plays.
type tapeSpeaker struct {
	mu   sync.Mutex
	tape []int16
}

func (s *tapeSpeaker) Write(pcm []int16) { s.mu.Lock(); s.tape = append(s.tape, pcm...); s.mu.Unlock() }
func (s *tapeSpeaker) Close() error      { return nil }
func (s *tapeSpeaker) played() []int16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int16(nil), s.tape...)
}

func goertzel(pcm []int16, freq float64) float64 {
	w := 2 * math.Pi * freq / opus.SampleRate
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range pcm {
		s0 := float64(x) + c*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

// dominant is the frequency among 100 Hz steps to 8 kHz where pcm has the
// most power.
func dominant(pcm []int16) float64 {
	best, bestP := 0.0, -1.0
	for f := 100.0; f <= 8000; f += 100 {
		if p := goertzel(pcm, f); p > bestP {
			best, bestP = f, p
		}
	}
	return best
}

// newPipeline is a Pipeline with the app's codecs on mic and spk; with
// st, its codecs note their times there.
func newPipeline(t testing.TB, st *stages, mic voice.Microphone, spk voice.Speaker) *voice.Pipeline {
	t.Helper()
	p, err := voice.New(voice.Config{
		NewEncoder: func() (voice.Encoder, error) {
			enc, err := opus.NewEncoder(opus.DefaultConfig())
			if st == nil || err != nil {
				return enc, err
			}
			return timedEnc{st, enc}, nil
		},
		NewDecoder: func() (voice.Decoder, error) {
			dec, err := opus.NewDecoder()
			if st == nil || err != nil {
				return dec, err
			}
			return timedDec{st, dec}, nil
		},
		OpenMicrophone: func() (voice.Microphone, error) { return mic, nil },
		OpenSpeaker:    func() (voice.Speaker, error) { return spk, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpusVoiceOverVnet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lan := mediatest.NewLAN(t)
		newSession := func(id string, ip int, sink media.Sink) *media.Session {
			return lan.Session(ip, media.Config{Self: id, Sink: sink})
		}
		mic := &toneMic{frames: make(chan []int16, 5)}
		tape := &tapeSpeaker{}
		alicePipe := newPipeline(t, nil, mic, &tapeSpeaker{})
		bobPipe := newPipeline(t, nil, &toneMic{frames: make(chan []int16)}, tape)
		alice := newSession("alice", 10, alicePipe)
		bob := newSession("bob", 11, bobPipe)
		lan.Start()
		defer func() {
			for _, c := range []interface{ Close() error }{alicePipe, bobPipe, alice, bob} {
				if err := c.Close(); err != nil {
					t.Error(err)
				}
			}
			lan.Stop()
		}()
		if err := alicePipe.Start(alice); err != nil {
			t.Fatal(err)
		}
		if err := bobPipe.Start(bob); err != nil {
			t.Fatal(err)
		}
		key := bytes.Repeat([]byte{7}, 16)
		if err := alice.SetSendKey(1, key); err != nil {
			t.Fatal(err)
		}
		if err := bob.SetRecvKey("alice", 1, key); err != nil {
			t.Fatal(err)
		}
		if err := alice.Connect("bob"); err != nil {
			t.Fatal(err)
		}
		if err := bob.Connect("alice"); err != nil {
			t.Fatal(err)
		}
		// Alice speaks: a 1 kHz tone, 20 ms a frame, in real (virtual) time.
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		var n int
		speakFor := func(frames int) {
			for range frames {
				<-tick.C
				pcm := make([]int16, opus.FrameSamples)
				for i := range pcm {
					pcm[i] = int16(8000 * math.Sin(2*math.Pi*1000*float64(n*opus.FrameSamples+i)/opus.SampleRate))
				}
				n++
				mic.frames <- pcm
			}
		}
		heard := func() bool {
			for _, l := range bobPipe.Levels() {
				if l.Peer == "alice" && l.Speaking {
					return true
				}
			}
			return false
		}
		for i := 0; !heard(); i++ {
			if i > 500 {
				t.Fatal("bob never hears alice speak in 10 s")
			}
			speakFor(1)
		}
		before := len(tape.played())
		speakFor(100) // 2 s
		got := tape.played()[before:]
		if len(got) < 90*opus.FrameSamples {
			t.Fatalf("bob played %d samples in 2 s, want about %d", len(got), 100*opus.FrameSamples)
		}
		if f := dominant(got); f != 1000 {
			t.Fatalf("bob hears a tone at %v Hz, alice sent 1000", f)
		}
		var sum float64
		for _, s := range got {
			sum += float64(s) * float64(s)
		}
		rms := math.Sqrt(sum / float64(len(got)))
		if want := 8000 / math.Sqrt2; rms < want*0.7 || rms > want*1.3 {
			t.Fatalf("bob hears RMS %.0f, alice sent %.0f", rms, want)
		}
		st := bobPipe.Stats()
		t.Logf("bob's buffer of alice: %+v; level %+v", st, bobPipe.Levels())
		if len(st) != 1 || st[0].Played < 100 || st[0].Late != 0 {
			t.Fatalf("bob's buffer of alice: %+v", st)
		}
	})
}
