package voice

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/call/media"
)

// A fake codec whose packet carries one sample value: a frame of PCM all
// at v encodes to {TOC, v}, and decodes back to v everywhere; a concealed
// frame is all concealValue. A frame of digital silence (v 0) gives no
// packet, as Opus's DTX does.
type fakeEnc struct{}

func (fakeEnc) Encode(pcm []int16) ([]byte, error) {
	if pcm[0] == 0 {
		return nil, nil
	}
	return []byte{0xf8, byte(uint16(pcm[0]) >> 8), byte(pcm[0])}, nil
}

const concealValue = 7

type fakeDec struct{}

func (fakeDec) Decode(p []byte, pcm []int16) error {
	if len(p) != 3 {
		return errors.New("bad packet")
	}
	v := int16(uint16(p[1])<<8 | uint16(p[2]))
	for i := range pcm {
		pcm[i] = v
	}
	return nil
}

func (fakeDec) Conceal(_ []byte, pcm []int16) error {
	for i := range pcm {
		pcm[i] = concealValue
	}
	return nil
}

type fakeMic struct {
	frames chan []int16
	once   sync.Once
}

func newFakeMic() *fakeMic { return &fakeMic{frames: make(chan []int16, 100)} }

func (m *fakeMic) Frames() <-chan []int16 { return m.frames }
func (m *fakeMic) Close() error           { m.once.Do(func() { close(m.frames) }); return nil }

type fakeSpk struct {
	mu     sync.Mutex
	writes [][]int16
	closed bool
}

func (s *fakeSpk) Write(pcm []int16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, append([]int16(nil), pcm...))
}

func (s *fakeSpk) Close() error { s.mu.Lock(); s.closed = true; s.mu.Unlock(); return nil }

// firsts is the first sample of every frame written so far.
func (s *fakeSpk) firsts() []int16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]int16, len(s.writes))
	for i, w := range s.writes {
		out[i] = w[0]
	}
	return out
}

type fakeSender struct {
	mu   sync.Mutex
	sent []media.Frame
}

func (s *fakeSender) Send(f media.Frame) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, f)
	return nil
}

func (s *fakeSender) count() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.sent) }

func flat(v int16) []int16 {
	out := make([]int16, FrameSamples)
	for i := range out {
		out[i] = v
	}
	return out
}

func newTestPipeline(t *testing.T, mic *fakeMic, spk *fakeSpk) *Pipeline {
	t.Helper()
	cfg := Config{
		NewEncoder:  func() (Encoder, error) { return fakeEnc{}, nil },
		NewDecoder:  func() (Decoder, error) { return fakeDec{}, nil },
		OpenSpeaker: func() (Speaker, error) { return spk, nil },
	}
	if mic != nil {
		cfg.OpenMicrophone = func() (Microphone, error) { return mic, nil }
	} else {
		cfg.OpenMicrophone = func() (Microphone, error) { return nil, errors.New("no capture device") }
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waitFor polls cond every 20 ms of virtual time until it holds or
// within passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what)
		}
		<-tick.C
	}
}

func TestPipelineSendsMicrophone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mic, spk, out := newFakeMic(), &fakeSpk{}, &fakeSender{}
		p := newTestPipeline(t, mic, spk)
		if err := p.start(out); err != nil {
			t.Fatal(err)
		}
		if st := p.State(); !st.Sending || !st.Playing {
			t.Fatalf("state %+v", st)
		}
		for i := range 5 {
			mic.frames <- flat(int16(1000 + i))
		}
		waitFor(t, time.Second, "5 frames sent", func() bool { return out.count() == 5 })
		for i, f := range out.sent {
			if f.Kind != media.Audio || int16(uint16(f.Data[1])<<8|uint16(f.Data[2])) != int16(1000+i) {
				t.Fatalf("frame %d sent as %+v", i, f)
			}
			// 1000/32767 of full scale is -29.7 dBov: RFC 6464 level 30.
			if want := RFC6464Level(DBov(flat(int16(1000 + i)))); f.Level != want || want < 29 || want > 30 {
				t.Fatalf("frame %d sent at level %d, want %d (about 30)", i, f.Level, want)
			}
		}
		if l := p.Levels(); len(l) != 1 || l[0].Peer != "" || !l[0].Speaking || l[0].DBov < -35 {
			t.Fatalf("own level %+v, want speaking at about -30 dBov", l)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if !spk.closed {
			t.Fatal("the speaker was not closed")
		}
	})
}

