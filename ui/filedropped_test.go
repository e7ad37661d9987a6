package ui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestFileStatusDropped: a download that dropped sources says so on the
// file's row, with why, beside its progress.
func TestFileStatusDropped(t *testing.T) {
	tr := &transfer{state: fileDownloading, file: api.File{Name: "kit.pdf", Size: 4 << 20}, have: 2 << 20}
	if got, _ := fileStatus(tr, time.Now()); got != "2 MiB of 4 MiB" {
		t.Fatalf("with none dropped: %q", got)
	}
	tr.dropped = []api.RefusedSource{{Peer: "cal", Reason: api.RefusedBadData}}
	if got, _ := fileStatus(tr, time.Now()); got != "2 MiB of 4 MiB · dropped 1 source (bad data)" {
		t.Fatalf("one dropped: %q", got)
	}
	tr.dropped = append(tr.dropped, api.RefusedSource{Peer: "relay", Reason: api.RefusedStalled}, api.RefusedSource{Peer: "ben", Reason: api.RefusedBadData})
	if got, _ := fileStatus(tr, time.Now()); got != "2 MiB of 4 MiB · dropped 3 sources (bad data, stalled)" {
		t.Fatalf("three dropped: %q", got)
	}
}

// TestDownloadShowsDropped: the row of a file downloading shows the
// sources its download dropped as the download reports them; once it is
// done, the row is as any other.
func TestDownloadShowsDropped(t *testing.T) {
	h, _ := fileHarness(t)
	f := h.f
	c := h.community("Glow Team", "member", 4, "General")
	data := bytes.Repeat([]byte("price list "), 400_000)
	id := f.deliverFile(c.ID, h.a.group, "Ben", "Price list 2027.pdf", "application/pdf", data, "")
	h.drain()
	f.files.dropped = []api.RefusedSource{{Peer: "cal", Reason: api.RefusedBadData}}
	var mid string
	f.files.onChunk = func(_ crdt.ID, have int64) {
		if have == 32*64<<10 {
			mid = h.fileRow(id).summary()
		}
	}
	h.tapFile(id, "Download")
	if !strings.Contains(mid, " left · dropped 1 source (bad data) [") || !strings.Contains(mid, "[Pause] [Cancel]") {
		t.Fatalf("halfway the row shows\n%s\nwant the dropped source in it", mid)
	}
	if got := h.fileRow(id).summary(); strings.Contains(got, "dropped") || !strings.Contains(got, "[Open]") {
		t.Fatalf("downloaded, the row shows %s", got)
	}
}
