package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/reach"
	"github.com/umbrella-p2p/umbrella/sync/relay"
)

// fakeRelay is a running relay's stats as sync/relay and reach report them.
type fakeRelay struct {
	st   relay.Stats
	rc   reach.RelayCounts
	disk int64
}

func (f fakeRelay) Stats() relay.Stats        { return f.st }
func (f fakeRelay) Counts() reach.RelayCounts { return f.rc }
func (f fakeRelay) DiskBytes() (int64, error) { return f.disk, nil }

// withRefused returns f with one more refusal for reason r.
func (f fakeRelay) withRefused(r string) fakeRelay {
	f.st.Refused = maps.Clone(f.st.Refused)
	f.st.Refused[r]++
	return f
}

func newFakeRelay() fakeRelay {
	pushed := time.Date(2026, 12, 4, 7, 0, 0, 0, time.UTC)
	return fakeRelay{
		st: relay.Stats{
			Communities: []relay.CommunityStats{
				{ID: crdt.ID{1}, Registered: true, Ops: 120, Bytes: 54_000, MembersServed: 3, LastPush: pushed, Pushes: 9, Pulls: 14},
				{ID: crdt.ID{2}, Registered: true, Ops: 7, Bytes: 2_100, Dropped: 40},
			},
			Bytes: 56_100, Quota: 20_000_000_000, Share: 5_000_000_000, Retention: 180 * 24 * time.Hour,
			Stored: 127, Dropped: 40, Pushes: 9, Pulls: 14, Refused: map[string]uint64{"quota": 2, "forged": 1},
		},
		rc:   reach.RelayCounts{Reservations: 4, Circuits: 2, ReservationsGranted: 6, CircuitsOpened: 11, ReservationsRefused: 1, BytesRelayed: 9000},
		disk: 1 << 20,
	}
}

