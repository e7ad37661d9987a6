package turn

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/rtp"
	"github.com/pion/transport/v5/vnet"
	pturn "github.com/pion/turn/v5"
	"github.com/pion/webrtc/v4"

	"github.com/umbrella-p2p/umbrella/crdt"
)

var (
	ann    = crdt.PublicKey{'a'}
	ben    = crdt.PublicKey{'b'}
	stuart = crdt.PublicKey{'s'} // a stranger to the relay
)

func peerID(k crdt.PublicKey) string { return hex.EncodeToString(k[:4]) }

// memberOf is peerID's inverse over the test's members.
func memberOf(p string) (crdt.PublicKey, bool) {
	for _, k := range []crdt.PublicKey{ann, ben, stuart} {
		if peerID(k) == p {
			return k, true
		}
	}
	return crdt.PublicKey{}, false
}

// relayNet is a vnet LAN with the relay's TURN server at 10.0.0.1.
type relayNet struct {
	t   *testing.T
	wan *vnet.Router
	iss *Issuer
	srv *Server

	members
}

// members is who a test relay knows: Ann and Ben, until removed.
type members struct {
	mu      sync.Mutex
	removed map[crdt.PublicKey]bool // guarded by mu
}

// remove makes the relay no longer know member k.
func (m *members) remove(k crdt.PublicKey) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.removed == nil {
		m.removed = map[crdt.PublicKey]bool{}
	}
	m.removed[k] = true
}

// allowed is IssuerConfig.Allowed of the test relay.
func (m *members) allowed(k crdt.PublicKey) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return (k == ann || k == ben) && !m.removed[k]
}

func newRelayNet(t *testing.T) *relayNet {
	t.Helper()
	wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", LoggerFactory: logging.NewDefaultLoggerFactory()})
	if err != nil {
		t.Fatal(err)
	}
	r := &relayNet{t: t, wan: wan}
	iss, err := NewIssuer(IssuerConfig{URLs: []string{"turn:10.0.0.1:3478?transport=udp"}, PeerID: peerID, Member: memberOf,
		Allowed: r.allowed})
	if err != nil {
		t.Fatal(err)
	}
	nw := addNet(t, wan, "10.0.0.1")
	if err := wan.Start(); err != nil {
		t.Fatal(err)
	}
	srv, err := Serve(ServerConfig{UDP: "10.0.0.1:3478", RelayIP: net.ParseIP("10.0.0.1"), Issuer: iss, Net: nw})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close()
		wan.Stop()
	})
	r.iss, r.srv = iss, srv
	return r
}

func addNet(t *testing.T, wan *vnet.Router, ip string) *vnet.Net {
	t.Helper()
	nw, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{ip}})
	if err != nil {
		t.Fatal(err)
	}
	if err := wan.AddNet(nw); err != nil {
		t.Fatal(err)
	}
	return nw
}

// ask gets member k's credential over the credential protocol.
func (r *relayNet) ask(k crdt.PublicKey) (Credential, error) {
	a, b := net.Pipe()
	defer a.Close()
	done := make(chan error, 1)
	go func() {
		defer b.Close()
		done <- Handle(b, r.iss, k)
	}()
	c, err := Ask(a)
	if herr := <-done; herr != nil {
		r.t.Fatalf("handle: %v", herr)
	}
	return c, err
}

// peer is a pion peer at ip that may use only relay candidates.
func (r *relayNet) peer(ip string, c Credential) *webrtc.PeerConnection {
	r.t.Helper()
	se := webrtc.SettingEngine{}
	se.SetNet(addNet(r.t, r.wan, ip))
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{
		ICEServers:         []webrtc.ICEServer{{URLs: c.URLs, Username: c.Username, Credential: c.Password}},
		ICETransportPolicy: webrtc.ICETransportPolicyRelay,
	})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { pc.Close() })
	return pc
}

