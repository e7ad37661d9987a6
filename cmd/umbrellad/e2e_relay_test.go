package main

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/internal/proctest"
)

// startRelay runs `umbrellad relay` on loopback and returns its address.
func startRelay(t *testing.T) string {
	bin := buildDaemon(t)
	proc := exec.Command(bin, "relay", "--home", filepath.Join(t.TempDir(), "relay"), "--listen", "/ip4/127.0.0.1/tcp/0", "--json")
	out, err := proc.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proc.Process.Kill(); proc.Wait() })
	var info struct {
		PeerID string   `json:"peer_id"`
		Addrs  []string `json:"addrs"`
	}
	if err := json.NewDecoder(bufio.NewReader(out)).Decode(&info); err != nil || len(info.Addrs) == 0 {
		t.Fatalf("relay did not print its addresses: %v %+v", err, info)
	}
	return info.Addrs[0]
}

// TestE2EThroughRelay: two members who accept no direct connections reach
// each other only through `umbrellad relay`, join, and talk both ways; each
// reports the other as relayed.
func TestE2EThroughRelay(t *testing.T) {
	relay := startRelay(t)
	a := newDaemon(t, "Olivia")
	b := newDaemon(t, "Ben")
	a.start("--no-listen", "--relay", relay)
	b.start("--no-listen", "--relay", relay)
	status := func(d *daemon) api.Status {
		var st api.Status
		d.jsonRun(&st, "status")
		return st
	}
	proctest.Eventually(t, 30*time.Second, "a to hold a relay reservation", func() bool {
		for _, addr := range status(a).Addrs {
			if strings.Contains(addr, "/p2p-circuit") {
				return true
			}
		}
		return false
	})
	var comm api.Community
	a.jsonRun(&comm, "community", "create", "--name", "Glow Team")
	var inv struct{ Link string }
	a.jsonRun(&inv, "invite", "create", "--community", comm.ID.String())
	var joined api.Community
	b.jsonRun(&joined, "join", "--link", inv.Link)
	var groups []api.Group
	a.jsonRun(&groups, "groups", "--community", comm.ID.String())
	var gid string
	for _, g := range groups {
		if g.Name == api.DefaultGroupName {
			gid = g.ID.String()
		}
	}
	a.mustRun("post", "--community", comm.ID.String(), "--group", gid, "--text", "Welcome Ben! Start with the product guide.")
	b.mustRun("post", "--community", comm.ID.String(), "--group", gid, "--text", "Thanks Olivia, reading it now")
	for _, d := range []*daemon{a, b} {
		proctest.Eventually(t, 30*time.Second, d.home+" to see both messages", func() bool {
			var ms []api.Message
			d.jsonRun(&ms, "messages", "--community", comm.ID.String(), "--group", gid)
			return len(ms) == 2
		})
	}
	for _, pair := range [][2]*daemon{{a, b}, {b, a}} {
		var self api.Self
		pair[1].jsonRun(&self, "id")
		st := status(pair[0])
		found := false
		for _, p := range st.Peers {
			if p.PeerID == self.PeerID {
				found = true
				if !p.Relayed {
					t.Fatalf("%s reports a direct connection to %s: %+v", pair[0].home, self.Name, p)
				}
			}
		}
		if !found {
			t.Fatalf("%s is not connected to %s: %+v", pair[0].home, self.Name, st.Peers)
		}
		if len(st.Communities) != 1 || st.Communities[0].State == "offline" || !st.Communities[0].Live {
			t.Fatalf("%s community status %+v", pair[0].home, st.Communities)
		}
	}
}
