package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/internal/proctest"
)

// lockedBuffer is a bytes.Buffer a process writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runRelayWith starts `umbrellad relay` on home with extra flags and
// returns its address and its log.
func runRelayWith(t *testing.T, home string, extra ...string) (string, *lockedBuffer) {
	t.Helper()
	proc := exec.Command(buildDaemon(t), append([]string{"relay", "--home", home, "--listen", "/ip4/127.0.0.1/tcp/0", "--json"}, extra...)...)
	out, err := proc.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	proc.Stderr = logs
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		proc.Process.Kill()
		proc.Wait()
		if t.Failed() {
			t.Logf("relay %s log:\n%s", home, logs.String())
		}
	})
	var info struct {
		Addrs []string `json:"addrs"`
	}
	if err := json.NewDecoder(bufio.NewReader(out)).Decode(&info); err != nil || len(info.Addrs) == 0 {
		t.Fatalf("relay did not print its addresses: %v %+v", err, info)
	}
	return info.Addrs[0], logs
}

// relayStatsOfHome runs `relay stats --json` on a running relay's home.
func relayStatsOfHome(t *testing.T, home string) relayStats {
	t.Helper()
	out, err := exec.Command(buildDaemon(t), "relay", "stats", "--home", home, "--json").Output()
	if err != nil {
		t.Fatalf("relay stats: %v", err)
	}
	var st relayStats
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatalf("relay stats: %v\n%s", err, out)
	}
	return st
}

// TestE2ERelayOperations: with real processes, a member's `status` shows
// each registered relay: one whose quota is too small for the community
// refuses with the quota's reason, the other is up to date after a post;
// `relay stats` and the metrics endpoint of the running relays show the
// community, the member served, its push, and the refusals by reason.
func TestE2ERelayOperations(t *testing.T) {
	dir := t.TempDir()
	smallHome, bigHome := filepath.Join(dir, "small"), filepath.Join(dir, "big")
	small, _ := runRelayWith(t, smallHome, "--quota", "4000B")
	big, bigLog := runRelayWith(t, bigHome, "--retention", "180d", "--metrics", "127.0.0.1:0")

	a := newDaemon(t, "Olivia")
	a.start()
	var comm api.Community
	a.jsonRun(&comm, "community", "create", "--name", "Glow Team")
	c := comm.ID.String()
	var res map[string]bool
	a.jsonRun(&res, "community", "relay", "add", "--community", c, "--relay", small)
	a.jsonRun(&res, "community", "relay", "add", "--community", c, "--relay", big)
	var groups []api.Group
	a.jsonRun(&groups, "groups", "--community", c)
	var gid string
	for _, g := range groups {
		if g.Name == api.DefaultGroupName {
			gid = g.ID.String()
		}
	}
	var posted struct{ ID string }
	a.jsonRun(&posted, "post", "--community", c, "--group", gid, "--text", "Monday call at 7")

	smallID, bigID := small[strings.LastIndex(small, "/")+1:], big[strings.LastIndex(big, "/")+1:]
	var last api.Status
	proctest.Eventually(t, 60*time.Second, "status to show one relay refusing and one up to date", func() bool {
		a.jsonRun(&last, "status")
		if len(last.Communities) != 1 {
			return false
		}
		var refused, upToDate bool
		for _, r := range last.Communities[0].Relays {
			switch r.PeerID {
			case smallID:
				refused = strings.Contains(r.Refused, "quota") && !r.UpToDate
			case bigID:
				upToDate = r.UpToDate && r.Online && r.LastSync != nil && r.Refused == ""
			}
		}
		return refused && upToDate
	})
	text := a.mustRun("status")
	if !strings.Contains(text, "refuses: relay quota reached") || !strings.Contains(text, "pushes up to date") {
		t.Fatalf("status text:\n%s", text)
	}

	st := relayStatsOfHome(t, smallHome)
	if st.QuotaBytes != 4000 || st.Refused["quota"] == 0 || len(st.Communities) != 0 {
		t.Fatalf("the small relay's stats %+v", st)
	}
	st = relayStatsOfHome(t, bigHome)
	if len(st.Communities) != 1 || st.Communities[0].ID.String() != c || st.Communities[0].Ops == 0 || st.Communities[0].MembersServed != 1 ||
		st.Communities[0].LastPush == nil || st.DiskBytes == 0 || st.Pushes == 0 || st.Retention != "4320h0m0s" {
		t.Fatalf("the big relay's stats %+v", st)
	}
	if out, err := exec.Command(buildDaemon(t), "relay", "stats", "--home", bigHome).Output(); err != nil || !strings.Contains(string(out), "retention 180 days\n") {
		t.Fatalf("relay stats text: %v\n%s", err, out)
	}

	var metricsURL string
	proctest.Eventually(t, 10*time.Second, "the relay to log its metrics address", func() bool {
		metricsURL = regexp.MustCompile(`http://127\.0\.0\.1:\d+/metrics`).FindString(bigLog.String())
		return metricsURL != ""
	})
	resp, err := http.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{`umbrella_relay_community_ops{community="` + c + `"}`, `umbrella_relay_community_members_served{community="` + c + `"} 1`, "umbrella_relay_pushes_total", "umbrella_relay_reservations 0"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
