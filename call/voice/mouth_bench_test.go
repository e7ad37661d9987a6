package voice_test

import (
	"bytes"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"

	"github.com/umbrella-p2p/umbrella/call/codec/opus"
	"github.com/umbrella-p2p/umbrella/call/media"
	"github.com/umbrella-p2p/umbrella/call/voice"
)

// Mouth-to-ear latency of a call's voice, measured through everything the
// app runs between its microphone and its speaker: a click said into
// ann's microphone is timed from the instant it was spoken until ben's
// pipeline hands the frame that holds it to the speaker. That covers the
// 20 ms capture frame, Opus encoding (libopus, the app's codec, with its
// look-ahead), SFrame, RTP, DTLS-SRTP, UDP, the link, SFrame decryption,
// ben's jitter buffer and 20 ms playout clock (call/voice, as the app runs
// them), Opus decoding and the mix. Only the sound devices are not in it:
// their buffers are the stated assumptions below.
//
// Devices (call/device/audio, miniaudio at 10 ms periods):
//
//	capture    10 ms  one device period before a frame's last sample
//	                  reaches the app
//	playback   30 ms  what waits ahead of a frame in the playback queue
//	                  (up to one 20 ms frame) and one 10 ms device period
const (
	captureDevice  = 10 * time.Millisecond
	playbackDevice = 30 * time.Millisecond
)

// clickMic is a microphone that records in real time: a quiet hum (about
// -40 dBov, so the talker counts as speaking and its frames are sent),
// with a loud click (a 20 ms burst of 1 kHz at -8 dBov) every clickEvery
// at a sample offset that moves from one click to the next. It notes when
// each click was spoken.
type clickMic struct {
	frames chan []int16
	stop   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup

	mu     sync.Mutex
	spoken []time.Time // guarded by mu
}

const clickEvery = 25 // frames (500 ms)

func newClickMic() *clickMic {
	m := &clickMic{frames: make(chan []int16, 5), stop: make(chan struct{})}
	m.wg.Add(1)
	go m.run()
	return m
}

func (m *clickMic) run() {
	defer m.wg.Done()
	defer close(m.frames)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for n := 0; ; n++ {
		var now time.Time
		select {
		case <-m.stop:
			return
		case now = <-tick.C:
		}
		// The frame's last sample was recorded now: its sample i was
		// spoken (FrameSamples-i)/48 kHz ago.
		pcm := make([]int16, opus.FrameSamples)
		for i := range pcm {
			pcm[i] = int16(300 * math.Sin(2*math.Pi*200*float64(n*opus.FrameSamples+i)/opus.SampleRate))
		}
		if n%clickEvery == 0 && n > 0 {
			at := (n / clickEvery * 97) % (opus.FrameSamples / 2) // where in the frame the click starts
			for i := at; i < len(pcm); i++ {
				pcm[i] = int16(13000 * math.Sin(2*math.Pi*1000*float64(i-at)/opus.SampleRate))
			}
			m.mu.Lock()
			m.spoken = append(m.spoken, now.Add(-time.Duration(opus.FrameSamples-at)*time.Second/opus.SampleRate))
			m.mu.Unlock()
		}
		select {
		case m.frames <- pcm:
		default: // the pipeline lags: a device drops the frame
		}
	}
}

func (m *clickMic) Frames() <-chan []int16 { return m.frames }
func (m *clickMic) Close() error {
	m.once.Do(func() { close(m.stop) })
	return nil
}

// clickEar is a speaker that notes when each click is handed to it: the
// instant its first loud sample would start to play (before the device's
// buffers).
type clickEar struct {
	mu    sync.Mutex
	quiet int // samples since the last loud one
	heard []time.Time
}

func (e *clickEar) Write(pcm []int16) {
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, s := range pcm {
		if s > 6000 || s < -6000 {
			if e.quiet > opus.SampleRate/10 { // a click after 100 ms of quiet
				e.heard = append(e.heard, now.Add(time.Duration(i)*time.Second/opus.SampleRate))
			}
			e.quiet = 0
			continue
		}
		e.quiet++
	}
}

func (e *clickEar) Close() error { return nil }

func (e *clickEar) clicks() []time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.heard)
}

