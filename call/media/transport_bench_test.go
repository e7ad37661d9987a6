package media

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"
)

// The transport part of a call's audio latency: SFrame encrypt, RTP
// packetise, SRTP, UDP, the link, SRTP, depacketise, SFrame decrypt
// (send-to-decrypt of synthetic frames, Stats). Mouth-to-ear, with Opus,
// the jitter buffer and playout, is measured by call/voice's
// BenchmarkMouthToEar.

// pair is two participants' Sessions, each sending synthetic audio to the
// other, their media messages carried directly.
type pair struct {
	mu sync.Mutex
	s  map[string]*Session
}

func newPair(b *testing.B, api func(i int) *webrtc.API) *pair {
	b.Helper()
	p := &pair{s: map[string]*Session{}}
	for i, id := range []string{"ann", "ben"} {
		s, err := New(Config{Self: id, Synthetic: true, API: api(i), Signal: func(to string, blob []byte) {
			p.mu.Lock()
			dst := p.s[to]
			p.mu.Unlock()
			if dst != nil {
				dst.HandleSignal(id, blob)
			}
		}})
		if err != nil {
			b.Fatal(err)
		}
		p.mu.Lock()
		p.s[id] = s
		p.mu.Unlock()
		if err := s.SetSendKey(1, key(byte(i+1))); err != nil {
			b.Fatal(err)
		}
	}
	if err := p.s["ann"].SetRecvKey("ben", 1, key(2)); err != nil {
		b.Fatal(err)
	}
	if err := p.s["ben"].SetRecvKey("ann", 1, key(1)); err != nil {
		b.Fatal(err)
	}
	if err := p.s["ann"].Connect("ben"); err != nil {
		b.Fatal(err)
	}
	if err := p.s["ben"].Connect("ann"); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for stats(p.s["ben"], "ann").FramesDecrypted < 10 {
		if time.Now().After(deadline) {
			b.Fatal("no audio decrypted after 20 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return p
}

func (p *pair) close() {
	for _, s := range p.s {
		s.Close()
	}
}

// BenchmarkAudioTransport runs a two-person call of synthetic audio for a
// second per iteration, on loopback and over a virtual link with 50 ms of
// one-way delay (pion vnet, in real time), and reports the transport's
// p50/p99.
func BenchmarkAudioTransport(b *testing.B) {
	b.Run("loopback", func(b *testing.B) {
		lo := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
		runAudioTransport(b, func(int) *webrtc.API { return NewAPI(lo) })
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
		defer wan.Stop()
		runAudioTransport(b, func(i int) *webrtc.API { return apis[i] })
	})
}

func runAudioTransport(b *testing.B, api func(i int) *webrtc.API) {
	p := newPair(b, api)
	defer p.close()
	b.ResetTimer()
	for range b.N {
		time.Sleep(time.Second) // a second of the call
	}
	b.StopTimer()
	st := stats(p.s["ben"], "ann")
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(st.LatencyP50), "transport-p50-ms")
	b.ReportMetric(ms(st.LatencyP99), "transport-p99-ms")
	b.ReportMetric(float64(st.FramesDecrypted)/float64(max(st.FramesReceived, 1))*100, "%decrypted")
}