// TestCallMediaThroughTURN: two members allowed only relay candidates get
// credentials from the relay and exchange call media (Opus RTP) through
// its TURN server; a stranger gets no credential.
func TestCallMediaThroughTURN(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRelayNet(t)
		if _, err := r.ask(stuart); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), ErrNotMember.Error()) {
			t.Fatalf("a stranger's credential: %v", err)
		}
		ca, err := r.ask(ann)
		if err != nil {
			t.Fatal(err)
		}
		cb, err := r.ask(ben)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(ca.Username, ":"+peerID(ann)) || time.Until(ca.Expires) > TTL {
			t.Fatalf("ann's credential %+v", ca)
		}
		a, b := r.peer("10.0.0.2", ca), r.peer("10.0.0.3", cb)
		track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "ann")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.AddTrack(track); err != nil {
			t.Fatal(err)
		}
		got := make(chan []byte, 1)
		b.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
			p, _, err := tr.ReadRTP()
			if err == nil {
				got <- p.Payload
			}
		})
		var candidates []string
		a.OnICECandidate(func(c *webrtc.ICECandidate) {
			if c != nil {
				candidates = append(candidates, c.Typ.String())
			}
		})
		negotiate(t, a, b)
		for _, typ := range candidates {
			if typ != "relay" {
				t.Fatalf("a %s candidate with the relay policy", typ)
			}
		}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for seq := uint16(0); ; seq++ {
			select {
			case p := <-got:
				if !strings.HasPrefix(string(p), "frame ") {
					t.Fatalf("payload %q", p)
				}
				if n := r.srv.Allocations(); n < 2 {
					t.Fatalf("%d allocations: the media did not go through the relay", n)
				}
				return
			case <-tick.C:
			}
			if seq > 1000 {
				t.Fatal("no media through the relay after 20 s")
			}
			if err := track.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: seq, Timestamp: uint32(seq) * 960},
				Payload: fmt.Appendf(nil, "frame %d", seq)}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// negotiate runs offer and answer between a and b with every candidate
// gathered.
func negotiate(t *testing.T, a, b *webrtc.PeerConnection) {
	t.Helper()
	offer, err := a.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(a)
	if err := a.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if err := b.SetRemoteDescription(*a.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	answer, err := b.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered = webrtc.GatheringCompletePromise(b)
	if err := b.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if err := a.SetRemoteDescription(*b.LocalDescription()); err != nil {
		t.Fatal(err)
	}
}

// TestExpiredCredentialRefused: the TURN server allocates for a fresh
// credential and refuses the same one once it expired, and one whose
// password was not made by the relay.
func TestExpiredCredentialRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRelayNet(t)
		c, err := r.ask(ann)
		if err != nil {
			t.Fatal(err)
		}
		allocate := func(ip, user, pass string) error {
			nw := addNet(t, r.wan, ip)
			pc, err := nw.ListenPacket("udp4", ip+":0")
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close() // after the client's Close, which leaves it open
			cl, err := pturn.NewClient(&pturn.ClientConfig{TURNServerAddr: "10.0.0.1:3478", STUNServerAddr: "10.0.0.1:3478",
				Username: user, Password: pass, Realm: Realm, Conn: pc, Net: nw, LoggerFactory: logging.NewDefaultLoggerFactory()})
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			if err := cl.Listen(); err != nil {
				t.Fatal(err)
			}
			relay, err := cl.Allocate()
			if err == nil {
				relay.Close()
			}
			return err
		}
		if err := allocate("10.0.0.4", c.Username, c.Password); err != nil {
			t.Fatalf("a fresh credential: %v", err)
		}
		if err := allocate("10.0.0.5", c.Username, "bm90IHRoZSByZWxheSdzIG1hYw=="); err == nil {
			t.Fatal("a forged password allocated")
		}
		time.Sleep(TTL + time.Second)
		if err := allocate("10.0.0.6", c.Username, c.Password); err == nil {
			t.Fatal("an expired credential allocated")
		}
	})
}

