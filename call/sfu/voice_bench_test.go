package sfu

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// byteSink counts the packets written to it and their bytes as a track's
// write serialises them (RTP header with the SFU's extensions, payload).
type byteSink struct {
	buf      []byte
	n, bytes *atomic.Uint64
}

func (s *byteSink) WriteRTP(p *rtp.Packet) error {
	size := p.MarshalSize()
	if cap(s.buf) < size {
		s.buf = make([]byte, size)
	}
	if _, err := p.MarshalTo(s.buf[:size]); err != nil {
		return err
	}
	s.n.Add(1)
	s.bytes.Add(uint64(size))
	return nil
}

// Voice egress of one SFU, per forwarded packet beyond the RTP packet:
// SRTP's authentication tag (AEAD_AES_128_GCM, pion's preferred profile)
// and IPv4 and UDP headers.
const (
	srtpTag     = 16
	ipUDPHeader = 20 + 8
	// voicePayload is one 20 ms Opus frame at 32 kbit/s (80 bytes) under
	// SFrame: a 4-byte header (KID and counter) and the 10-byte tag of
	// AES_128_CTR_HMAC_SHA256_80, call/media's suite.
	voicePayload = 80 + 4 + 10
	voiceFrame   = 20 * time.Millisecond
)

// BenchmarkVoice32Egress measures what leaves an SFU in a 32-person
// voice call: every participant sends a 20 ms Opus packet each frame (no
// one is silent, the worst case), and each hears the 3 loudest others
// (MaxAudioSlots), so the SFU sends 32 × 3 packets a frame. One
// iteration is one frame of everyone's audio. It reports the RTP bits per
// second the SFU writes and the bits on the wire with SRTP and UDP/IPv4
// (target: 4 Mbit/s), and the packets per second.
func BenchmarkVoice32Egress(b *testing.B) {
	r := newRouter(time.Now)
	var n, bytes atomic.Uint64
	srcs := make([]*source, loadN)
	var subs []*subscriber
	for i := range loadN {
		id := fmt.Sprintf("peer%02d", i)
		srcs[i] = &source{id: id, tag: SourceTag(id)}
		r.addSource(srcs[i])
	}
	for i := range loadN {
		sub := &subscriber{id: srcs[i].id, levelExt: 1, tagExt: [Video + 1]uint8{0, 2, 2}}
		for range MaxAudioSlots {
			sub.audio = append(sub.audio, &slot{out: &byteSink{n: &n, bytes: &bytes}})
		}
		shown := map[string]struct{}{}
		sub.shown.Store(&shown)
		subs = append(subs, sub)
		r.addSubscriber(sub)
	}
	payload := make([]byte, voicePayload)
	payload[0] = 0xf8
	b.ResetTimer()
	for k := range b.N {
		for i := range loadN {
			// Who speaks loudest changes every second (50 frames).
			level := 10 + (i+k/50)%loadN*3
			r.publish(inPacket{src: srcs[i], kind: Audio, level: min(level, 127), arrived: time.Now(),
				pkt: &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(k), Timestamp: uint32(k) * 960}, Payload: payload}})
		}
		runtime.Gosched()
	}
	want := uint64(b.N) * loadN * MaxAudioSlots
	dropped := func() (d uint64) {
		for _, sub := range subs {
			d += sub.dropped.Load()
		}
		return d
	}
	for n.Load()+dropped() < want {
		runtime.Gosched()
	}
	b.StopTimer()
	r.close()
	secs := float64(b.N) * voiceFrame.Seconds() // of call audio
	b.ReportMetric(float64(bytes.Load())*8/secs/1e6, "rtp-Mbit/s")
	b.ReportMetric(float64(bytes.Load()+n.Load()*(srtpTag+ipUDPHeader))*8/secs/1e6, "wire-Mbit/s")
	b.ReportMetric(float64(n.Load())/secs, "pkt/s")
	b.ReportMetric(100*float64(n.Load())/float64(want), "%delivered")
}
