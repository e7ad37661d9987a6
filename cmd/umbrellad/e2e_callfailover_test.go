package main

import (
	"net"
	"testing"
	"time"
)

// TestE2ECallResumesAfterRelayKilled: a synthetic voice call of three
// real daemons through `umbrellad relay --sfu --turn`; the relay is
// killed (SIGKILL). Every participant decrypts both others' audio again,
// through another host, within 3 s of the kill, though the dead relay's
// TURN server is still among its ICE servers (waiting for its candidates
// held media back 5 s).
func TestE2ECallResumesAfterRelayKilled(t *testing.T) {
	call := startRelaySFUCallWith(t, false, "--turn", freeLoopbackPort(t))
	call.awaitThrough(t, 50)
	if err := call.relay.proc.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	_ = call.relay.proc.Wait()
	// Resumed: off the relay, and frames from both others arrive (more
	// than at the first look off the relay: stats may start afresh or
	// not, depending on the new topology).
	resumed := map[string]time.Duration{}
	base := map[string]map[string]uint64{}
	deadline := killed.Add(15 * time.Second)
	for len(resumed) < len(call.all) && time.Now().Before(deadline) {
		for _, d := range call.all {
			if _, ok := resumed[d.home]; ok {
				continue
			}
			st, through := call.status(d)
			if through || st.Topology == "" {
				continue
			}
			seen := map[string]uint64{}
			for _, p := range st.Participants {
				if !p.Self {
					seen[p.PeerID] = p.FramesDecrypted
				}
			}
			if base[d.home] == nil {
				base[d.home] = seen
				continue
			}
			more := 0
			for id, n := range seen {
				if n > base[d.home][id] {
					more++
				}
			}
			if more == 2 {
				resumed[d.home] = time.Since(killed)
			}
		}
	}
	for _, d := range call.all {
		r, ok := resumed[d.home]
		switch {
		case !ok:
			t.Errorf("%s: no media from both others 15 s after the relay was killed", d.home)
		case r > 3*time.Second:
			t.Errorf("%s: media resumed %v after the relay was killed, want within 3 s", d.home, r)
		default:
			t.Logf("%s: media resumed %v after the relay was killed", d.home, r)
		}
	}
}

// freeLoopbackPort returns 127.0.0.1:port with a port free for UDP and
// TCP a moment ago.
func freeLoopbackPort(t *testing.T) string {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		u, err := net.ListenPacket("udp", addr)
		l.Close()
		if err == nil {
			u.Close()
			return addr
		}
	}
	t.Fatal("no loopback port free for both UDP and TCP")
	return ""
}
