package files

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/internal/testworld"
	"github.com/umbrella-p2p/umbrella/sync/blob"
	"github.com/umbrella-p2p/umbrella/view"
)

// clock is a fake clock the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// liar flips a bit of every chunk it writes.
type liar struct{ io.ReadWriteCloser }

func (l liar) Write(p []byte) (int, error) {
	if len(p) > 4096 {
		p = bytes.Clone(p)
		p[len(p)-100] ^= 1
	}
	return l.ReadWriteCloser.Write(p)
}

// livePeers are the peers online, changed as a test goes.
type livePeers struct {
	mu sync.Mutex
	p  []Peer
}

func (l *livePeers) FilePeers() []Peer {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.p)
}

func (l *livePeers) set(p ...Peer) {
	l.mu.Lock()
	l.p = p
	l.mu.Unlock()
}

// scoreWorld is newWorld with two more files the holder keeps, a fake
// clock, and online peers and relays the test sets; it returns the three
// files' messages.
func scoreWorld(t *testing.T) (w *world, clk *clock, peers, relays *livePeers, msgs [3]crdt.ID) {
	w = newWorld(t)
	views := w.cfg.Views.(fakeViews)
	for i := 1; i < 3; i++ {
		plain := make([]byte, 3*blob.PlainChunk+int64(i))
		rand.Read(plain)
		k, _ := blob.NewKey()
		f, err := w.holder.store.Add(bytes.NewReader(plain), int64(len(plain)), k)
		if err != nil {
			t.Fatal(err)
		}
		sf := view.SharedFile{Key: k[:], FileEntry: api.FileEntry{Message: crdt.ID{7, byte(i)}, Group: w.c.General,
			Name: fmt.Sprintf("file%d.pdf", i), Size: int64(len(plain)), Root: f.Root().String()}}
		f.Close()
		views = append(views, sf)
	}
	for i, sf := range views {
		msgs[i] = sf.Message
	}
	clk = &clock{t: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)}
	peers, relays = &livePeers{}, &livePeers{}
	w.cfg.Views, w.cfg.Now, w.cfg.Peers = views, clk.now, peers
	w.cfg.Relays = relayList{relays}
	w.lib = New(w.cfg)
	return w, clk, peers, relays, msgs
}

type relayList struct{ l *livePeers }

func (r relayList) FileRelays(crdt.ID) []Peer { return r.l.FilePeers() }

func (w *world) get(t *testing.T, msg crdt.ID) (api.GotFile, error) {
	t.Helper()
	return w.lib.Get(t.Context(), w.c.ID, w.c.General, msg, filepath.Join(t.TempDir(), "out"), nil)
}