// TestPipelineMarksSilenceAndGaps: frames the encoder gives no packet
// for (DTX) are not sent, and the next frame sent counts them (Skipped);
// frames sent once the speaker has been quiet for SpeakingHold frames are
// marked Silent, so that an SFU does not forward them.
func TestPipelineMarksSilenceAndGaps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mic, out := newFakeMic(), &fakeSender{}
		p := newTestPipeline(t, mic, &fakeSpk{})
		defer p.Close()
		if err := p.start(out); err != nil {
			t.Fatal(err)
		}
		var frames [][]int16
		for range 3 {
			frames = append(frames, flat(1000)) // speech
		}
		for range 7 {
			frames = append(frames, flat(0)) // DTX: not sent
		}
		for range SpeakingHold + 5 {
			frames = append(frames, flat(1)) // quiet, still sent (-90 dBov)
		}
		frames = append(frames, flat(1000))
		for _, f := range frames {
			mic.frames <- f
		}
		want := 3 + SpeakingHold + 5 + 1
		waitFor(t, time.Second, "frames sent", func() bool { return out.count() == want })
		out.mu.Lock()
		defer out.mu.Unlock()
		for i, f := range out.sent {
			skipped, silent := uint16(0), false
			switch {
			case i == 3:
				skipped = 7
			case i+7 >= 2+SpeakingHold && i < want-1:
				silent = true // SpeakingHold frames after the last loud one (mic frame 2)
			}
			if f.Skipped != skipped || f.Silent != silent {
				t.Errorf("frame %d sent with Skipped %d Silent %t, want %d %t", i, f.Skipped, f.Silent, skipped, silent)
			}
		}
	})
}

// TestPipelineMixesSpeakers: two speakers' frames, arriving out of order
// and one lost, come out of the speaker in order, summed, the lost one
// concealed; each speaker's level is its own.
func TestPipelineMixesSpeakers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		spk := &fakeSpk{}
		p := newTestPipeline(t, nil, spk) // no microphone: listens only
		p.cfg.Target = 3                  // 6 frames arrive at once: within the bound of 2*3+1
		defer p.Close()
		if err := p.start(&fakeSender{}); err != nil {
			t.Fatal(err)
		}
		st := p.State()
		if st.Sending || !errors.Is(st.MicrophoneErr, ErrNoMicrophone) || !st.Playing {
			t.Fatalf("without a microphone: %+v, want listening only", st)
		}
		frame := func(v int16, n int) media.Frame {
			return media.Frame{Kind: media.Audio, Data: fakeEnc{}.mustEncode(flat(v)), Timestamp: uint32(n * FrameSamples)}
		}
		// bob: 1..6 with 2 and 1 swapped and 4 lost; carol: 1..6, loud.
		for _, n := range []int{2, 1, 3, 5, 6} {
			p.Frame("bob", frame(int16(n), n)) // about -90 dBov: not speech
		}
		for n := 1; n <= 6; n++ {
			p.Frame("carol", frame(10000, n))
		}
		p.Frame("carol", media.Frame{Kind: media.Video, Data: []byte{1, 2, 3}}) // not audio's
		waitFor(t, time.Second, "6 mixed frames", func() bool { return slices.Contains(spk.firsts(), 10006) })
		var got []int16
		for _, v := range spk.firsts() {
			if v != 0 {
				got = append(got, v)
			}
			if v == 10006 {
				break // then both are concealed, then silent
			}
		}
		want := []int16{10001, 10002, 10003, 10000 + concealValue, 10005, 10006}
		if len(got) != len(want) {
			t.Fatalf("mixed %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("mixed %v, want %v", got, want)
			}
		}
		levels := p.Levels()
		if len(levels) != 3 || levels[1].Peer != "bob" || levels[2].Peer != "carol" {
			t.Fatalf("levels %+v", levels)
		}
		if bob, carol := levels[1], levels[2]; bob.Speaking || !carol.Speaking {
			t.Fatalf("bob %+v, carol %+v: want carol speaking, bob not", bob, carol)
		}
		if s := p.Stats(); len(s) != 2 || s[0].Lost == 0 {
			t.Fatalf("stats %+v, want bob's loss counted", s)
		}
	})
}

