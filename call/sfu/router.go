package sfu

import (
	"cmp"
	"encoding/binary"
	"hash/fnv"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// Kind is a track's media kind.
type Kind uint8

// Media kinds.
const (
	Audio Kind = 1
	Video Kind = 2
)

// SourceTag is the 4-byte tag that names the sender of every packet the
// SFU forwards: a hash of the sending participant's id, carried as the
// packet's only contributing source (RFC 3550's CSRC list, whose purpose
// is to name the sources a forwarded payload came from; see Source). A
// receiver knows the call's roster, so it maps a tag back to the sender
// (and so to the sender's SFrame keys) without the SFU sending any message
// of its own. A colliding tag, forged or not, only makes frames fail to
// decrypt.
//
// The CSRC costs 4 bytes a packet, and 4 more for the empty header
// extension block that RFC 9335's header encryption (cryptex, which pion
// negotiates, so the CSRC is hidden from the path) needs beside it. The
// header extension that carried the tag before took 12 bytes with its
// block header and padding, and forwarded voice took 16 with the audio
// level and the transport-wide sequence number: 8 bytes a voice packet
// more, 0.3 Mbit/s of a 32-person voice call's egress when everyone
// talks (BenchmarkVoice32Egress).
func SourceTag(peerID string) [4]byte {
	h := fnv.New32a()
	_, _ = h.Write([]byte(peerID))
	var t [4]byte
	copy(t[:], h.Sum(nil))
	return t
}

// Source returns the SourceTag of a packet the SFU forwarded: its only
// CSRC. ok is false when the packet carries none, or more than one.
func Source(h *rtp.Header) (tag [4]byte, ok bool) {
	if len(h.CSRC) != 1 {
		return tag, false
	}
	binary.BigEndian.PutUint32(tag[:], h.CSRC[0])
	return tag, true
}

// rtpWriter is where a slot's packets go: a local track on a subscriber's
// connection.
type rtpWriter interface {
	WriteRTP(*rtp.Packet) error
}

// source is one participant's published media.
type source struct {
	id  string
	tag [4]byte
	// csrc is tag as the CSRC list of what is forwarded (set by
	// addSource; shared by every packet, never written to).
	csrc []uint32
	// loud is the smoothed loudness of its audio, 256 × (127 − level in
	// −dBov): 0 is silence.
	loud atomic.Uint32
	// voiced is when its last audio packet with voice activity (RFC
	// 6464's V flag) arrived, Unix ns: it speaks within VoiceHold of it.
	voiced atomic.Int64
	// sent is when its last audio packet with a level arrived, Unix ns.
	sent atomic.Int64
	// silenced counts its audio packets without voice activity, which go
	// to no one.
	silenced atomic.Uint64
	gone     atomic.Bool
	// keyFrame asks the publisher for a key frame of a video layer
	// (unset: cannot).
	keyFrame [MaxLayers]atomic.Pointer[func()]
	// askedAt is when the publisher was last asked for a key frame of
	// each video layer, Unix ns (askKeyFrame); keyAsks counts the asks.
	askedAt [MaxLayers]atomic.Int64
	keyAsks atomic.Uint64
	// seen is when a packet of each video layer last arrived, Unix ns.
	seen [MaxLayers]atomic.Int64
	// received counts the packets that arrived from it.
	received atomic.Uint64
}

// inPacket is one packet from a source, shared read-only by every
// subscriber's queue.
type inPacket struct {
	src     *source
	kind    Kind
	key     bool  // the first packet of a video key frame
	layer   Layer // video: the simulcast layer it belongs to
	level   int   // RFC 6464 audio level (0 loudest … 127 silence); -1: none
	voice   bool  // RFC 6464's V flag: the sender hears speech in it
	pkt     *rtp.Packet
	arrived time.Time
}

// askKeyFrame asks the publisher for a key frame of video layer l at now
// (Unix ns) unless it was asked within KeyRequestEvery: however many
// subscribers lose a frame or switch layers at once, a publisher makes
// at most one key frame per layer in that time. It reports whether it
// asked.
func (src *source) askKeyFrame(l Layer, now int64) bool {
	if l >= MaxLayers {
		return false
	}
	kf := src.keyFrame[l].Load()
	if kf == nil {
		return false
	}
	last := src.askedAt[l].Load()
	if last != 0 && now-last < int64(KeyRequestEvery) || !src.askedAt[l].CompareAndSwap(last, now) {
		return false
	}
	src.keyAsks.Add(1)
	(*kf)()
	return true
}

// onSlot is what a video slot carries: a source's layer.
type onSlot struct {
	src   *source
	layer Layer
}

// slot is one outgoing track of a subscriber: it carries one source at a
// time, its sequence numbers and timestamps shifted so that a switch of
// source looks like one continuous stream to the receiver.
type slot struct {
	out rtpWriter
	src *source
	// carries is src and the layer forwarded (or waited for), for the
	// subscriber's key-frame requests, which come on another goroutine.
	carries atomic.Pointer[onSlot]
	// cur is the video layer of src forwarded (-1: none yet, the slot
	// waits for a key frame of target); target is the layer chosen for
	// it, switched to at its next key frame.
	cur     int8
	target  Layer
	askedAt int64 // when the slot last asked for a key frame of target, Unix ns
	fresh   bool  // no packet of src forwarded yet: offsets to compute
	used    bool  // some packet was forwarded on this slot
	seqOff  uint16
	tsOff   uint32
	lastSeq uint16
	lastTS  uint32
}

// subscriber is one participant's receiving side: its queue, drained by
// its own goroutine, and its slots.
type subscriber struct {
	id           string
	q            chan inPacket
	done         chan struct{}
	audio, video []*slot
	shown        atomic.Pointer[map[string]struct{}]
	// from holds the sources it may receive (nil: any): its host lets
	// it exchange media only with those (Allow).
	from atomic.Pointer[map[string]struct{}]
	// want is the layer it wants of each source (absent: LayerLow);
	// bandwidth its estimated downlink in bits/s (0: unknown, no limit).
	// A change of either bumps gen, so that its goroutine chooses the
	// slots' layers again (at the latest every PlanInterval anyway).
	want      atomic.Pointer[map[string]Layer]
	bandwidth atomic.Int64
	gen       atomic.Uint64
	planned   uint64 // gen of the last choice; drain's own
	plannedAt int64  // when it was made, Unix ns; drain's own

	// heardAt is when an audio packet was last queued for it, Unix ns.
	heardAt atomic.Int64

	forwarded, dropped atomic.Uint64
}

// router decides which subscriber gets which packet and forwards it. It
// knows nothing of WebRTC, so it runs and is measured in-process.
type router struct {
	now func() time.Time
	// observe, when set, gets each forwarded packet's time in the SFU.
	observe func(time.Duration)

	subs atomic.Pointer[[]*subscriber] // copy-on-write under mu
	// speakers ranks every source, loudest first: a subscriber hears the
	// first MaxAudioSlots of those it may receive but itself.
	speakers atomic.Pointer[[]*source]

	mu      sync.Mutex
	sources map[string]*source // guarded by mu
	elected atomic.Int64       // last election, Unix ns
	wg      sync.WaitGroup
}

func newRouter(now func() time.Time) *router {
	r := &router{now: now, sources: map[string]*source{}}
	r.subs.Store(&[]*subscriber{})
	r.speakers.Store(&[]*source{})
	return r
}

// addSource registers a participant's published media.
func (r *router) addSource(src *source) {
	src.csrc = []uint32{binary.BigEndian.Uint32(src.tag[:])}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sources[src.id] = src
	r.electLocked()
}

// removeSource stops forwarding a participant's media.
func (r *router) removeSource(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if src := r.sources[id]; src != nil {
		src.gone.Store(true)
		delete(r.sources, id)
	}
	r.electLocked()
}

// addSubscriber starts a subscriber's goroutine.
func (r *router) addSubscriber(sub *subscriber) {
	sub.q = make(chan inPacket, QueueLen)
	sub.done = make(chan struct{})
	if sub.shown.Load() == nil {
		sub.shown.Store(&map[string]struct{}{})
	}
	if sub.want.Load() == nil {
		sub.want.Store(&map[string]Layer{})
	}
	sub.gen.Add(1)
	r.mu.Lock()
	subs := append(slices.Clone(*r.subs.Load()), sub)
	r.subs.Store(&subs)
	r.wg.Add(1)
	r.mu.Unlock()
	go func() {
		defer r.wg.Done()
		r.drain(sub)
	}()
}

// removeSubscriber stops a subscriber's goroutine.
func (r *router) removeSubscriber(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	subs := slices.Clone(*r.subs.Load())
	for i, sub := range subs {
		if sub.id == id {
			close(sub.done)
			subs = slices.Delete(subs, i, i+1)
			break
		}
	}
	r.subs.Store(&subs)
}

// close stops every subscriber's goroutine and waits for them.
func (r *router) close() {
	r.mu.Lock()
	for _, sub := range *r.subs.Load() {
		close(sub.done)
	}
	r.subs.Store(&[]*subscriber{})
	r.mu.Unlock()
	r.wg.Wait()
}

// electLocked ranks the sources: those that speak now first, then those
// that send audio (muted ones do not), then by loudness. r.mu is held.
func (r *router) electLocked() {
	now := r.now().UnixNano()
	ranked := make([]*source, 0, len(r.sources))
	for _, src := range r.sources {
		ranked = append(ranked, src)
	}
	speaks := func(src *source) bool { return now-src.voiced.Load() < int64(VoiceHold) }
	sends := func(src *source) bool { return now-src.sent.Load() < int64(SendHold) }
	first := func(a, b bool) int {
		switch {
		case a == b:
			return 0
		case a:
			return -1
		}
		return 1
	}
	slices.SortFunc(ranked, func(a, b *source) int {
		if c := first(speaks(a), speaks(b)); c != 0 {
			return c
		}
		if c := first(sends(a), sends(b)); c != 0 {
			return c
		}
		if c := cmp.Compare(b.loud.Load(), a.loud.Load()); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	r.speakers.Store(&ranked)
	r.elected.Store(now)
}

// sendingVideo returns the sources that sent some video within
// LayerTimeout.
func (r *router) sendingVideo() map[string]bool {
	now := r.now().UnixNano()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]bool{}
	for id, src := range r.sources {
		for l := range src.seen {
			if now-src.seen[l].Load() < int64(LayerTimeout) {
				out[id] = true
				break
			}
		}
	}
	return out
}

// hears reports whether sub receives src's audio: src is among the
// MaxAudioSlots loudest speakers other than sub itself that sub may
// receive.
func (r *router) hears(sub *subscriber, src *source) bool {
	n := 0
	for _, s := range *r.speakers.Load() {
		if s.id == sub.id || !sub.accepts(s) {
			continue
		}
		if s == src {
			return true
		}
		if n++; n == MaxAudioSlots {
			return false
		}
	}
	return false
}

// accepts reports whether sub may receive src's media at all (Allow).
func (sub *subscriber) accepts(src *source) bool {
	from := sub.from.Load()
	if from == nil {
		return true
	}
	_, ok := (*from)[src.id]
	return ok
}

// sees reports whether sub shows src's video.
func (sub *subscriber) sees(src *source) bool {
	_, ok := (*sub.shown.Load())[src.id]
	return ok
}

// publish takes one packet from a source and queues it for every
// subscriber that receives it. It never blocks: a full queue drops. An
// audio packet whose level says it holds no voice (V flag clear) is not
// forwarded: only speech is, of the loudest speakers; but a subscriber
// that got no audio for AudioKeepAlive gets one such packet of a speaker
// it hears (comfort noise, which DTX sends every 400 ms), so that it
// knows its host is there while nobody speaks.
func (r *router) publish(in inPacket) {
	in.src.received.Add(1)
	if in.src.gone.Load() {
		return
	}
	if in.kind == Video && in.layer < MaxLayers {
		t := in.arrived.UnixNano()
		if old := in.src.seen[in.layer].Load(); old < t {
			in.src.seen[in.layer].Store(t)
			if t-old >= int64(LayerTimeout) { // a layer (re)appears: choose again
				for _, sub := range *r.subs.Load() {
					sub.gen.Add(1)
				}
			}
		}
	}
	if in.kind == Audio && in.level >= 0 {
		loud := uint32(127-min(in.level, 127)) << 8
		now := in.arrived.UnixNano()
		in.src.sent.Store(now)
		// A source that starts to speak is ranked at once, by how loud
		// it speaks now rather than by what it was while silent.
		starts := in.voice && now-in.src.voiced.Swap(now) >= int64(VoiceHold)
		if old := in.src.loud.Load(); starts {
			in.src.loud.Store(loud)
		} else {
			in.src.loud.Store(old - old/8 + loud/8)
		}
		if starts || now-r.elected.Load() >= int64(ElectionInterval) {
			r.mu.Lock()
			r.electLocked()
			r.mu.Unlock()
		}
		if !in.voice {
			in.src.silenced.Add(1)
			r.keepAlive(in, now)
			return
		}
	}
	for _, sub := range *r.subs.Load() {
		if sub.id == in.src.id || !sub.accepts(in.src) {
			continue
		}
		if in.kind == Audio && (len(sub.audio) == 0 || !r.hears(sub, in.src)) ||
			in.kind == Video && (len(sub.video) == 0 || !sub.sees(in.src)) {
			continue
		}
		if in.kind == Audio {
			sub.heardAt.Store(in.arrived.UnixNano())
		}
		select {
		case sub.q <- in:
		default:
			sub.dropped.Add(1)
		}
	}
}

// keepAlive queues a packet without voice for the subscribers that hear
// its source and got no audio for AudioKeepAlive.
func (r *router) keepAlive(in inPacket, now int64) {
	for _, sub := range *r.subs.Load() {
		if sub.id == in.src.id || len(sub.audio) == 0 || !r.hears(sub, in.src) {
			continue
		}
		if old := sub.heardAt.Load(); now-old < int64(AudioKeepAlive) || !sub.heardAt.CompareAndSwap(old, now) {
			continue
		}
		select {
		case sub.q <- in:
		default:
			sub.dropped.Add(1)
		}
	}
}

// drain forwards sub's queue until sub is removed.
func (r *router) drain(sub *subscriber) {
	for {
		select {
		case <-sub.done:
			return
		case in := <-sub.q:
			r.forward(sub, in)
		}
	}
}

// forward sends one packet on the subscriber's slot for its source,
// taking a slot whose source is no longer wanted if need be.
func (r *router) forward(sub *subscriber, in inPacket) {
	slots := sub.audio
	if in.kind == Video {
		slots = sub.video
	}
	var sl *slot
	for _, s := range slots {
		if s.src == in.src {
			sl = s
			break
		}
	}
	if sl == nil {
		for _, s := range slots {
			if s.src == nil || s.src.gone.Load() || !sub.accepts(s.src) ||
				in.kind == Audio && !r.hears(sub, s.src) || in.kind == Video && !sub.sees(s.src) {
				sl = s
				break
			}
		}
		if sl == nil {
			sub.dropped.Add(1)
			return
		}
		sl.src, sl.fresh, sl.cur, sl.askedAt = in.src, true, -1, 0
		if in.kind == Video {
			sub.planned = sub.gen.Load() - 1 // choose the new source's layer now
			sl.carries.Store(&onSlot{src: in.src, layer: in.layer})
		}
	}
	if in.kind == Video {
		now := in.arrived.UnixNano()
		if g := sub.gen.Load(); g != sub.planned || now-sub.plannedAt >= int64(PlanInterval) {
			sub.plan(now)
			sub.planned, sub.plannedAt = g, now
		}
		if int8(in.layer) != sl.cur {
			if in.layer != sl.target || !in.key {
				return // not a loss: another layer, or the slot waits for a frame it can start from
			}
			if sl.cur >= 0 {
				sl.fresh = true // a switch of layer: continue the numbering
			}
			sl.cur = int8(in.layer)
			sl.carries.Store(&onSlot{src: in.src, layer: in.layer})
		}
	}
	p := in.pkt
	if sl.fresh {
		sl.fresh = false
		if sl.used {
			step := uint32(960) // 20 ms of 48 kHz audio
			if in.kind == Video {
				step = 6000 // a 15 fps frame at 90 kHz
			}
			sl.seqOff = sl.lastSeq + 1 - p.SequenceNumber
			sl.tsOff = sl.lastTS + step - p.Timestamp
		} else {
			sl.seqOff, sl.tsOff = 0, 0
		}
	}
	// What leaves carries none of the publisher's header extensions: the
	// sender is named by its CSRC (SourceTag), and the audio level, which
	// only the SFU's choice of speakers needs, is not forwarded (a
	// receiver measures each voice's level from what it decodes). What
	// pion's interceptors add on the subscriber's connection is theirs
	// (the transport-wide sequence number, on video only: NewAPI).
	h := p.Header
	h.Extension, h.Extensions, h.ExtensionProfile = false, nil, 0
	h.CSRC = in.src.csrc
	h.SequenceNumber += sl.seqOff
	h.Timestamp += sl.tsOff
	if in.kind == Audio && sl.used {
		// Audio is numbered as forwarded, so that the silence not
		// forwarded leaves no gap a receiver would count as loss; its
		// timestamps keep the time that passed.
		h.SequenceNumber = sl.lastSeq + 1
	}
	if !sl.used || int16(h.SequenceNumber-sl.lastSeq) > 0 {
		sl.lastSeq, sl.lastTS = h.SequenceNumber, h.Timestamp
	}
	sl.used = true
	if err := sl.out.WriteRTP(&rtp.Packet{Header: h, Payload: p.Payload}); err != nil {
		sub.dropped.Add(1)
		return
	}
	sub.forwarded.Add(1)
	if r.observe != nil {
		r.observe(r.now().Sub(in.arrived))
	}
}

// keyFrameLost is a subscriber's key-frame request (RTCP PLI or FIR) on
// slot sl: its decoder lost a frame of what sl carries. The publisher is
// asked for a key frame of that layer, at most once per KeyRequestEvery
// whoever asks.
func (r *router) keyFrameLost(sl *slot) bool {
	on := sl.carries.Load()
	if on == nil || on.src.gone.Load() {
		return false
	}
	return on.src.askKeyFrame(on.layer, r.now().UnixNano())
}

// plan chooses the layer each of sub's video slots forwards: every shown
// source gets at least its lowest layer sent, then, the most wanted first,
// each gets the highest layer it wants, that its publisher sends, and
// that sub's bandwidth still carries. A slot whose layer changes asks the
// publisher for a key frame of it, as does one still waiting after
// KeyRetry. It runs on sub's goroutine only.
func (sub *subscriber) plan(now int64) {
	want := *sub.want.Load()
	type choice struct {
		sl    *slot
		sent  uint8 // bit i: layer i is sent
		want  Layer
		layer Layer
	}
	cs := make([]choice, 0, len(sub.video))
	budget := sub.bandwidth.Load()
	for _, sl := range sub.video {
		if sl.src == nil || sl.src.gone.Load() || !sub.sees(sl.src) || !sub.accepts(sl.src) {
			continue
		}
		c := choice{sl: sl, want: min(want[sl.src.id], MaxLayers-1)}
		for l := range Layer(MaxLayers) {
			if now-sl.src.seen[l].Load() < int64(LayerTimeout) {
				c.sent |= 1 << l
			}
		}
		if c.sent == 0 {
			c.sent = 1 << c.want // nothing seen yet: take what is wanted
		}
		c.layer = Layer(0)
		for c.sent&(1<<c.layer) == 0 {
			c.layer++
		}
		budget -= int64(DefaultLayers[c.layer].Bitrate)
		cs = append(cs, c)
	}
	slices.SortStableFunc(cs, func(a, b choice) int { return cmp.Compare(b.want, a.want) })
	unlimited := sub.bandwidth.Load() <= 0
	for i := range cs {
		c := &cs[i]
		for l := c.want; l > c.layer; l-- {
			extra := int64(DefaultLayers[l].Bitrate - DefaultLayers[c.layer].Bitrate)
			if c.sent&(1<<l) != 0 && (unlimited || extra <= budget) {
				budget -= extra
				c.layer = l
				break
			}
		}
	}
	for _, c := range cs {
		sl := c.sl
		changed := sl.target != c.layer
		sl.target = c.layer
		if int8(sl.target) == sl.cur || !changed && now-sl.askedAt < int64(KeyRetry) {
			continue
		}
		sl.askedAt = now
		sl.src.askKeyFrame(sl.target, now)
	}
}
