package ui

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
)

const bigGroup = 100_000

// wheelSteps is how many mouse-wheel steps BenchmarkOpenBigGroup times.
const wheelSteps = 100

// TestBigGroupIsVirtualised: a group of 100,000 messages opens at its
// newest messages and scrolls to its first with a screenful of row widgets
// and a bounded number of messages in memory, asking the backend only for
// the pages it shows.
func TestBigGroupIsVirtualised(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "")
	gid := h.a.groups[1].ID
	f.fill(c.ID, gid, bigGroup)
	f.mu.Lock()
	_, g, _ := f.group(c.ID, gid)
	g.readOthers = bigGroup
	f.mu.Unlock()
	h.drain()
	h.open("General")
	cv := h.a.convo
	if got := h.last(); !strings.HasSuffix(got, "Message 99999: follow up with every new customer within 48 hours.") {
		t.Fatalf("newest row: %q", got)
	}
	cv.list.scrollToTop()
	if got := h.shown(); len(got) == 0 || !strings.Contains(got[0], "Message 0:") {
		t.Fatalf("top rows: %q", got)
	}
	cv.list.scrollToRow(50_000)
	if _, ok := cv.list.visibleRow(50_000); !ok {
		t.Fatal("row 50,000 not shown after scrolling to it")
	}
	// Scroll by wheel from the middle a few screens.
	for range 20 {
		cv.list.scroll.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.NewDelta(0, -400)})
	}
	if l := cv.list; l.created > 60 || len(l.shown) > 40 {
		t.Fatalf("%d row widgets made, %d in view: not virtualised", l.created, len(l.shown))
	}
	if n := cv.win.held(); n > maxPages*pageSize {
		t.Fatalf("%d messages held in memory", n)
	}
	if cv.win.fetched > 40 {
		t.Fatalf("%d pages fetched for a few screens", cv.win.fetched)
	}
}

// BenchmarkOpenBigGroup opens a group of 100,000 messages and scrolls to
// its top. Reported: time to first paint (open, lay out, render the
// window), the open alone, a repaint alone (the software renderer of the
// test driver), time to paint the top after scrolling there, the time of
// one mouse-wheel step (without painting), row widgets made, and the heap
// the open conversation holds. Target: first paint < 300 ms.
func BenchmarkOpenBigGroup(b *testing.B) {
	f := newFake()
	h := newHarness(b, f)
	c := h.community("Glow Team", "member", 4, "")
	gid := h.a.groups[1].ID
	other := h.a.groups[2].ID
	f.fill(c.ID, gid, bigGroup)
	h.drain()
	var open, first, top, paint, wheel time.Duration
	var heap float64
	for b.Loop() {
		h.a.selectGroup(other)
		h.w.Canvas().Capture()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		h.a.selectGroup(gid)
		open += time.Since(start)
		h.w.Canvas().Capture()
		first += time.Since(start)
		start = time.Now()
		h.a.convo.list.scrollToTop()
		h.w.Canvas().Capture()
		top += time.Since(start)
		start = time.Now()
		h.w.Canvas().Capture()
		paint += time.Since(start)
		// Wheel down through the first ~150 messages, each step binding
		// and measuring the rows that come into view.
		start = time.Now()
		for range wheelSteps {
			h.a.convo.list.scroll.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.NewDelta(0, -120)})
		}
		wheel += time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap += float64(after.HeapInuse) - float64(before.HeapInuse)
	}
	n := float64(b.N)
	b.ReportMetric(float64(open.Microseconds())/n/1e3, "ms/open")
	b.ReportMetric(float64(first.Milliseconds())/n, "ms/first-paint")
	b.ReportMetric(float64(top.Milliseconds())/n, "ms/scroll-to-top")
	b.ReportMetric(float64(paint.Milliseconds())/n, "ms/repaint")
	b.ReportMetric(float64(wheel.Microseconds())/n/wheelSteps/1e3, "ms/wheel-step")
	b.ReportMetric(heap/n/1e6, "MB-heap")
	b.ReportMetric(float64(h.a.convo.list.created), "row-widgets")
}

// BenchmarkBindEveryRow is the baseline: what a list that makes and
// measures a widget for every message (as a non-virtualised list must)
// would spend on 100,000 messages, extrapolated from 2,000 rows.
func BenchmarkBindEveryRow(b *testing.B) {
	const rows = 2_000
	f := newFake()
	h := newHarness(b, f)
	c := h.community("Glow Team", "member", 4, "")
	gid := h.a.groups[1].ID
	f.fill(c.ID, gid, rows)
	h.drain()
	h.open("General")
	cv := h.a.convo
	for b.Loop() {
		start := time.Now()
		for i := range rows {
			r := newMsgRow(cv)
			r.bind(cv.rowData(i))
			r.heightAt(600)
		}
		per := time.Since(start).Seconds() / rows
		b.ReportMetric(per*1e3, "ms/row")
		b.ReportMetric(per*bigGroup, "s/100k-rows")
	}
}