// stages times each part of a frame's way, by its packet's bytes (unique:
// the hum's phase never repeats within a run): when ann's encoder made it,
// when ben's Session handed it over decrypted, when ben's decoder took it.
type stages struct {
	mu       sync.Mutex
	encoded  map[string]time.Time // guarded by mu
	arrived  map[string]time.Time // guarded by mu
	encode   []time.Duration      // guarded by mu
	decode   []time.Duration      // guarded by mu
	network  []time.Duration      // encoded → arrived; guarded by mu
	buffered []time.Duration      // arrived → decoded; guarded by mu
}

func newStages() *stages {
	return &stages{encoded: map[string]time.Time{}, arrived: map[string]time.Time{}}
}

// reset forgets what was timed so far (the call's start).
func (s *stages) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.encode, s.decode, s.network, s.buffered = nil, nil, nil, nil
}

type timedEnc struct {
	s   *stages
	enc voice.Encoder
}

func (e timedEnc) Encode(pcm []int16) ([]byte, error) {
	start := time.Now()
	pkt, err := e.enc.Encode(pcm)
	done := time.Now()
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	e.s.encode = append(e.s.encode, done.Sub(start))
	if pkt != nil {
		e.s.encoded[string(pkt)] = done
	}
	return pkt, err
}

type timedDec struct {
	s   *stages
	dec voice.Decoder
}

func (d timedDec) Decode(pkt []byte, pcm []int16) error {
	start := time.Now()
	err := d.dec.Decode(pkt, pcm)
	done := time.Now()
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	d.s.decode = append(d.s.decode, done.Sub(start))
	if at, ok := d.s.arrived[string(pkt)]; ok {
		d.s.buffered = append(d.s.buffered, start.Sub(at))
		delete(d.s.arrived, string(pkt))
	}
	return err
}

func (d timedDec) Conceal(next []byte, pcm []int16) error { return d.dec.Conceal(next, pcm) }

// tap is ben's Sink in front of his Pipeline: it notes when each frame
// arrived, decrypted.
type tap struct {
	s *stages
	*voice.Pipeline
}

func (t tap) Frame(from string, f media.Frame) {
	now := time.Now()
	t.s.mu.Lock()
	if at, ok := t.s.encoded[string(f.Data)]; ok {
		t.s.network = append(t.s.network, now.Sub(at))
		delete(t.s.encoded, string(f.Data))
		t.s.arrived[string(f.Data)] = now
	}
	t.s.mu.Unlock()
	t.Pipeline.Frame(from, f)
}

// BenchmarkMouthToEar runs a two-person call with the app's voice path
// (real Opus, real Sessions) on 127.0.0.1 and over a pion vnet link with
// 50 ms of one-way delay, in real time, 500 ms (one click) an iteration,
// and reports the measured click-to-speaker latency (p50, p99, max) and
// the mouth-to-ear p99: that plus the devices' assumed buffers (targets
// 120 ms on loopback, 180 ms over 50 ms links).
func BenchmarkMouthToEar(b *testing.B) {
	b.Run("loopback", func(b *testing.B) {
		lo := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
		runMouthToEar(b, func(int) *webrtc.API { return media.NewAPI(lo) })
	})
	b.Run("link50ms", func(b *testing.B) {
		wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", MinDelay: 50 * time.Millisecond,
			LoggerFactory: logging.NewDefaultLoggerFactory()})
		if err != nil {
			b.Fatal(err)
		}
		apis := make([]*webrtc.API, 2)
		for i := range apis {
			nw, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{fmt.Sprintf("10.0.0.%d", i+2)}})
			if err != nil {
				b.Fatal(err)
			}
			if err := wan.AddNet(nw); err != nil {
				b.Fatal(err)
			}
			se := webrtc.SettingEngine{}
			se.SetNet(nw)
			se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
			apis[i] = webrtc.NewAPI(webrtc.WithSettingEngine(se))
		}
		if err := wan.Start(); err != nil {
			b.Fatal(err)
		}
		defer func() { _ = wan.Stop() }()
		runMouthToEar(b, func(i int) *webrtc.API { return apis[i] })
	})
}