// TestScoreLeavesOutLiar: a member whose node sent a bad chunk in one
// download is not asked by the next, of another file, while another
// source holds it, and is shown left out; it is asked when it is the
// only one who holds a file, and once it serves that well, it is asked
// again alongside the others.
func TestScoreLeavesOutLiar(t *testing.T) {
	w, _, peers, _, msgs := scoreWorld(t)
	lying := &holder{name: "cal's node", store: w.holder.store}
	lying.lies.Store(true)
	honest := &holder{name: "olivia's node", store: w.holder.store}
	cal := Peer{ID: "cal", Key: testworld.Member(2).Key(), Source: lying}
	olivia := Peer{ID: "olivia", Key: testworld.Member(0).Key(), Source: honest}

	peers.set(cal)
	var dropped []api.RefusedSource // as the last progress report said
	got, err := w.lib.Get(t.Context(), w.c.ID, w.c.General, msgs[0], filepath.Join(t.TempDir(), "out"), func(p api.FileProgress) { dropped = p.Dropped })
	if !errors.Is(err, api.ErrBadSource) || !strings.Contains(err.Error(), "dropped cal (bad data)") {
		t.Fatalf("get from the liar alone: %v", err)
	}
	if want := []api.RefusedSource{{Peer: "cal", Reason: api.RefusedBadData}}; !slices.Equal(dropped, want) {
		t.Fatalf("progress said %+v dropped, want %+v", dropped, want)
	}
	if want := []api.RefusedSource{{Peer: "cal", Reason: api.RefusedBadData}}; !slices.Equal(got.Refused, want) {
		t.Fatalf("refused %+v, want %+v", got.Refused, want)
	}

	peers.set(cal, olivia)
	asked := lying.opened.Load()
	got, err = w.get(t, msgs[1])
	if err != nil {
		t.Fatal(err)
	}
	if n := lying.opened.Load() - asked; n != 0 {
		t.Fatalf("the liar was asked %d times while olivia held the file", n)
	}
	if want := []api.RefusedSource{{Peer: "cal", Reason: api.RefusedBadData, LeftOut: true}}; !slices.Equal(got.Sources, []string{"olivia"}) || !slices.Equal(got.Refused, want) {
		t.Fatalf("got %+v", got)
	}

	// Only cal's node holds file 2 (olivia's holds nothing); it serves it
	// well now.
	empty, err := blob.NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	peers.set(cal, Peer{ID: "olivia", Key: olivia.Key, Source: &holder{name: "olivia's node", store: empty}})
	lying.lies.Store(false)
	asked = lying.opened.Load()
	got, err = w.get(t, msgs[2])
	if err != nil || !slices.Equal(got.Sources, []string{"cal"}) || len(got.Refused) != 0 || lying.opened.Load() == asked {
		t.Fatalf("get of a file only cal holds: %+v, %v", got, err)
	}

	// Recovered: asked again with olivia, for the first file.
	peers.set(cal, olivia)
	asked = lying.opened.Load()
	if got, err := w.get(t, msgs[0]); err != nil || len(got.Refused) != 0 || lying.opened.Load() == asked {
		t.Fatalf("after cal served well: %+v, %v (asked %d times)", got, err, lying.opened.Load()-asked)
	}
}

// TestScoreExpires: a relay that sent bad data is left out like a member
// for BadFor, and asked again after.
func TestScoreExpires(t *testing.T) {
	w, clk, peers, relays, msgs := scoreWorld(t)
	lying := &holder{name: "relay", store: w.holder.store}
	lying.lies.Store(true)
	relays.set(Peer{ID: "relay", Key: testworld.Member(40).Key(), Source: lying})
	if _, err := w.get(t, msgs[0]); !errors.Is(err, api.ErrBadSource) {
		t.Fatalf("get from the lying relay alone: %v", err)
	}
	peers.set(Peer{ID: "olivia", Key: testworld.Member(0).Key(), Source: w.holder})
	clk.add(BadFor - time.Second)
	asked := lying.opened.Load()
	if _, err := w.get(t, msgs[1]); err != nil || lying.opened.Load() != asked {
		t.Fatalf("just before BadFor: %v, the relay asked %d times", err, lying.opened.Load()-asked)
	}
	clk.add(time.Second)
	lying.lies.Store(false)
	if _, err := w.get(t, msgs[2]); err != nil || lying.opened.Load() == asked {
		t.Fatalf("at BadFor: %v, the relay not asked", err)
	}
}

