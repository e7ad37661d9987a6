package relay

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/internal/wiretest"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// TestLargestPushMessagesRoundTrip: the largest offer and the longest
// refusal fit MaxPushFrame and decode back unchanged.
func TestLargestPushMessagesRoundTrip(t *testing.T) {
	for name, c := range map[string]struct{ v, back any }{
		"offer":   {&PushOffer{Community: bytes.Repeat([]byte{0xff}, 32), Root: bytes.Repeat([]byte{0xff}, 32), Size: math.MaxInt64}, &PushOffer{}},
		"refusal": {&PushReply{Error: strings.Repeat("é", MaxPushReason/2)}, &PushReply{}},
	} {
		wiretest.RoundTrip(t, name, c.v, c.back, MaxPushFrame)
	}
}

// TestAcceptReadsAtMostMaxPushFrame: a stranger who announces an offer
// over MaxPushFrame is refused from its length, before its bytes are read
// and before the relay looks it up.
func TestAcceptReadsAtMostMaxPushFrame(t *testing.T) {
	tm, r := relayWithTeam(t, 0)
	b, err := OpenBlobs(r, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a, rw := net.Pipe()
	defer a.Close()
	defer rw.Close()
	go a.Write(binary.AppendUvarint(nil, MaxPushFrame+1))
	if err := b.Accept(t.Context(), rw, tm.olivia.k.pub()); !errors.Is(err, wire.ErrFrameTooLarge) {
		t.Fatalf("got %v, want ErrFrameTooLarge", err)
	}
	if n := len(r.Stats().Refused); n != 0 {
		t.Fatalf("the offer was judged: refusals %v", r.Stats().Refused)
	}
}

// TestSilentPusherIsGivenUp: a peer that opens a push stream and sends no
// offer holds it for OfferIdle, no longer.
func TestSilentPusherIsGivenUp(t *testing.T) {
	tm, r := relayWithTeam(t, 0)
	b, err := OpenBlobs(r, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		a, rw := net.Pipe()
		defer a.Close()
		defer rw.Close()
		start := time.Now()
		if err := b.Accept(t.Context(), rw, tm.olivia.k.pub()); err == nil || time.Since(start) != OfferIdle {
			t.Fatalf("a silent pusher: %v after %v, want an error after %v", err, time.Since(start), OfferIdle)
		}
	})
}

// TestLongRefusalReachesTheMember: a refusal whose reason is long (here
// the store's error, which names a deep path) reaches the member cut to
// MaxPushReason, not as a frame too large to read.
func TestLongRefusalReachesTheMember(t *testing.T) {
	tm, r := relayWithTeam(t, 0)
	dir := t.TempDir()
	for len(dir) < 2*MaxPushFrame {
		dir = filepath.Join(dir, strings.Repeat("d", 200))
	}
	b, err := OpenBlobs(r, dir)
	if err != nil {
		t.Fatal(err)
	}
	sf := newSharedFile(t, 1000)
	// A file where the store makes the file's directory: opening it fails.
	if err := os.WriteFile(filepath.Join(dir, "files", sf.root.String()), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	errM, errR := push(t, b, tm.olivia.k.pub(), tm.olivia.cid, sf)
	if !errors.Is(errM, ErrPushRefused) || !strings.Contains(errM.Error(), "could not store") || errR != nil {
		t.Fatalf("member %v, relay %v", errM, errR)
	}
	if reason := strings.TrimPrefix(errM.Error(), ErrPushRefused.Error()+": "); len(reason) > MaxPushReason {
		t.Fatalf("a reason of %d bytes, over MaxPushReason %d", len(reason), MaxPushReason)
	}
}