// TestRelayStatsCommand: `relay stats` asks the running relay over its
// control socket and prints the contract's fields.
func TestRelayStatsCommand(t *testing.T) {
	home := t.TempDir()
	f := newFakeRelay()
	l, err := listenControl(home)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- runRelayServers(ctx, l, nil, f, slog.New(slog.DiscardHandler)) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	var out, errOut bytes.Buffer
	if code := run([]string{"relay", "stats", "--home", home, "--json"}, &out, &errOut); code != exitOK {
		t.Fatalf("relay stats exited %d: %s", code, errOut.String())
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if got["disk_bytes"] != float64(1<<20) || got["quota_bytes"] != float64(20_000_000_000) || got["share_bytes"] != float64(5_000_000_000) {
		t.Fatalf("stats %s", out.String())
	}
	cs := got["communities"].([]any)
	c0 := cs[0].(map[string]any)
	first := crdt.ID{1}
	if len(cs) != 2 || c0["id"] != first.String() || c0["ops"] != float64(120) || c0["bytes"] != float64(54_000) ||
		c0["members_served"] != float64(3) || c0["last_push"] != "2026-12-04T07:00:00Z" {
		t.Fatalf("communities %v", cs)
	}
	if c1 := cs[1].(map[string]any); c1["last_push"] != nil || c1["dropped"] != float64(40) {
		t.Fatalf("a community never pushed to: %v", c1)
	}

	out.Reset()
	if code := run([]string{"relay", "stats", "--home", home}, &out, &errOut); code != exitOK || !strings.Contains(out.String(), "refused (quota): 2") {
		t.Fatalf("relay stats text (%d): %s", code, out.String())
	}
	// A home where no relay runs says so.
	errOut.Reset()
	if code := run([]string{"relay", "stats", "--home", t.TempDir()}, &out, &errOut); code == exitOK || !strings.Contains(errOut.String(), "no relay is running") {
		t.Fatalf("relay stats without a relay (%d): %s", code, errOut.String())
	}
}

// TestRelayMetrics: the metrics endpoint shows the relay's series with
// their values, labelled by community and reason.
func TestRelayMetrics(t *testing.T) {
	f := newFakeRelay()
	srv := httptest.NewServer(relayMetricsHandler(f))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	text := string(body)
	c1 := crdt.ID{1}.String()
	for _, want := range []string{
		`umbrella_relay_community_ops{community="` + c1 + `"} 120`,
		`umbrella_relay_community_bytes{community="` + c1 + `"} 54000`,
		`umbrella_relay_community_members_served{community="` + c1 + `"} 3`,
		`umbrella_relay_community_dropped_ops{community="` + crdt.ID{2}.String() + `"} 40`,
		`umbrella_relay_community_last_push_timestamp_seconds{community="` + c1 + `"} 1.7963676e+09`,
		`umbrella_relay_pushes_total 9`,
		`umbrella_relay_pulls_total 14`,
		`umbrella_relay_refused_total{reason="quota"} 2`,
		`umbrella_relay_refused_total{reason="forged"} 1`,
		`umbrella_relay_quota_bytes 2e+10`,
		`umbrella_relay_disk_bytes 1.048576e+06`,
		`umbrella_relay_reservations 4`,
		`umbrella_relay_circuits 2`,
		`umbrella_relay_circuits_total 11`,
		`umbrella_relay_reservations_refused_total 1`,
		`umbrella_relay_retention_seconds 1.5552e+07`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", text)
	}
	// Values are read when scraped.
	f2 := f.withRefused("store")
	srv2 := httptest.NewServer(relayMetricsHandler(f2))
	defer srv2.Close()
	resp2, err := http.Get(srv2.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	body2, _ := io.ReadAll(resp2.Body)
	if !strings.Contains(string(body2), `umbrella_relay_refused_total{reason="store"} 1`) {
		t.Fatal("a refusal for a full disk is not exported")
	}
}

// TestParseRetention reads days and Go durations; 0 or nothing keeps all.
func TestParseRetention(t *testing.T) {
	for in, want := range map[string]time.Duration{"180d": 180 * 24 * time.Hour, "12h": 12 * time.Hour, "": 0, "0": 0, " 7d ": 7 * 24 * time.Hour} {
		if got, err := parseRetention(in); err != nil || got != want {
			t.Errorf("parseRetention(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"-1d", "d", "1.5d", "soon", "-5h", "99999999999999999d"} {
		if _, err := parseRetention(bad); err == nil {
			t.Errorf("parseRetention(%q) accepted", bad)
		}
	}
}

// statusFake answers "status" with one community and its relay.
type statusFake struct {
	fakeNode
	st api.Status
}

func (f *statusFake) Status() api.Status { return f.st }

// TestStatusShowsRelays: `status` shows each community's relays, whether
// this node's pushes to them are up to date, and a relay's refusal.
func TestStatusShowsRelays(t *testing.T) {
	at := time.Date(2026, 12, 4, 7, 0, 0, 0, time.UTC)
	f := &statusFake{st: api.Status{PeerID: "12D3KooWme", Network: "online", Peers: []api.PeerStatus{}, Communities: []api.CommunitySync{
		{ID: crdt.ID{1}.String(), Name: "Glow", State: "synced", Relays: []api.RelayState{
			{PeerID: "12D3KooWrelayA", Addrs: []string{"/ip4/10.0.0.7/tcp/4001"}, Online: true, LastSync: &at, LastPush: &at, UpToDate: true},
			{PeerID: "12D3KooWrelayB", Addrs: []string{}, Online: true, LastSync: &at, LastPush: &at, Refused: "relay quota reached: community 0100 holds 5000 of its share of 5000 bytes",
				Files: &api.RelayFiles{Pushed: 2, Pending: 1, LastError: "file 0a0b: try 1 of 12: dial backoff",
					Refused: []api.RelayFileRefusal{{Root: "0a0b0c0d0e0f1011", Reason: "relay quota reached: the file needs 9 MB"}}}},
		}},
	}}}
	c := serveNode(t, f)
	home := c.home
	var out, errOut bytes.Buffer
	if code := run([]string{"status", "--home", home}, &out, &errOut); code != exitOK {
		t.Fatalf("status exited %d: %s", code, errOut.String())
	}
	text := out.String()
	lineOf := func(s string) string {
		for l := range strings.Lines(text) {
			if strings.Contains(l, s) {
				return l
			}
		}
		return ""
	}
	a, b := lineOf("relay 12D3KooWrelayA"), lineOf("relay 12D3KooWrelayB")
	if !strings.Contains(a, "online") || !strings.Contains(a, "last sync 2026-12-04 07:00:00") || !strings.Contains(a, "pushes up to date") {
		t.Errorf("status of relay A: %q\n%s", a, text)
	}
	if !strings.Contains(b, "refuses: relay quota reached") || strings.Contains(b, "up to date") {
		t.Errorf("status of relay B: %q\n%s", b, text)
	}
	if l := lineOf("files: "); !strings.Contains(l, "2 pushed, 1 pending; last error: file 0a0b: try 1 of 12: dial backoff") ||
		!strings.Contains(lineOf("refused: relay quota reached: the file"), "file 0a0b0c0d0e0f refused") {
		t.Errorf("status of relay B's files:\n%s", text)
	}
	out.Reset()
	if code := run([]string{"status", "--home", home, "--json"}, &out, &errOut); code != exitOK {
		t.Fatalf("status --json exited %d: %s", code, errOut.String())
	}
	var st struct {
		Communities []struct {
			Relays []map[string]any `json:"relays"`
		} `json:"communities"`
	}
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	rs := st.Communities[0].Relays
	if files, _ := rs[1]["files"].(map[string]any); files == nil || files["pending"] != 1.0 ||
		!strings.Contains(fmt.Sprint(files["refused"]), "the file needs 9 MB") || rs[0]["files"] != nil {
		t.Fatalf("status relays' files %v", rs)
	}
	if len(rs) != 2 || rs[0]["up_to_date"] != true || rs[1]["up_to_date"] != false || !strings.Contains(rs[1]["refused"].(string), "quota") || rs[0]["last_sync"] == nil {
		t.Fatalf("status relays %v", rs)
	}
}

// TestRelaySizes: --share defaults to a quarter of --quota (0 here, which
// sync/relay reads so), is read in the same units, and may not exceed the
// quota.
func TestRelaySizes(t *testing.T) {
	for _, c := range []struct {
		quota, share string
		q, s         int64
		err          string
	}{
		{"10GB", "", 10e9, 0, ""},
		{"20GB", "2GB", 20e9, 2e9, ""},
		{"1GB", "1GB", 1e9, 1e9, ""},
		{"1GB", "2GB", 0, 0, "more than --quota"},
		{"1GB", "lots", 0, 0, "--share"},
		{"many", "", 0, 0, "--quota"},
	} {
		q, s, err := relaySizes(c.quota, c.share)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("relaySizes(%q, %q) = %v, want an error about %s", c.quota, c.share, err, c.err)
			}
			continue
		}
		if err != nil || q != c.q || s != c.s {
			t.Errorf("relaySizes(%q, %q) = %d, %d, %v; want %d, %d", c.quota, c.share, q, s, err, c.q, c.s)
		}
	}
}
