package voice

// Jitter is one speaker's jitter buffer: it takes that speaker's frames as
// they arrive (late, early, out of order, duplicated, or never) and gives
// them back in order, one per 20 ms tick of the playout clock, after a
// small delay that absorbs the network's jitter.
//
// Frames are ordered by their RTP timestamps, FrameSamples apart. Playout
// starts once Target frames wait; a frame missing when its turn comes
// while later ones wait is Lost (the decoder conceals it, from the next
// frame's FEC when that is already here); a frame that arrives after its
// turn is dropped as Late. When nothing waits at all (the buffer ran dry:
// the frame due is late, or the speaker stopped), the buffer conceals
// without moving on, so that a late frame still plays when it comes and
// the buffer's delay grows by what the network needed (until the
// speaker's next silence, when playout starts afresh); after MaxConcealed
// such frames it waits to fill up again (so a muted, silent (DTX) or
// departed speaker costs nothing), and a frame that then came alone long
// before the next (comfort noise) is dropped rather than played first.
// Its delay also shrinks back: when, for
// ShrinkWindow turns in a row, a frame more than the target needs was
// always waiting (after a burst, or a wait for a late frame that then
// came), the oldest waiting frame is dropped, 20 ms less delay. It holds at most MaxJitterFrames frames, and drops its oldest
// frame when more than 2*Target+1 wait (the sender's clock runs faster
// than the playout clock), so its delay stays bounded. It is not safe for
// concurrent use and keeps no clock of its own.
type Jitter struct {
	target  int
	frames  map[uint32][]byte // waiting frames by RTP timestamp
	playing bool              // playout runs: next is the timestamp due
	next    uint32
	missed  int // frames concealed in a row while nothing waits
	low     int // the fewest frames left waiting after a turn, this window
	turns   int // turns played in this window

	stats JitterStats
}

// JitterStats counts what happened to a speaker's frames.
type JitterStats struct {
	// Played frames were given back in turn; Lost were concealed (in
	// place of a missing frame, or while the buffer waited for one); Late came after their turn and Dropped were thrown away
	// to bound the buffer (both never played); Duplicates came twice.
	Played, Lost, Late, Dropped, Duplicates uint64
}

// FrameSamples is one 20 ms frame at 48 kHz: the distance between two
// consecutive frames' RTP timestamps.
const FrameSamples = 960

// ShrinkWindow is how many turns (1 s) a frame more than the target
// needs must stay waiting before one is dropped to shorten the delay.
const ShrinkWindow = 50

// DefaultTarget is how many frames wait before playout starts (40 ms): a
// frame is played 20 to 40 ms after it arrives, 20 ms more after each
// time the buffer ran dry (until the speaker's next silence).
const DefaultTarget = 2

// NewJitter returns an empty buffer that starts playing once target
// frames wait (target below 1 is 1).
func NewJitter(target int) *Jitter {
	return &Jitter{target: min(max(target, 1), MaxJitterFrames/2-1), frames: map[uint32][]byte{}}
}

// after reports whether timestamp a comes after b (serial arithmetic, so
// the 32-bit wrap is no jump).
func after(a, b uint32) bool { return int32(a-b) > 0 }

// Push takes a frame that arrived with RTP timestamp ts. The buffer keeps
// data as it is: the caller gives it a copy.
func (j *Jitter) Push(ts uint32, data []byte) {
	if len(data) == 0 || len(data) > MaxPacketSize {
		j.stats.Dropped++
		return
	}
	if j.playing {
		switch d := int32(ts - j.next); {
		case d < 0:
			j.stats.Late++
			return
		case d >= MaxJitterFrames*FrameSamples:
			// Far ahead of playout (a sender that restarted its
			// clock): start again from it.
			j.reset()
		}
	}
	if _, dup := j.frames[ts]; dup {
		j.stats.Duplicates++
		return
	}
	j.frames[ts] = data
	for len(j.frames) > MaxJitterFrames {
		j.dropOldest()
	}
}

func (j *Jitter) reset() {
	j.stats.Dropped += uint64(len(j.frames))
	clear(j.frames)
	j.playing, j.missed = false, 0
}

// oldest is the earliest waiting timestamp (frames is not empty).
func (j *Jitter) oldest() uint32 {
	first := true
	var o uint32
	for ts := range j.frames {
		if first || after(o, ts) {
			o, first = ts, false
		}
	}
	return o
}

// dropIsolated drops, while playout is stopped, the waiting frames that
// came alone long before the others (a speaker's comfort noise during a
// silence, a keep-alive from an SFU): playout starts from the frames that
// follow each other, not from a stale one.
func (j *Jitter) dropIsolated() {
	for len(j.frames) > 1 {
		o := j.oldest()
		data := j.frames[o]
		delete(j.frames, o)
		if int32(j.oldest()-o) <= MaxConcealed*FrameSamples {
			j.frames[o] = data // near what follows it: kept
			return
		}
		j.stats.Dropped++
	}
}

func (j *Jitter) dropOldest() {
	o := j.oldest()
	delete(j.frames, o)
	j.stats.Dropped++
	if j.playing && !after(j.next, o) {
		j.next = o + FrameSamples
	}
}

// Turn is what Pop gives for one tick.
type Turn int

// Turns.
const (
	// Silent: nothing to play for this speaker (not started, or stopped).
	Silent Turn = iota
	// Play: the frame due, to decode.
	Play
	// Conceal: the frame due is lost; conceal it (from next's FEC when
	// next is not nil).
	Conceal
)

// Pop gives this tick's turn: the frame due (Play), a loss to conceal
// with the next frame if it is already here (Conceal), or nothing
// (Silent).
func (j *Jitter) Pop() (turn Turn, frame, next []byte) {
	if !j.playing {
		j.dropIsolated()
		if len(j.frames) < j.target {
			return Silent, nil, nil
		}
		j.playing, j.next, j.missed = true, j.oldest(), 0
		j.low, j.turns = MaxJitterFrames, 0
	}
	for len(j.frames) > 2*j.target+1 {
		j.dropOldest()
	}
	due := j.next
	if len(j.frames) == 0 {
		// Dry: wait for the frame due rather than give it up.
		j.missed++
		if j.missed > MaxConcealed {
			j.playing = false
			j.missed = 0
			return Silent, nil, nil
		}
		j.stats.Lost++
		return Conceal, nil, nil
	}
	if _, ok := j.frames[due]; !ok {
		if o := j.oldest(); int32(o-due) > MaxConcealed*FrameSamples {
			// A long gap (a burst of loss): skip to what is here
			// rather than conceal it all.
			j.stats.Lost += uint64(int32(o-due) / FrameSamples)
			due = o
		}
	}
	j.next = due + FrameSamples
	if f, ok := j.frames[due]; ok {
		delete(j.frames, due)
		j.missed = 0
		j.stats.Played++
		j.shrink()
		return Play, f, nil
	}
	j.stats.Lost++
	return Conceal, nil, j.frames[j.next]
}

// shrink drops the oldest waiting frame at the end of a window of turns in
// which at least target frames were always left waiting: in steady
// playout target-1 are (target wait when a turn takes one).
func (j *Jitter) shrink() {
	j.low = min(j.low, len(j.frames))
	if j.turns++; j.turns < ShrinkWindow {
		return
	}
	if j.low >= j.target {
		j.dropOldest()
	}
	j.low, j.turns = MaxJitterFrames, 0
}

// Len is how many frames wait.
func (j *Jitter) Len() int { return len(j.frames) }

// Stats returns the counts so far.
func (j *Jitter) Stats() JitterStats { return j.stats }
