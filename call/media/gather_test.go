package media

import (
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"

	"github.com/umbrella-p2p/umbrella/call/sfu"
	"github.com/umbrella-p2p/umbrella/call/turn"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestFailoverDoesNotWaitForTheLostRelaysTURN: the relay that hosts the
// SFU (10.0.0.1) and runs the call's TURN server dies; the participants
// move to a new host with that TURN server still among their ICE servers.
// Its allocation never answers, and the offer to the new host must not
// wait for it: media resumes within the 3 s of a failover (it waited the
// whole gatherTimeout, 5 s, after the second of silence that tells the
// host lost).
func TestFailoverDoesNotWaitForTheLostRelaysTURN(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, killed := replaceRelayHost(t, "sfuhost", func(c *sfuCall) {
			waitFor(t, 5*time.Second, "both report the host lost", func() bool {
				c.mu.Lock()
				defer c.mu.Unlock()
				return c.lost[c.ids[0]] > 0 && c.lost[c.ids[1]] > 0
			})
		})
		defer c.close()
		if d := time.Since(killed); d > 3*time.Second {
			t.Errorf("media resumed %v after the host died, want within 3 s", d)
		} else {
			t.Logf("media resumed %v after the host died", d)
		}
	})
}

// TestHostChangeDoesNotWaitForTheOldHostsTURN: the relay that hosts the
// SFU and runs the call's TURN server stops, and the participants are
// moved to another host before they notice any silence (package call
// learnt it from the relay's leave). The offers to the new host do not
// wait for the relay's TURN server either (they waited 5 s).
func TestHostChangeDoesNotWaitForTheOldHostsTURN(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, stopped := replaceRelayHost(t, "sfuhost2", func(*sfuCall) {})
		defer c.close()
		if d := time.Since(stopped); d > time.Second+gatherGrace {
			t.Errorf("media resumed %v after the host changed, want within %v", d, time.Second+gatherGrace)
		} else {
			t.Logf("media resumed %v after the host changed", d)
		}
	})
}

// replaceRelayHost runs a call of two through an SFU host at 10.0.0.1,
// whose TURN server (also 10.0.0.1) is among the participants' ICE
// servers but never answers, closes the host, runs then(c), and moves the
// participants to a new host at 10.0.0.2 named next. It returns once each
// decrypts the other's audio through the new host, and when the old host
// closed.
func replaceRelayHost(t *testing.T, next string, then func(c *sfuCall)) (*sfuCall, time.Time) {
	t.Helper()
	relayTURN := webrtc.ICEServer{URLs: []string{"turn:10.0.0.1:3478?transport=udp"}, Username: "u", Credential: "p"}
	c := newSFUCallWith(t, 2, true, nil, func(cfg *Config) { cfg.ICEServers = []webrtc.ICEServer{relayTURN} }, nil)
	a, b := c.sessions[c.ids[0]], c.sessions[c.ids[1]]
	c.toHost(t)
	both := func() bool { return sfuDecrypted(a, c.ids[1], Audio) > 0 && sfuDecrypted(b, c.ids[0], Audio) > 0 }
	waitFor(t, 20*time.Second, "each decrypts the other's audio through the first host", both)

	api, bwe, err := sfu.NewAPIWithBWE(vnetSettings(t, c.wan, "10.0.0.2"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := sfu.NewHost(sfu.Config{API: api, BWE: bwe})
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	old := c.host
	c.host, c.hostName = h, next
	c.mu.Unlock()
	closed := time.Now()
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	then(c)
	c.toHost(t) // a new client, whose counts start at 0
	waitFor(t, 20*time.Second, "each decrypts the other's audio through the new host", both)
	return c, closed
}

// TestHurriedOfferKeepsALiveTURNsCandidate: after a host was lost, an
// offer waits for ICE gathering only gatherGrace after its first
// candidate; a live TURN server 50 ms away (each way) still gives its
// relay candidate within that, so a member that needs TURN is not cut off
// by a failover.
func TestHurriedOfferKeepsALiveTURNsCandidate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", MinDelay: 50 * time.Millisecond,
			LoggerFactory: logging.NewDefaultLoggerFactory()})
		if err != nil {
			t.Fatal(err)
		}
		relay, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{"10.0.0.1"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := wan.AddNet(relay); err != nil {
			t.Fatal(err)
		}
		se := vnetSettings(t, wan, "10.0.0.10")
		if err := wan.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = wan.Stop() }()
		member := crdt.PublicKey{'m'}
		iss, err := turn.NewIssuer(turn.IssuerConfig{URLs: []string{"turn:10.0.0.1:3478?transport=udp"},
			Allowed: func(k crdt.PublicKey) bool { return k == member },
			PeerID:  func(crdt.PublicKey) string { return "member" },
			Member:  func(p string) (crdt.PublicKey, bool) { return member, p == "member" }})
		if err != nil {
			t.Fatal(err)
		}
		srv, err := turn.Serve(turn.ServerConfig{UDP: "10.0.0.1:3478", RelayIP: net.ParseIP("10.0.0.1"), Issuer: iss, Net: relay})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		cred, err := iss.Issue(member)
		if err != nil {
			t.Fatal(err)
		}
		pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{
			ICEServers: []webrtc.ICEServer{{URLs: cred.URLs, Username: cred.Username, Credential: cred.Password}}})
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		if sdp := gatheredOffer(t, pc, true); !strings.Contains(sdp, "typ relay") {
			t.Errorf("the offer sent after the grace has no relay candidate:\n%s", sdp)
		}
	})
}

// gatheredOffer sets an offer of one audio transceiver as pc's local
// description and returns it once it may be sent (whenGathered with
// hurry; 10 s at most).
func gatheredOffer(t *testing.T, pc *webrtc.PeerConnection, hurry bool) string {
	t.Helper()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered, grace := whenGathered(pc, hurry)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gathered:
	case <-grace:
	case <-time.After(10 * time.Second):
		t.Fatal("ICE gathering did not complete in 10 s")
	}
	return pc.LocalDescription().SDP
}
