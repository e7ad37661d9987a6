package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/internal/proctest"
)

// relaySFUCall is a community of Olivia, Ben and Cara, three real daemons
// on 127.0.0.1, registered with `umbrellad relay --sfu`, in a synthetic
// call Olivia starts in its default group and the others join (a video
// call with video).
type relaySFUCall struct {
	relay   *relayProc
	relayID string    // the relay's peer id
	all     []*daemon // Olivia, Ben, Cara
	c, id   string    // the community and the call
}

func startRelaySFUCall(t *testing.T, video bool) relaySFUCall {
	t.Helper()
	return startRelaySFUCallWith(t, video)
}

// startRelaySFUCallWith is startRelaySFUCall with extra flags for the
// relay (besides --sfu).
func startRelaySFUCallWith(t *testing.T, video bool, relayFlags ...string) relaySFUCall {
	t.Helper()
	r := runRelay(t, filepath.Join(t.TempDir(), "relay"), "/ip4/127.0.0.1/tcp/0", append([]string{"--sfu"}, relayFlags...)...)
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
	args := []string{"--synthetic"}
	if video {
		args = append(args, "--video")
	}
	olivia.jsonRun(&started, append([]string{"call", "start", "--community", c, "--group", gid}, args...)...)
	id := started.Call
	for _, d := range all[1:] {
		d.mustRun(append([]string{"call", "join", "--community", c, "--call", id}, args...)...)
	}
	return relaySFUCall{relay: r, relayID: relayID, all: all, c: c, id: id}
}

// sfuStatus is what `call status` says of a call through an SFU.
type sfuStatus struct {
	callStatus
	SFU string `json:"sfu"`
}

// status is d's `call status` of the call; through says whether it runs
// through the relay's SFU.
func (r relaySFUCall) status(d *daemon) (st sfuStatus, through bool) {
	d.jsonRun(&st, "call", "status", "--community", r.c, "--call", r.id)
	return st, st.Topology == "sfu" && st.SFU == r.relayID
}

// awaitThrough waits until each participant decrypts at least frames
// frames from both others through the relay.
func (r relaySFUCall) awaitThrough(t *testing.T, frames uint64) {
	t.Helper()
	for _, d := range r.all {
		proctest.Eventually(t, 30*time.Second, fmt.Sprintf("%s to decrypt %d frames from both others through the relay", d.home, frames), func() bool {
			st, through := r.status(d)
			n := 0
			for _, p := range st.Participants {
				if !p.Self && p.FramesDecrypted >= frames {
					n++
				}
			}
			return through && n == 2
		})
	}
}

// TestE2ECallThroughRelaySFU: `umbrellad relay --sfu` registered with a
// community hosts its calls' SFU. Three real daemons on 127.0.0.1 start
// and join a synthetic call; each one's `call status` says "sfu" with the
// relay's peer id as host and shows frames decrypted from both others
// (the relay forwards them and holds no key).
func TestE2ECallThroughRelaySFU(t *testing.T) {
	call := startRelaySFUCall(t, false)
	call.awaitThrough(t, 100)
	call.all[0].mustRun("call", "end", "--community", call.c, "--call", call.id)
}

// TestE2ECallLayersThroughRelaySFU: a synthetic video call of three real
// daemons through `umbrellad relay --sfu`. Each sends its video in two
// simulcast layers and asks the relay (a layer request over the call's
// signalling) for the participant after it in peer id order at 640x360 and
// the other at 320x180, as the app's window does with its large tile and
// a grid tile; each one's `call status` shows those layers arriving. With
// no request reaching the relay, both would arrive at 320x180.
func TestE2ECallLayersThroughRelaySFU(t *testing.T) {
	call := startRelaySFUCall(t, true)
	for _, d := range call.all {
		var got map[string]string // layer by peer id
		proctest.Eventually(t, 30*time.Second, d.home+" to receive the next participant at 640x360 and the other at 320x180 through the relay", func() bool {
			st, through := call.status(d)
			var ids []string
			self := ""
			got = map[string]string{}
			for _, p := range st.Participants {
				ids = append(ids, p.PeerID)
				if p.Self {
					self = p.PeerID
				} else {
					got[p.PeerID] = p.Layer
				}
			}
			slices.Sort(ids)
			if !through || len(ids) != 3 || self == "" {
				return false
			}
			i := slices.Index(ids, self)
			return got[ids[(i+1)%3]] == "640x360" && got[ids[(i+2)%3]] == "320x180"
		})
		t.Logf("%s receives %v", d.home, got)
	}
	call.all[0].mustRun("call", "end", "--community", call.c, "--call", call.id)
}
