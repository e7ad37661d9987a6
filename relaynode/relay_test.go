package relaynode

import (
	"testing"
	"time"
)

// TestE2ERelayNodeStats: a relay node passes its retention to its store and
// reports the bytes its store takes on disk (allocated blocks: Badger's
// preallocated value log is sparse, so far below its 64 MiB length).
func TestE2ERelayNodeStats(t *testing.T) {
	if testing.Short() {
		t.Skip("a real relay on 127.0.0.1; runs in make test's E2E|Slow suite")
	}
	r, err := Open(Config{Home: t.TempDir(), Listen: []string{"/ip4/127.0.0.1/tcp/0"}, Quota: 8 << 30, Share: 1 << 30, Retention: 180 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if st := r.Stats(); st.Retention != 180*24*time.Hour || st.Quota != 8<<30 || st.Share != 1<<30 || len(st.Communities) != 0 {
		t.Fatalf("stats %+v", st)
	}
	n, err := r.DiskBytes()
	if err != nil || n <= 0 || n >= 32<<20 {
		t.Fatalf("disk bytes %d, %v", n, err)
	}
	if c := r.Counts(); c.Reservations != 0 || c.Circuits != 0 {
		t.Fatalf("counts %+v", c)
	}
}
