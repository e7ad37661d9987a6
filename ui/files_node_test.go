package ui

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/marcopolo/simnet"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestE2EFileBetweenAppsOverRealNodes: over real nodes on a simulated
// network, Olivia shares a document with Attach in her app; it shows in
// Ben's app with its name, size and type, he downloads it with a tap
// (from Olivia's node) and opens it: the bytes he gets are hers. The
// Files view lists it on both sides.
func TestE2EFileBetweenAppsOverRealNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("real nodes; runs in make test's E2E|Slow suite")
	}
	synctest.Test(t, func(t *testing.T) {
		nw := &simnet.Simnet{LatencyFunc: simnet.StaticLatency(10 * time.Millisecond)}
		nw.Start()
		t.Cleanup(func() { nw.Close() })
		olivia := startSimNode(t, nw, 1, "Olivia")
		ben := startSimNode(t, nw, 2, "Ben")
		test.NewTempApp(t)
		ho := newBackendHarness(t, olivia)
		ho.a.start()
		hb := newBackendHarness(t, ben)
		hb.a.start()
		hb.a.files.dir = t.TempDir()
		var opened []string
		hb.a.files.openPath = func(p string) error { opened = append(opened, p); return nil }

		ho.a.showCreateCommunity()
		test.Type(ho.a.lastDialog.createEntry, "Glow Team")
		test.Tap(ho.a.lastDialog.confirm)
		ho.waitUntil("the community opens", func() bool { return ho.a.home.name.Text == "Glow Team" })
		link, err := olivia.CreateInvite(t.Context(), ho.a.community, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		hb.a.OpenLink(link)
		hb.waitUntil("Ben's app asks", func() bool { return hb.a.lastDialog != nil && hb.a.lastDialog.open })
		test.Tap(hb.a.lastDialog.confirm)
		hb.waitUntil("Ben is in Glow Team", func() bool { return hb.a.home.name.Text == "Glow Team" })
		hb.open("General")

		data := bytes.Repeat([]byte("%PDF-1.7 compensation plan "), 20_000) // 527.3 KiB
		path := filepath.Join(t.TempDir(), "Compensation plan.pdf")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		ho.open("General")
		ho.a.files.pickFiles = func(use func([]string)) { use([]string{path}) }
		test.Tap(ho.a.convo.attachBtn)
		test.Type(ho.a.lastDialog.createEntry, "The plan, page 3 for bonuses")
		test.Tap(ho.a.lastDialog.confirm)
		ho.waitUntil("Olivia sees her file", func() bool {
			return ho.a.convo.win.total == 1 && strings.Contains(ho.last(), "📎 Compensation plan.pdf 527.3 KiB · PDF document [Open] [Save as…]")
		})

		hb.waitUntil("Ben sees the file", func() bool {
			return hb.a.convo.win.total == 1 && strings.Contains(hb.last(), "📎 Compensation plan.pdf 527.3 KiB · PDF document [Download] | The plan, page 3 for bonuses")
		})
		test.Tap(hb.row(0).file.buttons["Download"])
		hb.waitUntil("Ben's download ends", func() bool { return strings.Contains(hb.last(), "[Open]") })
		test.Tap(hb.row(0).file.buttons["Open"])
		if len(opened) != 1 {
			t.Fatalf("Open opened %v", opened)
		}
		if got, err := os.ReadFile(opened[0]); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("Ben opened %d bytes (%v), want Olivia's %d", len(got), err, len(data))
		}
		v := hb.a.showFiles(hb.a.community, crdt.ID{})
		if len(v.shown) != 1 || v.shown[0].State != api.FileComplete || v.shown[0].AuthorName != "Olivia" {
			t.Fatalf("Ben's Files view lists %+v", v.shown)
		}
	})
}
