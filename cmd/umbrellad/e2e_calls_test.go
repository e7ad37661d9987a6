package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/internal/proctest"
)

// callStatus is `call status --json` as the e2e tests read it.
type callStatus struct {
	Topology     string `json:"topology"`
	Participants []struct {
		PeerID          string  `json:"peer_id"`
		Name            string  `json:"name"`
		Self            bool    `json:"self"`
		FramesDecrypted uint64  `json:"frames_decrypted"`
		DecryptFailures uint64  `json:"decrypt_failures"`
		LatencyP50      float64 `json:"latency_ms_p50"`
		LatencyP99      float64 `json:"latency_ms_p99"`
		Layer           string  `json:"layer"`
	} `json:"participants"`
}

// TestE2ECallSynthetic: three real daemons on 127.0.0.1 in one synthetic
// mesh call. A call without --synthetic is refused with the reason (the
// daemon has no devices); Olivia starts one with --synthetic, Ben and
// Cara join, and each one's `call status` shows frames decrypted from
// both others, with latency figures; then Cara leaves and Olivia ends it
// for everyone. The latencies are logged (the README's loopback figure).
func TestE2ECallSynthetic(t *testing.T) {
	olivia, ben, cara := newDaemon(t, "Olivia"), newDaemon(t, "Ben"), newDaemon(t, "Cara")
	all := []*daemon{olivia, ben, cara}
	for _, d := range all {
		d.start()
	}
	var comm struct {
		Community string `json:"community"`
	}
	olivia.jsonRun(&comm, "community", "create", "--name", "Glow Team")
	c := comm.Community
	for _, d := range all[1:] {
		var inv struct {
			Link string `json:"link"`
		}
		olivia.jsonRun(&inv, "invite", "create", "--community", c)
		d.mustRun("join", "--link", inv.Link)
	}
	var groups []struct{ ID, Name string }
	olivia.jsonRun(&groups, "groups", "--community", c)
	gid := groups[1].ID
	// Everyone must know everyone as a member before the call: the
	// signalling refuses a peer its state does not list.
	for _, d := range all {
		proctest.Eventually(t, 20*time.Second, d.home+" to list three members", func() bool {
			var ms []map[string]any
			d.jsonRun(&ms, "members", "--community", c)
			return len(ms) == 3
		})
	}

	_, errOut, code := olivia.cli("call", "start", "--community", c, "--group", gid, "--json")
	if code != exitFail || !strings.Contains(errOut, "only synthetic calls (--synthetic)") {
		t.Fatalf("call start without --synthetic: exit %d, %q", code, errOut)
	}

	var started struct {
		Call string `json:"call"`
	}
	olivia.jsonRun(&started, "call", "start", "--community", c, "--group", gid, "--synthetic")
	id := started.Call
	for _, d := range all[1:] {
		d.mustRun("call", "join", "--community", c, "--call", id, "--synthetic")
	}

	// Frames every way: each sees both others decrypting, and at least
	// minFrames (5 s of audio) from each, so the latencies are of a
	// running call, not of its first frames.
	const minFrames = 250
	var p50s, p99s []float64
	for _, d := range all {
		var st callStatus
		proctest.Eventually(t, 30*time.Second, d.home+" to decrypt 5 s of frames from both others", func() bool {
			d.jsonRun(&st, "call", "status", "--community", c, "--call", id)
			n := 0
			for _, p := range st.Participants {
				if !p.Self && p.FramesDecrypted >= minFrames && p.LatencyP50 > 0 && p.LatencyP99 >= p.LatencyP50 {
					n++
				}
			}
			return len(st.Participants) == 3 && n == 2
		})
		if st.Topology != "mesh" {
			t.Fatalf("%s: topology %q", d.home, st.Topology)
		}
		for _, p := range st.Participants {
			if !p.Self {
				t.Logf("%s from %s: %d frames decrypted, %d failures, latency p50 %.1f ms p99 %.1f ms",
					d.home[strings.LastIndex(d.home, "/")+1:], p.Name, p.FramesDecrypted, p.DecryptFailures, p.LatencyP50, p.LatencyP99)
				p50s, p99s = append(p50s, p.LatencyP50), append(p99s, p.LatencyP99)
			}
		}
	}
	slices.Sort(p50s)
	slices.Sort(p99s)
	t.Logf("end-to-end latency on loopback, over the 6 directions: p50 median %.1f ms, p99 max %.1f ms", p50s[len(p50s)/2], p99s[len(p99s)-1])

	cara.mustRun("call", "leave", "--community", c, "--call", id)
	for _, d := range all[:2] {
		proctest.Eventually(t, 20*time.Second, d.home+" to see Cara leave", func() bool {
			var st callStatus
			d.jsonRun(&st, "call", "status", "--community", c, "--call", id)
			return len(st.Participants) == 2
		})
	}
	olivia.mustRun("call", "end", "--community", c, "--call", id)
	for _, d := range all {
		proctest.Eventually(t, 20*time.Second, d.home+" to see the call ended", func() bool {
			var calls []struct {
				Call   string `json:"call"`
				Active bool   `json:"active"`
			}
			d.jsonRun(&calls, "calls", "--community", c)
			return len(calls) == 1 && calls[0].Call == id && !calls[0].Active
		})
	}
}
