package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/internal/proctest"
)

// TestE2ECallThroughRelaySFU: `umbrellad relay --sfu` registered with a
// community hosts its calls' SFU. Three real daemons on 127.0.0.1 start
// and join a synthetic call; each one's `call status` says "sfu" with the
// relay's peer id as host and shows frames decrypted from both others
// (the relay forwards them and holds no key).
func TestE2ECallThroughRelaySFU(t *testing.T) {
	r := runRelay(t, filepath.Join(t.TempDir(), "relay"), "/ip4/127.0.0.1/tcp/0", "--sfu")
	relayID := r.addr[strings.LastIndex(r.addr, "/p2p/")+len("/p2p/"):]
	olivia, ben, cara := newDaemon(t, "Olivia"), newDaemon(t, "Ben"), newDaemon(t, "Cara")
	all := []*daemon{olivia, ben, cara}
	for _, d := range all {
		d.start()
	}
	var comm api.Community
	olivia.jsonRun(&comm, "community", "create", "--name", "Glow Team")
	c := comm.ID.String()
	var res map[string]bool
	olivia.jsonRun(&res, "community", "relay", "add", "--community", c, "--relay", r.addr)
	for _, d := range all[1:] {
		var inv struct{ Link string }
		olivia.jsonRun(&inv, "invite", "create", "--community", c)
		d.mustRun("join", "--link", inv.Link)
	}
	var groups []api.Group
	olivia.jsonRun(&groups, "groups", "--community", c)
	var gid string
	for _, g := range groups {
		if g.Name == api.DefaultGroupName {
			gid = g.ID.String()
		}
	}
	for _, d := range all {
		// Keys travel between participants directly: each must reach the
		// others (members lists itself online too), as well as the relay.
		proctest.Eventually(t, 60*time.Second, d.home+" to reach the two others and the relay, up to date", func() bool {
			var ms []api.Member
			d.jsonRun(&ms, "members", "--community", c)
			online := 0
			for _, m := range ms {
				if m.Online {
					online++
				}
			}
			rs := relays(d, c)
			return len(ms) == 3 && online == 3 && len(rs) == 1 && rs[0].Online && rs[0].UpToDate
		})
	}

	var started struct {
		Call string `json:"call"`
	}
	olivia.jsonRun(&started, "call", "start", "--community", c, "--group", gid, "--synthetic")
	id := started.Call
	for _, d := range all[1:] {
		d.mustRun("call", "join", "--community", c, "--call", id, "--synthetic")
	}
	for _, d := range all {
		var st struct {
			callStatus
			SFU string `json:"sfu"`
		}
		proctest.Eventually(t, 30*time.Second, d.home+" to decrypt 2 s of frames from both others through the relay", func() bool {
			d.jsonRun(&st, "call", "status", "--community", c, "--call", id)
			n := 0
			for _, p := range st.Participants {
				if !p.Self && p.FramesDecrypted >= 100 {
					n++
				}
			}
			return st.Topology == "sfu" && st.SFU == relayID && n == 2
		})
	}
	olivia.mustRun("call", "end", "--community", c, "--call", id)
}
