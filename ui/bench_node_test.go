package ui

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/node"
)

// BenchmarkOpenBigGroupRealNode is BenchmarkOpenBigGroup over a real node
// (Badger on disk) holding a group of 100,000 messages: the first open
// after the node starts (the node builds the group's display list), an
// open when it is warm, and the scroll to the top. Writing the messages
// is not timed.
func BenchmarkOpenBigGroupRealNode(b *testing.B) {
	ctx := context.Background()
	home := b.TempDir()
	if err := node.Init(home, "Olivia"); err != nil {
		b.Fatal(err)
	}
	open := func() *node.Node {
		cfg := node.DefaultConfig(home)
		cfg.MDNS = false
		cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
		n, err := node.Open(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	n := open()
	comm, err := n.CreateCommunity(ctx, "Glow Team")
	if err != nil {
		b.Fatal(err)
	}
	var gid, other crdt.ID
	gs, _ := n.Groups(comm.ID)
	for _, g := range gs {
		switch {
		case g.Name == api.DefaultGroupName:
			gid = g.ID
		case g.Kind == api.GroupAnnouncement:
			other = g.ID
		}
	}
	start := time.Now()
	for i := range bigGroup {
		if _, err := n.Post(ctx, comm.ID, gid, fmt.Sprintf("Tip %d: follow up with every new customer within 48 hours.", i)); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("wrote %d messages in %v", bigGroup, time.Since(start))
	n.Close()
	var cold, warm, top time.Duration
	var heap float64
	for b.Loop() {
		n := open()
		test.NewTempApp(b)
		h := newBackendHarness(b, n)
		h.a.start()
		h.a.selectCommunity(comm.ID)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		h.a.selectGroup(gid)
		h.w.Canvas().Capture()
		cold += time.Since(start)
		h.a.selectGroup(other)
		start = time.Now()
		h.a.selectGroup(gid)
		h.w.Canvas().Capture()
		warm += time.Since(start)
		start = time.Now()
		h.a.convo.list.scrollToTop()
		h.w.Canvas().Capture()
		top += time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap += float64(after.HeapInuse) - float64(before.HeapInuse)
		h.a.Close()
		n.Close()
	}
	k := float64(b.N)
	b.ReportMetric(float64(cold.Milliseconds())/k, "ms/first-paint-after-start")
	b.ReportMetric(float64(warm.Milliseconds())/k, "ms/first-paint-warm")
	b.ReportMetric(float64(top.Milliseconds())/k, "ms/scroll-to-top")
	b.ReportMetric(heap/k/1e6, "MB-heap")
}
