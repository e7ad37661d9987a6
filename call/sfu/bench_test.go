package sfu

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// countSink serialises each packet as a track's write would (header with
// extensions, payload) and counts it.
type countSink struct {
	buf []byte
	n   *atomic.Uint64
}

func (s *countSink) WriteRTP(p *rtp.Packet) error {
	if size := p.MarshalSize(); cap(s.buf) < size {
		s.buf = make([]byte, size)
	}
	if _, err := p.MarshalTo(s.buf[:cap(s.buf)]); err != nil {
		return err
	}
	s.n.Add(1)
	return nil
}

// callLoad is a 32-person video call's forwarding load on a router:
// every participant publishes video and audio; every subscriber shows 9
// tiles (3×3) and hears the 3 loudest, so one packet of video and one of
// audio from a participant are forwarded 12 times.
type callLoad struct {
	r         *router
	srcs      []*source
	subs      []*subscriber
	forwarded atomic.Uint64
	latMu     sync.Mutex
	lat       []time.Duration
	video     []byte
	audio     []byte
	seq       []uint16
}

const loadN, loadTiles = 32, 9

func newCallLoad() *callLoad {
	l := &callLoad{r: newRouter(time.Now), lat: make([]time.Duration, 0, 1<<20),
		video: make([]byte, 1100), audio: make([]byte, 90), seq: make([]uint16, loadN)}
	l.video[0], l.video[1] = 0x10, 0x50 // S, partition 0, key frame tag: every packet may start a slot
	l.audio[0] = 0xf8
	l.r.observe = func(d time.Duration) {
		l.latMu.Lock()
		if len(l.lat) < cap(l.lat) {
			l.lat = append(l.lat, d)
		}
		l.latMu.Unlock()
	}
	for i := range loadN {
		id := fmt.Sprintf("peer%02d", i)
		l.srcs = append(l.srcs, &source{id: id, tag: SourceTag(id)})
		l.r.addSource(l.srcs[i])
	}
	for i := range loadN {
		sub := &subscriber{id: l.srcs[i].id}
		for range MaxAudioSlots {
			sub.audio = append(sub.audio, &slot{out: &countSink{n: &l.forwarded}})
		}
		shown := map[string]struct{}{}
		for d := 1; d <= loadTiles; d++ {
			sub.video = append(sub.video, &slot{out: &countSink{n: &l.forwarded}})
			shown[l.srcs[(i+d)%loadN].id] = struct{}{}
		}
		sub.shown.Store(&shown)
		l.subs = append(l.subs, sub)
		l.r.addSubscriber(sub)
	}
	return l
}

// publish sends one video and one audio packet of participant i.
func (l *callLoad) publish(i int) {
	now := time.Now()
	seq := l.seq[i]
	l.seq[i]++
	l.r.publish(inPacket{src: l.srcs[i], kind: Video, key: true, level: -1, arrived: now,
		pkt: &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 6000}, Payload: l.video}})
	l.r.publish(inPacket{src: l.srcs[i], kind: Audio, level: min(10+i*3, 127), voice: true, arrived: now,
		pkt: &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 960}, Payload: l.audio}})
}

// finish waits until every packet of published participant-rounds was
// forwarded or dropped, stops the router and reports the metrics.
func (l *callLoad) finish(b *testing.B, published int, start time.Time, cpu0 time.Duration) {
	want := uint64(published) * (loadTiles + MaxAudioSlots)
	dropped := func() (d uint64) {
		for _, sub := range l.subs {
			d += sub.dropped.Load()
		}
		return d
	}
	for l.forwarded.Load()+dropped() < want {
		runtime.Gosched()
	}
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	l.r.close()
	slices.Sort(l.lat)
	b.ReportMetric(float64(l.forwarded.Load())/elapsed.Seconds(), "pkt/s")
	b.ReportMetric(100*float64(l.forwarded.Load())/float64(want), "%delivered")
	b.ReportMetric(float64(cpu)/float64(elapsed), "cores")
	if len(l.lat) > 0 {
		b.ReportMetric(float64(l.lat[len(l.lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(l.lat[len(l.lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// cpuTime is the CPU time the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkForward32LastN measures the most a router forwards of a
// 32-person video call's load (callLoad) on one core: run it with -cpu 1,
// so that publishing, queueing, rewriting and serialising share that
// core. One iteration is a packet of video and one of audio from everyone
// (384 forwarded packets). It reports forwarded packets per second, the
// share delivered, the cores used and the p99 time a packet spends in the
// SFU. SRTP and the UDP send are not included.
func BenchmarkForward32LastN(b *testing.B) {
	l := newCallLoad()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for range b.N {
		for i := range loadN {
			l.publish(i)
		}
		runtime.Gosched() // let the subscribers' goroutines drain their queues
	}
	l.finish(b, b.N*loadN, start, cpu0)
}

// BenchmarkForward32LastNPaced offers the same load at a steady 30,000
// forwarded packets a second (one participant's video and audio packet
// every 400 µs, round-robin), as packets arrive in a call, and reports
// the same figures: the added latency at the target rate rather than
// under a flat-out burst. One iteration is one participant's packets.
func BenchmarkForward32LastNPaced(b *testing.B) {
	const rate = 30000 / (loadTiles + MaxAudioSlots) // participant-rounds a second
	l := newCallLoad()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for k := range b.N {
		due := start.Add(time.Duration(k) * time.Second / rate)
		for time.Now().Before(due) {
			runtime.Gosched()
		}
		l.publish(k % loadN)
	}
	l.finish(b, b.N, start, cpu0)
}
