package node

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// TestBusyGroupRotatesByCount: a group whose epoch has carried RotateEvery
// messages gets a new one right away, without waiting for the periodic
// sync; posting goes on under the new epoch. (Before, only the 30 s tick
// looked, and one fast sender could use up the epoch's 65,536 keys.)
func TestBusyGroupRotatesByCount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		home := t.TempDir()
		if err := Init(home, "Olivia"); err != nil {
			t.Fatal(err)
		}
		cfg := DefaultConfig(home)
		cfg.MDNS = false
		cfg.Host = sn.host(home)
		cfg.Store = store.NewMemory()
		cfg.RotateEvery = 40
		n, err := Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		comm, err := n.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		gid := general(t, n, comm.ID)
		waitFor(t, n, "General's first epoch", func() bool { return current(n, comm.ID, gid) != nil })
		first := current(n, comm.ID, gid).ID
		for i := range 40 {
			if _, err := n.Post(ctx, comm.ID, gid, fmt.Sprintf("Tip %d", i)); err != nil {
				t.Fatal(err)
			}
		}
		start := time.Now()
		waitFor(t, n, "a rotation by count", func() bool {
			e := current(n, comm.ID, gid)
			return e != nil && e.ID != first && e.Reason == crdt.RekeyTimer
		})
		if d := time.Since(start); d >= cfg.SyncInterval {
			t.Fatalf("the rotation waited %v, as long as the periodic sync", d)
		}
		if _, err := n.Post(ctx, comm.ID, gid, "after the rotation"); err != nil {
			t.Fatalf("posting after the rotation: %v", err)
		}
	})
}
