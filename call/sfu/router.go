package sfu

import (
	"cmp"
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

// SourceTag is the 4-byte tag the SFU puts in the SourceExtensionURI
// header extension of every packet it forwards: a hash of the sending
// participant's id. A receiver knows the call's roster, so it maps a tag
// back to the sender (and so to the sender's SFrame keys) without the SFU
// sending any message of its own. A colliding tag, forged or not, only
// makes frames fail to decrypt.
func SourceTag(peerID string) [4]byte {
	h := fnv.New32a()
	_, _ = h.Write([]byte(peerID))
	var t [4]byte
	copy(t[:], h.Sum(nil))
	return t
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
	// loud is the smoothed loudness of its audio, 256 × (127 − level in
	// −dBov): 0 is silence.
	loud atomic.Uint32
	gone atomic.Bool
	// keyFrame asks the publisher for a video key frame (unset: cannot).
	keyFrame atomic.Pointer[func()]
	// received counts the packets that arrived from it.
	received atomic.Uint64
}

// inPacket is one packet from a source, shared read-only by every
// subscriber's queue.
type inPacket struct {
	src     *source
	kind    Kind
	key     bool // the first packet of a video key frame
	level   int  // RFC 6464 audio level (0 loudest … 127 silence); -1: none
	pkt     *rtp.Packet
	arrived time.Time
}

// slot is one outgoing track of a subscriber: it carries one source at a
// time, its sequence numbers and timestamps shifted so that a switch of
// source looks like one continuous stream to the receiver.
type slot struct {
	out     rtpWriter
	src     *source
	waitKey bool // video: a new source, forwarded from its next key frame
	fresh   bool // no packet of src forwarded yet: offsets to compute
	used    bool // some packet was forwarded on this slot
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
	// tagExt and levelExt are the header extension ids negotiated on the
	// subscriber's connection (0: not negotiated).
	tagExt   [Video + 1]uint8 // by Kind
	levelExt uint8
	shown    atomic.Pointer[map[string]struct{}]

	forwarded, dropped atomic.Uint64
}

// router decides which subscriber gets which packet and forwards it. It
// knows nothing of WebRTC, so it runs and is measured in-process.
type router struct {
	now func() time.Time
	// observe, when set, gets each forwarded packet's time in the SFU.
	observe func(time.Duration)

	subs     atomic.Pointer[[]*subscriber] // copy-on-write under mu
	speakers atomic.Pointer[[]*source]     // loudest first, MaxAudioSlots+1 at most

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

// electLocked ranks the sources by loudness. r.mu is held.
func (r *router) electLocked() {
	ranked := make([]*source, 0, len(r.sources))
	for _, src := range r.sources {
		ranked = append(ranked, src)
	}
	slices.SortFunc(ranked, func(a, b *source) int {
		if c := cmp.Compare(b.loud.Load(), a.loud.Load()); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	if len(ranked) > MaxAudioSlots+1 {
		ranked = ranked[:MaxAudioSlots+1]
	}
	r.speakers.Store(&ranked)
	r.elected.Store(r.now().UnixNano())
}

// hears reports whether sub receives src's audio: src is among the
// MaxAudioSlots loudest speakers other than sub itself.
func (r *router) hears(sub *subscriber, src *source) bool {
	n := 0
	for _, s := range *r.speakers.Load() {
		if s.id == sub.id {
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

// sees reports whether sub shows src's video.
func (sub *subscriber) sees(src *source) bool {
	_, ok := (*sub.shown.Load())[src.id]
	return ok
}

// publish takes one packet from a source and queues it for every
// subscriber that receives it. It never blocks: a full queue drops.
func (r *router) publish(in inPacket) {
	in.src.received.Add(1)
	if in.src.gone.Load() {
		return
	}
	if in.kind == Audio && in.level >= 0 {
		loud := uint32(127-min(in.level, 127)) << 8
		old := in.src.loud.Load()
		in.src.loud.Store(old - old/8 + loud/8)
		if in.arrived.UnixNano()-r.elected.Load() >= int64(ElectionInterval) {
			r.mu.Lock()
			r.electLocked()
			r.mu.Unlock()
		}
	}
	for _, sub := range *r.subs.Load() {
		if sub.id == in.src.id {
			continue
		}
		if in.kind == Audio && (len(sub.audio) == 0 || !r.hears(sub, in.src)) ||
			in.kind == Video && (len(sub.video) == 0 || !sub.sees(in.src)) {
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
			if s.src == nil || s.src.gone.Load() ||
				in.kind == Audio && !r.hears(sub, s.src) || in.kind == Video && !sub.sees(s.src) {
				sl = s
				break
			}
		}
		if sl == nil {
			sub.dropped.Add(1)
			return
		}
		sl.src, sl.fresh, sl.waitKey = in.src, true, in.kind == Video
		if kf := in.src.keyFrame.Load(); sl.waitKey && kf != nil {
			(*kf)()
		}
	}
	if sl.waitKey {
		if !in.key {
			return // not a loss: the slot waits for a frame it can start from
		}
		sl.waitKey = false
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
	h := p.Header
	h.Extension, h.Extensions, h.ExtensionProfile = false, nil, 0
	h.SequenceNumber += sl.seqOff
	h.Timestamp += sl.tsOff
	if id := sub.tagExt[in.kind]; id != 0 {
		_ = h.SetExtension(id, in.src.tag[:])
	}
	if in.kind == Audio && sub.levelExt != 0 && in.level >= 0 {
		_ = h.SetExtension(sub.levelExt, []byte{byte(in.level)})
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
