package sfu

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// byteSink counts the bytes written to it as a track's write serialises
// them (RTP header with the SFU's extensions, payload) by the second of
// the call each packet belongs to (its payload's bytes 1–4 hold its frame
// number).
type byteSink struct {
	buf     []byte
	seconds []second // by second of the call
}

// second is what an SFU sent in one second of the call.
type second struct{ bytes, pkts atomic.Uint64 } // RTP

func (s *byteSink) WriteRTP(p *rtp.Packet) error {
	size := p.MarshalSize()
	if cap(s.buf) < size {
		s.buf = make([]byte, size)
	}
	if _, err := p.MarshalTo(s.buf[:size]); err != nil {
		return err
	}
	sec := &s.seconds[int(binary.BigEndian.Uint32(p.Payload[1:]))/framesPerSecond]
	sec.bytes.Add(uint64(size))
	sec.pkts.Add(1)
	return nil
}

// Voice egress of one SFU, per forwarded packet beyond the RTP packet:
// SRTP's authentication tag (AEAD_AES_128_GCM, pion's preferred profile)
// and IPv4 and UDP headers.
const (
	srtpTag     = 16
	ipUDPHeader = 20 + 8
	// voicePayload is one 20 ms Opus frame at 32 kbit/s (80 bytes,
	// call/codec/opus's DefaultConfig) under SFrame: a 4-byte header (KID
	// and counter) and the 10-byte tag of AES_128_CTR_HMAC_SHA256_80,
	// call/media's suite.
	voicePayload = 80 + 4 + 10
	// cnPayload is a comfort-noise packet that Opus's DTX sends every
	// 400 ms of silence (about 60 bytes at 32 kbit/s), under SFrame.
	cnPayload       = 60 + 4 + 10
	framesPerSecond = 50 // 20 ms Opus frames
)

// The conversation of BenchmarkVoice32Egress, frame by frame. Its
// numbers: talkspurts as ITU-T P.59 (artificial conversational speech)
// has them, 1.0 s on average (exponential, at least 200 ms); pauses within
// a speaker's turn 0.6 s on average (a speaker who holds the floor pauses
// less than one in a two-way conversation, P.59's 1.6 s); a turn lasts
// 5–30 s; somebody else interjects ("yes", a laugh, a question) for
// 0.3–1.5 s every 8 s on average, over the speaker. What each sender
// does, as call/voice and call/codec/opus make it: the V flag (voice
// activity) is set while it speaks and for SpeakingHold (20 frames) after;
// it sends every frame while it speaks and for a second after (Opus's
// DTX needs that long to settle on the room's noise), then a comfort-
// noise packet every 20 frames, at the noise's level (−60 dBov).
const (
	talkspurtMean  = 1.004 // s
	pauseMean      = 0.6   // s
	minTalkspurt   = 0.2   // s
	turnMin        = 5.0   // s
	turnMax        = 30.0  // s
	interjectEvery = 8.0   // s on average
	interjectMin   = 0.3   // s
	interjectMax   = 1.5   // s
	holdFrames     = 20    // call/voice's SpeakingHold
	dtxAfter       = 50    // frames of sending after speech before DTX
	cnEvery        = 20    // frames between comfort-noise packets
	noiseLevel     = 60    // −dBov
)

// conversation scripts one call: who speaks in each frame.
type conversation struct {
	rng      *rand.Rand
	holder   int // who holds the floor
	turnEnd  int // frame at which the turn passes
	nextFlip int // frame at which the holder's spurt or pause ends
	spurt    bool
	until    []int // per participant: speaks while frame < until
}

func newConversation(n int, seed uint64) *conversation {
	return &conversation{rng: rand.New(rand.NewPCG(seed, 21)), until: make([]int, n)}
}

func (c *conversation) frames(seconds float64) int { return int(seconds * framesPerSecond) }

func (c *conversation) uniform(lo, hi float64) float64 { return lo + c.rng.Float64()*(hi-lo) }

// step advances to frame k and returns who speaks in it.
func (c *conversation) step(k int, speaks []bool) {
	n := len(c.until)
	if k >= c.turnEnd {
		c.holder = (c.holder + 1 + c.rng.IntN(n-1)) % n // another participant
		c.turnEnd = k + c.frames(c.uniform(turnMin, turnMax))
		c.spurt, c.nextFlip = false, k
	}
	if k >= c.nextFlip {
		c.spurt = !c.spurt
		if c.spurt {
			d := max(c.rng.ExpFloat64()*talkspurtMean, minTalkspurt)
			c.nextFlip = k + c.frames(d)
			c.until[c.holder] = c.nextFlip
		} else {
			c.nextFlip = k + max(c.frames(c.rng.ExpFloat64()*pauseMean), 1)
		}
	}
	if c.rng.Float64() < 1/(interjectEvery*framesPerSecond) {
		if i := c.rng.IntN(n); i != c.holder && c.until[i] <= k {
			c.until[i] = k + c.frames(c.uniform(interjectMin, interjectMax))
		}
	}
	for i := range speaks {
		speaks[i] = k < c.until[i]
	}
}

// voiceLoad is one 32-person voice call through an SFU's router, every
// participant subscribed to the 3 loudest speakers (MaxAudioSlots), on a
// clock that the benchmark moves 20 ms a frame.
type voiceLoad struct {
	r       *router
	clock   atomic.Int64
	srcs    []*source
	subs    []*subscriber
	seconds []second
	lastHit []int // per sender: the last frame it spoke in (-1: never)
	seq     []uint16
}