// TestPipelineSwitchesMicrophone: a new microphone replaces the old one
// mid-call; one that stops by itself leaves the call listening only.
func TestPipelineSwitchesMicrophone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first, second, out := newFakeMic(), newFakeMic(), &fakeSender{}
		p := newTestPipeline(t, first, &fakeSpk{})
		defer p.Close()
		if err := p.start(out); err != nil {
			t.Fatal(err)
		}
		p.UseMicrophone(func() (Microphone, error) { return second, nil })
		select {
		case _, ok := <-first.frames:
			if ok {
				t.Fatal("the first microphone still open")
			}
		default:
			t.Fatal("the first microphone still open")
		}
		second.frames <- flat(5)
		waitFor(t, time.Second, "a frame from the second microphone", func() bool { return out.count() == 1 })
		if !p.State().Sending {
			t.Fatal("not sending")
		}
		_ = second.Close() // unplugged
		waitFor(t, time.Second, "listening only", func() bool { return !p.State().Sending })
		if err := p.State().MicrophoneErr; !errors.Is(err, ErrNoMicrophone) {
			t.Fatalf("microphone error %v", err)
		}
	})
}

func (e fakeEnc) mustEncode(pcm []int16) []byte {
	b, _ := e.Encode(pcm)
	return b
}

// slowSpk is a speaker whose first Write takes 90 ms (a busy machine).
type slowSpk struct {
	fakeSpk
	slow sync.Once
}

func (s *slowSpk) Write(pcm []int16) {
	s.slow.Do(func() { time.Sleep(90 * time.Millisecond) })
	s.fakeSpk.Write(pcm)
}

// TestPlayoutKeepsTime: when playout runs late, it plays the frames whose
// time has come at once, so that over a second the speaker still gets a
// second of sound (50 frames), not less.
func TestPlayoutKeepsTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		spk := &slowSpk{}
		p, err := New(Config{
			NewEncoder:  func() (Encoder, error) { return fakeEnc{}, nil },
			NewDecoder:  func() (Decoder, error) { return fakeDec{}, nil },
			OpenSpeaker: func() (Speaker, error) { return spk, nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.start(&fakeSender{}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second + 10*time.Millisecond)
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if n := len(spk.firsts()); n != 50 {
			t.Fatalf("%d frames played in a second, want 50", n)
		}
	})
}

// rateEnc is fakeEnc that records the bitrates set on it.
type rateEnc struct {
	fakeEnc
	set []int
}

func (e *rateEnc) SetBitrate(bps int) error {
	e.set = append(e.set, bps)
	return nil
}

// TestThroughSFUSetsBitrate: a call moved to an SFU gets its encoder set
// to Config.SFUBitrate, and back to MeshBitrate in a mesh; an encoder
// that cannot change its bitrate, or a Config without bitrates, is left
// as it is.
func TestThroughSFUSetsBitrate(t *testing.T) {
	enc := &rateEnc{}
	p, err := New(Config{NewEncoder: func() (Encoder, error) { return enc, nil },
		NewDecoder: func() (Decoder, error) { return fakeDec{}, nil }, MeshBitrate: 32000, SFUBitrate: 12000})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.ThroughSFU(true)
	p.ThroughSFU(false)
	p.ThroughSFU(true)
	if want := []int{12000, 32000, 12000}; !slices.Equal(enc.set, want) {
		t.Fatalf("bitrates set %v, want %v", enc.set, want)
	}
	unset := &rateEnc{}
	q, err := New(Config{NewEncoder: func() (Encoder, error) { return unset, nil },
		NewDecoder: func() (Decoder, error) { return fakeDec{}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	q.ThroughSFU(true)
	if len(unset.set) != 0 {
		t.Fatalf("bitrates set %v with none configured", unset.set)
	}
	r := newTestPipeline(t, nil, &fakeSpk{}) // fakeEnc: no SetBitrate
	defer r.Close()
	r.cfg.SFUBitrate = 12000
	r.ThroughSFU(true)
}