// TestCheckKeepsLongCallsAlive: a new allocation needs an unexpired
// credential; refreshes of one made in time are taken up to KeepAlive
// after the expiry, so a call longer than TTL keeps its relay; a
// malformed or forged username gets nothing.
func TestCheckKeepsLongCallsAlive(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	iss, err := NewIssuer(IssuerConfig{URLs: []string{"turn:10.0.0.1:3478"}, PeerID: peerID, Member: memberOf, Now: func() time.Time { return now },
		Allowed: func(crdt.PublicKey) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	c, err := iss.Issue(ann)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		at       time.Duration
		user     string
		allocate bool
		ok       bool
	}{
		{"allocate, fresh", 0, c.Username, true, true},
		{"allocate, expired", TTL + time.Second, c.Username, true, false},
		{"refresh, expired an hour ago", TTL + time.Hour, c.Username, false, true},
		{"refresh, expired beyond KeepAlive", TTL + KeepAlive + time.Second, c.Username, false, false},
		{"no colon", 0, "1800000600", true, false},
		{"no peer", 0, "1800000600:", true, false},
		{"not a time", 0, "soon:" + peerID(ann), true, false},
	} {
		now = time.Unix(1_800_000_000, 0).Add(tc.at)
		if _, ok := iss.Check(tc.user, Realm, tc.allocate); ok != tc.ok {
			t.Errorf("%s: ok %v, want %v", tc.name, ok, tc.ok)
		}
	}
	now = time.Unix(1_800_000_000, 0)
	key, _ := iss.Check(c.Username, Realm, true)
	other, _ := NewIssuer(IssuerConfig{URLs: []string{"turn:10.0.0.1:3478"}, PeerID: peerID, Member: memberOf, Now: func() time.Time { return now },
		Allowed: func(crdt.PublicKey) bool { return true }})
	if k2, _ := other.Check(c.Username, Realm, true); string(k2) == string(key) {
		t.Fatal("two relays' secrets give the same key")
	}
}

// TestRemovedMemberCutOff: Ben relays through the TURN server to a peer;
// once the relay no longer knows him (removed from its communities) his
// allocation carries nothing more either way within Recheck, though it
// and his credential have not expired, and the credential makes no new
// allocation. Ann, still a member, keeps hers.
func TestRemovedMemberCutOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRelayNet(t)
		peerNet := addNet(t, r.wan, "10.0.0.7")
		peerConn, err := peerNet.ListenPacket("udp4", "10.0.0.7:5000")
		if err != nil {
			t.Fatal(err)
		}
		defer peerConn.Close()
		heard := make(chan string, 16) // what the peer receives
		go func() {
			buf := make([]byte, 1500)
			for {
				n, _, err := peerConn.ReadFrom(buf)
				if err != nil {
					return
				}
				heard <- string(buf[:n])
			}
		}()
		// relayed allocates with credential c at ip and returns its relayed
		// connection and what reaches it.
		relayed := func(c Credential, ip string) (net.PacketConn, chan string, error) {
			nw := addNet(t, r.wan, ip)
			pc, err := nw.ListenPacket("udp4", ip+":0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { pc.Close() })
			cl, err := pturn.NewClient(&pturn.ClientConfig{TURNServerAddr: "10.0.0.1:3478", STUNServerAddr: "10.0.0.1:3478",
				Username: c.Username, Password: c.Password, Realm: Realm, Conn: pc, Net: nw, LoggerFactory: logging.NewDefaultLoggerFactory()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(cl.Close)
			if err := cl.Listen(); err != nil {
				t.Fatal(err)
			}
			rc, err := cl.Allocate()
			if err != nil {
				return nil, nil, err
			}
			t.Cleanup(func() { rc.Close() })
			got := make(chan string, 16)
			go func() {
				buf := make([]byte, 1500)
				for {
					n, _, err := rc.ReadFrom(buf)
					if err != nil {
						return
					}
					got <- string(buf[:n])
				}
			}()
			return rc, got, nil
		}
		expect := func(ch chan string, want string) {
			t.Helper()
			select {
			case got := <-ch:
				if got != want {
					t.Fatalf("got %q, want %q", got, want)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%q did not arrive", want)
			}
		}
		silent := func(ch chan string, what string) {
			t.Helper()
			select {
			case got := <-ch:
				t.Fatalf("%s: %q arrived", what, got)
			case <-time.After(5 * time.Second):
			}
		}
		peerAddr := peerConn.LocalAddr()
		benCred, err := r.ask(ben)
		if err != nil {
			t.Fatal(err)
		}
		annCred, err := r.ask(ann)
		if err != nil {
			t.Fatal(err)
		}
		benConn, toBen, err := relayed(benCred, "10.0.0.4")
		if err != nil {
			t.Fatal(err)
		}
		annConn, toAnn, err := relayed(annCred, "10.0.0.5")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			conn net.PacketConn
			to   chan string
			name string
		}{{benConn, toBen, "ben"}, {annConn, toAnn, "ann"}} {
			if _, err := c.conn.WriteTo([]byte("hello from "+c.name), peerAddr); err != nil { // grants the peer's IP a permission
				t.Fatal(err)
			}
			expect(heard, "hello from "+c.name)
			if _, err := peerConn.WriteTo([]byte("hi "+c.name), c.conn.LocalAddr()); err != nil {
				t.Fatal(err)
			}
			expect(c.to, "hi "+c.name)
		}

		r.remove(ben)
		<-time.After(Recheck)
		if _, err := peerConn.WriteTo([]byte("after the removal"), benConn.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		silent(toBen, "to Ben's allocation after his removal")
		if _, err := benConn.WriteTo([]byte("Ben after his removal"), peerAddr); err != nil {
			t.Fatal(err)
		}
		silent(heard, "from Ben's allocation after his removal")
		if _, err := peerConn.WriteTo([]byte("still there"), annConn.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		expect(toAnn, "still there")
		if _, _, err := relayed(benCred, "10.0.0.6"); err == nil {
			t.Fatal("Ben's credential, not expired, made an allocation after his removal")
		}
	})
}