func newVoiceLoad(seconds int) *voiceLoad {
	l := &voiceLoad{seconds: make([]second, seconds), lastHit: make([]int, loadN), seq: make([]uint16, loadN)}
	l.clock.Store(time.Unix(1e9, 0).UnixNano())
	l.r = newRouter(func() time.Time { return time.Unix(0, l.clock.Load()) })
	for i := range loadN {
		id := fmt.Sprintf("peer%02d", i)
		l.srcs = append(l.srcs, &source{id: id, tag: SourceTag(id)})
		l.r.addSource(l.srcs[i])
		l.lastHit[i] = -1 << 20
	}
	for i := range loadN {
		sub := &subscriber{id: l.srcs[i].id, levelExt: 1, tagExt: [Video + 1]uint8{0, 2, 2}}
		for range MaxAudioSlots {
			sub.audio = append(sub.audio, &slot{out: &byteSink{seconds: l.seconds}})
		}
		l.subs = append(l.subs, sub)
		l.r.addSubscriber(sub)
	}
	return l
}

// frame publishes frame k of every participant: speaks says who speaks,
// level how loud (−dBov). It returns how many sent voice (the V flag).
func (l *voiceLoad) frame(k int, speaks []bool, level func(i int) int) (voiced int) {
	now := time.Unix(0, l.clock.Add(int64(20*time.Millisecond)))
	for i, src := range l.srcs {
		if speaks[i] {
			l.lastHit[i] = k
		}
		since := k - l.lastHit[i]
		voice := since <= holdFrames
		size, lvl := voicePayload, level(i)
		switch {
		case voice:
			voiced++
		case since <= dtxAfter:
			lvl = noiseLevel
		case since%cnEvery == 0:
			size, lvl = cnPayload, noiseLevel
		default:
			continue // DTX: nothing sent
		}
		payload := make([]byte, size)
		payload[0] = 0xf8
		binary.BigEndian.PutUint32(payload[1:], uint32(k))
		l.r.publish(inPacket{src: src, kind: Audio, level: lvl, voice: voice, arrived: now,
			pkt: &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: l.seq[i], Timestamp: uint32(k) * 960}, Payload: payload}})
		l.seq[i]++
	}
	for _, sub := range l.subs { // the SFU keeps up with a real call: let it
		for len(sub.q) > 0 {
			runtime.Gosched()
		}
	}
	return voiced
}

// egress is what an SFU sent in calls: per second of call on average, and
// in the busiest second, in Mbit/s on the wire.
type egress struct {
	seconds                    int
	rtpBytes, pkts, wire, peak float64
}

// done closes the router and adds the call's egress to e.
func (l *voiceLoad) done(b *testing.B, e *egress) {
	l.r.close()
	for _, sub := range l.subs {
		if d := sub.dropped.Load(); d > 0 {
			b.Fatalf("%d packets dropped: the egress would be undercounted", d)
		}
	}
	for i := range l.seconds {
		bytes, pkts := float64(l.seconds[i].bytes.Load()), float64(l.seconds[i].pkts.Load())
		wire := (bytes + pkts*(srtpTag+ipUDPHeader)) * 8 / 1e6
		e.seconds++
		e.rtpBytes += bytes
		e.pkts += pkts
		e.wire += wire
		e.peak = max(e.peak, wire)
	}
}

func (e *egress) report(b *testing.B) {
	secs := float64(e.seconds)
	b.ReportMetric(e.wire/secs, "wire-Mbit/s")
	b.ReportMetric(e.peak, "peak-1s-wire-Mbit/s")
	b.ReportMetric(e.rtpBytes*8/secs/1e6, "rtp-Mbit/s")
	b.ReportMetric(e.pkts/secs, "pkt/s")
}

// BenchmarkVoice32Egress measures what leaves an SFU in a 32-person voice
// call (target: 4 Mbit/s on the wire, with SRTP and UDP/IPv4), through the
// router's real selection: each participant receives the voices of the 3
// loudest others that speak (the V flag).
//
//   - conversation: one iteration is 5 minutes of a scripted conversation
//     (see the constants above): one speaker holds the floor, others
//     interject over it; everyone else listens with an open microphone in
//     a quiet room. talkers is the mean number of senders with the V flag
//     set per frame, and %double-talk the share of frames with two or more.
//   - everyone-speaks: the worst case, all 32 speak at once without pause
//     for 20 s an iteration, so every participant receives 3 voices.
func BenchmarkVoice32Egress(b *testing.B) {
	b.Run("conversation", func(b *testing.B) {
		const seconds = 300
		frames := seconds * framesPerSecond
		var talkers, double float64
		var e egress
		for it := range b.N {
			l := newVoiceLoad(seconds)
			c := newConversation(loadN, uint64(it)+1)
			speaks := make([]bool, loadN)
			for k := range frames {
				c.step(k, speaks)
				v := l.frame(k, speaks, func(i int) int { return 25 + i%10 })
				talkers += float64(v)
				if v >= 2 {
					double++
				}
			}
			l.done(b, &e)
		}
		e.report(b)
		b.ReportMetric(talkers/float64(b.N*frames), "talkers")
		b.ReportMetric(100*double/float64(b.N*frames), "%double-talk")
	})
	b.Run("everyone-speaks", func(b *testing.B) {
		const seconds = 20
		frames := seconds * framesPerSecond
		all := make([]bool, loadN)
		for i := range all {
			all[i] = true
		}
		var e egress
		for range b.N {
			l := newVoiceLoad(seconds)
			for k := range frames {
				// Who speaks loudest changes every second.
				l.frame(k, all, func(i int) int { return min(10+(i+k/framesPerSecond)%loadN*3, 127) })
			}
			l.done(b, &e)
		}
		e.report(b)
	})
}