func runMouthToEar(b *testing.B, api func(i int) *webrtc.API) {
	mic, ear, st := newClickMic(), &clickEar{}, newStages()
	var mu sync.Mutex
	sessions := map[string]*media.Session{}
	pipes := map[string]*voice.Pipeline{
		"ann": newPipeline(b, st, mic, &tapeSpeaker{}),
		"ben": newPipeline(b, st, &toneMic{frames: make(chan []int16)}, ear),
	}
	sinks := map[string]media.Sink{"ann": pipes["ann"], "ben": tap{st, pipes["ben"]}}
	for i, id := range []string{"ann", "ben"} {
		s, err := media.New(media.Config{Self: id, Sink: sinks[id], API: api(i), Signal: func(to string, blob []byte) {
			mu.Lock()
			dst := sessions[to]
			mu.Unlock()
			if dst != nil {
				_ = dst.HandleSignal(id, blob)
			}
		}})
		if err != nil {
			b.Fatal(err)
		}
		mu.Lock()
		sessions[id] = s
		mu.Unlock()
	}
	defer func() {
		for _, id := range []string{"ann", "ben"} {
			_ = pipes[id].Close()
			_ = sessions[id].Close()
		}
		mic.wg.Wait()
	}()
	key := bytes.Repeat([]byte{7}, 16)
	if err := sessions["ann"].SetSendKey(1, key); err != nil {
		b.Fatal(err)
	}
	if err := sessions["ben"].SetRecvKey("ann", 1, key); err != nil {
		b.Fatal(err)
	}
	for _, id := range []string{"ann", "ben"} {
		if err := pipes[id].Start(sessions[id]); err != nil {
			b.Fatal(err)
		}
	}
	if err := sessions["ann"].Connect("ben"); err != nil {
		b.Fatal(err)
	}
	if err := sessions["ben"].Connect("ann"); err != nil {
		b.Fatal(err)
	}
	// Wait until ben hears ann, then count from the next click.
	deadline := time.Now().Add(20 * time.Second)
	for len(ear.clicks()) == 0 {
		if time.Now().After(deadline) {
			b.Fatal("ben heard no click in 20 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	mic.mu.Lock()
	spoken0 := len(mic.spoken)
	mic.mu.Unlock()
	heard0 := len(ear.clicks())
	st.reset()
	b.ResetTimer()
	for range b.N {
		time.Sleep(clickEvery * 20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // the last click's way through
	b.StopTimer()
	mic.mu.Lock()
	spoken := slices.Clone(mic.spoken)
	mic.mu.Unlock()
	heard := ear.clicks()
	// Pair each click heard with the latest click spoken before it.
	var lat []time.Duration
	for _, h := range heard[heard0:] {
		i, _ := slices.BinarySearchFunc(spoken, h, func(s, h time.Time) int { return s.Compare(h) })
		if i == 0 || i-1 < spoken0 {
			continue
		}
		lat = append(lat, h.Sub(spoken[i-1]))
	}
	if len(lat) < b.N/2 {
		b.Fatalf("%d clicks heard of %d spoken", len(lat), len(spoken)-spoken0)
	}
	q := func(ds []time.Duration, p float64) time.Duration {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		if len(ds) == 0 {
			return 0
		}
		return ds[min(len(ds)-1, int(p*float64(len(ds))))]
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	st.mu.Lock()
	b.ReportMetric(ms(q(st.encode, 0.5)), "encode-p50-ms")
	b.ReportMetric(ms(q(st.network, 0.5)), "network-p50-ms")
	b.ReportMetric(ms(q(st.network, 0.99)), "network-p99-ms")
	b.ReportMetric(ms(q(st.buffered, 0.5)), "jitter-p50-ms")
	b.ReportMetric(ms(q(st.buffered, 0.99)), "jitter-p99-ms")
	b.ReportMetric(ms(q(st.decode, 0.5)), "decode-p50-ms")
	st.mu.Unlock()
	slices.Sort(lat)
	b.ReportMetric(ms(q(lat, 0.5)), "measured-p50-ms")
	b.ReportMetric(ms(q(lat, 0.99)), "measured-p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "measured-max-ms")
	b.ReportMetric(ms(q(lat, 0.99)+captureDevice+playbackDevice), "mouth-to-ear-p99-ms")
	b.ReportMetric(float64(len(lat)), "clicks")
	var played, lost, late uint64
	for _, st := range pipes["ben"].Stats() {
		played, lost, late = played+st.Played, lost+st.Lost, late+st.Late
	}
	b.ReportMetric(float64(lost+late)/float64(max(played+lost, 1))*100, "%concealed")
}
