package sfu

import (
	"runtime"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// publishSimulcast sends participant i's video in all three layers and
// one audio packet: each subscriber wants the high layer of its first
// tile (the speaker) and the low one of the others, so the router drops
// two of every three video packets it queues and forwards as many as
// without simulcast.
func (l *callLoad) publishSimulcast(i int) {
	now := time.Now()
	seq := l.seq[i]
	l.seq[i]++
	for layer := range Layer(MaxLayers) {
		l.r.publish(inPacket{src: l.srcs[i], kind: Video, key: true, layer: layer, level: -1, arrived: now,
			pkt: &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: uint32(layer), SequenceNumber: seq, Timestamp: uint32(seq) * 6000}, Payload: l.video}})
	}
	l.r.publish(inPacket{src: l.srcs[i], kind: Audio, level: min(10+i*3, 127), voice: true, arrived: now,
		pkt: &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 960}, Payload: l.audio}})
}

// BenchmarkForward32Simulcast is BenchmarkForward32LastN with every
// participant publishing three simulcast layers; run it with -cpu 1. One
// iteration is a packet of each layer and one of audio from everyone
// (384 forwarded packets).
func BenchmarkForward32Simulcast(b *testing.B) {
	l := newCallLoad()
	for i, sub := range l.subs {
		want := map[string]Layer{}
		for d := 1; d <= loadTiles; d++ {
			want[l.srcs[(i+d)%loadN].id] = LayerLow
		}
		want[l.srcs[(i+1)%loadN].id] = LayerHigh
		sub.want.Store(&want)
		sub.gen.Add(1)
	}
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for range b.N {
		for i := range loadN {
			l.publishSimulcast(i)
		}
		runtime.Gosched()
	}
	l.finish(b, b.N*loadN, start, cpu0)
}
