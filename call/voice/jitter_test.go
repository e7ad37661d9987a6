package voice

import (
	"math/rand/v2"
	"testing"
)

// pkt is frame n's packet: a byte naming it.
func pkt(n int) []byte { return []byte{byte(n)} }

// ts is frame n's timestamp, from a start near the 32-bit wrap so that
// every test crosses it.
func ts(n int) uint32 { return uint32(0xffff_f000 + n*FrameSamples) }

// drain pops k turns and describes them: "3" played frame 3, "c" (or
// "c4": with frame 4's FEC) concealed, "-" silent.
func drain(j *Jitter, k int) []string {
	var out []string
	for range k {
		turn, f, next := j.Pop()
		switch turn {
		case Play:
			out = append(out, string(rune('0'+f[0])))
		case Conceal:
			s := "c"
			if next != nil {
				s += string(rune('0' + next[0]))
			}
			out = append(out, s)
		default:
			out = append(out, "-")
		}
	}
	return out
}

func eq(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestJitterReorders(t *testing.T) {
	j := NewJitter(3)
	if got := drain(j, 1); !eq(got, []string{"-"}) {
		t.Fatalf("empty: %v", got)
	}
	for _, n := range []int{2, 1, 3} { // out of order
		j.Push(ts(n), pkt(n))
	}
	j.Push(ts(1), pkt(1)) // a duplicate
	j.Push(ts(5), pkt(5))
	j.Push(ts(4), pkt(4))
	if got, want := drain(j, 5), []string{"1", "2", "3", "4", "5"}; !eq(got, want) {
		t.Fatalf("played %v, want %v", got, want)
	}
	if st := j.Stats(); st.Played != 5 || st.Duplicates != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestJitterWaitsForTarget(t *testing.T) {
	j := NewJitter(3)
	j.Push(ts(1), pkt(1))
	j.Push(ts(2), pkt(2))
	if got := drain(j, 2); !eq(got, []string{"-", "-"}) {
		t.Fatalf("two frames of a target of three: %v, want silence", got)
	}
	j.Push(ts(3), pkt(3))
	if got := drain(j, 1); !eq(got, []string{"1"}) {
		t.Fatalf("at the target: %v", got)
	}
}

func TestJitterConcealsLossAndDropsLate(t *testing.T) {
	j := NewJitter(2)
	for _, n := range []int{1, 2, 4, 5} { // 3 is lost
		j.Push(ts(n), pkt(n))
	}
	if got, want := drain(j, 2), []string{"1", "2"}; !eq(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
	if got, want := drain(j, 1), []string{"c4"}; !eq(got, want) {
		t.Fatalf("the lost frame: %v, want %v (concealed with 4's FEC)", got, want)
	}
	j.Push(ts(3), pkt(3)) // too late
	if got, want := drain(j, 2), []string{"4", "5"}; !eq(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
	// Nothing more comes: MaxConcealed frames concealed, then silence
	// until the buffer fills again.
	want := []string{}
	for range MaxConcealed {
		want = append(want, "c")
	}
	want = append(want, "-", "-")
	if got := drain(j, MaxConcealed+2); !eq(got, want) {
		t.Fatalf("after the last frame: %v, want %v", got, want)
	}
	st := j.Stats()
	if st.Late != 1 || st.Lost != 1+MaxConcealed || st.Played != 4 {
		t.Fatalf("stats %+v", st)
	}
	// The speaker comes back (after a mute: its timestamps go on).
	j.Push(ts(20), pkt(20))
	j.Push(ts(21), pkt(21))
	if got, want := drain(j, 2), []string{"\x44", "\x45"}; !eq(got, want) { // '0'+20, '0'+21
		t.Fatalf("after a pause: %v, want %v", got, want)
	}
}

// TestJitterWaitsForALateFrame: when the buffer runs dry, the frame due
// is waited for (concealed meanwhile), not given up: it plays when it
// comes, one tick later, and the frames after it follow in turn.
func TestJitterWaitsForALateFrame(t *testing.T) {
	j := NewJitter(2)
	j.Push(ts(1), pkt(1))
	j.Push(ts(2), pkt(2))
	if got, want := drain(j, 2), []string{"1", "2"}; !eq(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
	if got, want := drain(j, 1), []string{"c"}; !eq(got, want) { // 3 is late
		t.Fatalf("dry: %v, want %v", got, want)
	}
	j.Push(ts(3), pkt(3))
	j.Push(ts(4), pkt(4))
	if got, want := drain(j, 2), []string{"3", "4"}; !eq(got, want) {
		t.Fatalf("%v, want the late frame 3 played, then 4", got)
	}
	if st := j.Stats(); st.Late != 0 || st.Played != 4 || st.Lost != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestJitterShrinks: a buffer that keeps a frame more than its target
// needs (here after a burst) drops one after ShrinkWindow turns, and then
// keeps its steady depth.
func TestJitterShrinks(t *testing.T) {
	j := NewJitter(2)
	n := 0
	push := func() { n++; j.Push(ts(n), pkt(n%200)) }
	push()
	push()
	push() // a burst: one frame more than the target
	for range 3 * ShrinkWindow {
		j.Pop()
		push()
	}
	if st := j.Stats(); st.Dropped != 1 || j.Len() != 2 {
		t.Fatalf("stats %+v, %d waiting: want one frame dropped, 2 waiting", st, j.Len())
	}
	for range 3 * ShrinkWindow {
		j.Pop()
		push()
	}
	if st := j.Stats(); st.Dropped != 1 || st.Lost != 0 {
		t.Fatalf("stats %+v: want no more dropped at the steady depth", st)
	}
}

// TestJitterDropsAStaleFrame: a frame that came alone long before the
// others (comfort noise in a silence) is not where playout starts.
func TestJitterDropsAStaleFrame(t *testing.T) {
	j := NewJitter(2)
	j.Push(ts(1), pkt(1))
	if got := drain(j, 1); !eq(got, []string{"-"}) {
		t.Fatalf("one frame of a target of two: %v", got)
	}
	j.Push(ts(20), pkt(20))
	j.Push(ts(21), pkt(21))
	if got, want := drain(j, 2), []string{"\x44", "\x45"}; !eq(got, want) { // '0'+20, '0'+21
		t.Fatalf("%q, want %q: frames 20 and 21, not the stale 1", got, want)
	}
	if st := j.Stats(); st.Dropped != 1 || st.Lost != 0 {
		t.Fatalf("stats %+v, want the stale frame dropped", st)
	}
}

func TestJitterSkipsLongGap(t *testing.T) {
	j := NewJitter(1)
	j.Push(ts(1), pkt(1))
	j.Push(ts(2), pkt(2))
	if got := drain(j, 1); !eq(got, []string{"1"}) {
		t.Fatal(got)
	}
	j.Push(ts(30), pkt(30)) // 2 is waiting; then a burst of loss
	if got := drain(j, 3); !eq(got, []string{"2", "\x4e", "c"}) {
		t.Fatalf("%q, want frame 2 then frame 30 with no long concealment", got)
	}
	if st := j.Stats(); st.Lost != 27+1 {
		t.Fatalf("lost %d, want the 27 skipped, 1 concealed", st.Lost)
	}
}

func TestJitterBounded(t *testing.T) {
	j := NewJitter(3)
	for n := range 3 * MaxJitterFrames { // a flood, never popped
		j.Push(ts(n), pkt(n))
		if j.Len() > MaxJitterFrames {
			t.Fatalf("%d frames held, want at most %d", j.Len(), MaxJitterFrames)
		}
	}
	// Once playing, a sender whose clock runs ahead is held to about
	// twice the target.
	drain(j, 1)
	if j.Len() > 2*3+1 {
		t.Fatalf("%d frames wait while playing, want at most %d", j.Len(), 2*3+1)
	}
	j.Push(ts(0), make([]byte, MaxPacketSize+1))
	if st := j.Stats(); st.Dropped == 0 {
		t.Fatal("nothing dropped")
	}
}

// FuzzJitter: whatever a peer sends, in whatever order, the buffer stays
// bounded, and what it plays is what it counts.
func FuzzJitter(f *testing.F) {
	f.Add(uint64(1), uint8(3))
	f.Add(uint64(42), uint8(1))
	f.Fuzz(func(t *testing.T, seed uint64, target uint8) {
		rng := rand.New(rand.NewPCG(seed, 7))
		j := NewJitter(int(target % 8))
		plays := uint64(0)
		for range 2000 {
			if rng.IntN(3) > 0 {
				var at uint32
				switch rng.IntN(4) {
				case 0:
					at = rng.Uint32()
				default:
					at = ts(rng.IntN(200))
				}
				j.Push(at, make([]byte, 1+rng.IntN(MaxPacketSize)))
			}
			if j.Len() > MaxJitterFrames {
				t.Fatalf("%d frames held", j.Len())
			}
			if turn, f, _ := j.Pop(); turn == Play {
				if len(f) == 0 {
					t.Fatal("played an empty frame")
				}
				plays++
			}
		}
		if st := j.Stats(); st.Played != plays {
			t.Fatalf("played %d, counted %d", plays, st.Played)
		}
	})
}