// TestScoreStallLighter: a source that stalled is left out for less long
// than one that sent bad data, and of those left out, asked first.
func TestScoreStallLighter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, clk, peers, relays, msgs := scoreWorld(t)
		stalling := &holder{name: "cal's node", store: w.holder.store}
		stalling.stalls.Store(true)
		lying := &holder{name: "relay", store: w.holder.store}
		lying.lies.Store(true)
		cal := Peer{ID: "cal", Key: testworld.Member(2).Key(), Source: stalling}
		relay := Peer{ID: "relay", Key: testworld.Member(40).Key(), Source: lying}
		peers.set(cal)
		relays.set(relay)
		got, err := w.get(t, msgs[0])
		if !errors.Is(err, api.ErrBadSource) {
			t.Fatalf("get from the staller and the liar: %v", err)
		}
		slices.SortFunc(got.Refused, func(a, b api.RefusedSource) int { return strings.Compare(a.Peer, b.Peer) })
		if want := []api.RefusedSource{{Peer: "cal", Reason: api.RefusedStalled}, {Peer: "relay", Reason: api.RefusedBadData}}; !slices.Equal(got.Refused, want) {
			t.Fatalf("refused %+v, want %+v", got.Refused, want)
		}
		if _, out, _ := w.lib.scores.split([]Peer{relay, cal}); len(out) != 2 || out[0].ID != "cal" {
			t.Fatalf("left out in the order %v, want the staller first", out)
		}

		peers.set(cal, Peer{ID: "olivia", Key: testworld.Member(0).Key(), Source: w.holder})
		clk.add(StallFor - time.Second)
		got, err = w.get(t, msgs[1])
		if err != nil || stalling.opened.Load() != 1 || lying.opened.Load() != 1 || len(got.Refused) != 2 {
			t.Fatalf("before StallFor: %+v, %v; asked the staller %d, the liar %d times", got, err, stalling.opened.Load(), lying.opened.Load())
		}
		clk.add(time.Second)
		stalling.stalls.Store(false)
		got, err = w.get(t, msgs[2])
		if err != nil || stalling.opened.Load() != 2 || lying.opened.Load() != 1 {
			t.Fatalf("at StallFor: %+v, %v; asked the staller %d, the liar %d times", got, err, stalling.opened.Load(), lying.opened.Load())
		}
		if want := []api.RefusedSource{{Peer: "relay", Reason: api.RefusedBadData, LeftOut: true}}; !slices.Equal(got.Refused, want) {
			t.Fatalf("refused %+v, want %+v", got.Refused, want)
		}
	})
}

// TestScoreBounded: 10,000 distinct peers that each sent bad data leave
// at most MaxScored records, the latest kept.
func TestScoreBounded(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)}
	s := newScores(clk.now, discard())
	bad := fmt.Errorf("%w: a flipped bit", blob.ErrChunk)
	for i := range 10_000 {
		s.report(fmt.Sprint("peer", i), bad)
		clk.add(time.Millisecond)
		if n := s.len(); n > MaxScored {
			t.Fatalf("%d records after %d bad peers", n, i+1)
		}
	}
	last := Peer{ID: "peer9999"}
	if in, _, _ := s.split([]Peer{last}); len(in) != 0 {
		t.Fatal("the latest bad peer is not left out")
	}
	s.report("stalled", fmt.Errorf("%w: x", blob.ErrStalled))
	if n := s.len(); n > MaxScored {
		t.Fatalf("%d records", n)
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestScoreBlamesByPeerID: what a source did is held against its peer
// alone, even when another peer's source has the same short name, and a
// peer both a member's and a relay is asked once.
func TestScoreBlamesByPeerID(t *testing.T) {
	w, _, peers, relays, msgs := scoreWorld(t)
	empty, err := blob.NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	lying := &holder{name: "12D3*abcdef", store: w.holder.store}
	lying.lies.Store(true)
	cal := Peer{ID: "cal", Key: testworld.Member(2).Key(), Source: lying}
	peers.set(cal)
	relays.set(Peer{ID: "relay", Key: testworld.Member(40).Key(), Source: &holder{name: "12D3*abcdef", store: empty}})
	got, err := w.get(t, msgs[0])
	if want := []api.RefusedSource{{Peer: "cal", Reason: api.RefusedBadData}}; !errors.Is(err, api.ErrBadSource) || !slices.Equal(got.Refused, want) {
		t.Fatalf("refused %+v (%v), want %+v", got.Refused, err, want)
	}
	relays.set(cal)
	asked := lying.opened.Load()
	if _, err := w.get(t, msgs[1]); !errors.Is(err, api.ErrBadSource) || lying.opened.Load()-asked != 1 {
		t.Fatalf("the liar, a member's peer and a relay, was asked %d times (%v)", lying.opened.Load()-asked, err)
	}
}
