package turn

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5/stdnet"
	pturn "github.com/pion/turn/v5"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// tcpRelay is a TURN server on 127.0.0.1 serving UDP and TCP, whose
// issuer runs on a clock the test moves (so a Recheck passes without a
// wait) and whose members are Ann and Ben until removed.
type tcpRelay struct {
	t   *testing.T
	iss *Issuer
	srv *Server
	tcp net.Addr

	members
	clockMu sync.Mutex
	now     time.Time // guarded by clockMu
}

func newTCPRelay(t *testing.T) *tcpRelay {
	t.Helper()
	r := &tcpRelay{t: t, now: time.Now()}
	iss, err := NewIssuer(IssuerConfig{URLs: []string{"turn:127.0.0.1:3478?transport=tcp"}, PeerID: peerID, Member: memberOf,
		Now: r.clock, Allowed: r.allowed})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Serve(ServerConfig{UDP: "127.0.0.1:0", TCP: "127.0.0.1:0", RelayIP: net.ParseIP("127.0.0.1"), Issuer: iss})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	r.iss, r.srv = iss, srv
	_, r.tcp = srv.Addrs()
	return r
}

func (r *tcpRelay) clock() time.Time {
	r.clockMu.Lock()
	defer r.clockMu.Unlock()
	return r.now
}

// remove makes the relay no longer know member k, and lets Recheck pass.
func (r *tcpRelay) remove(k crdt.PublicKey) {
	r.members.remove(k)
	r.clockMu.Lock()
	defer r.clockMu.Unlock()
	r.now = r.now.Add(Recheck)
}

// issue returns member k's fresh credential.
func (r *tcpRelay) issue(k crdt.PublicKey) Credential {
	r.t.Helper()
	c, err := r.iss.Issue(k)
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

// client is a TURN client of credential c over a TCP connection to the
// relay.
func (r *tcpRelay) client(c Credential) *pturn.Client {
	r.t.Helper()
	conn, err := net.Dial("tcp4", r.tcp.String())
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { conn.Close() })
	nw, err := stdnet.NewNet()
	if err != nil {
		r.t.Fatal(err)
	}
	cl, err := pturn.NewClient(&pturn.ClientConfig{TURNServerAddr: r.tcp.String(), STUNServerAddr: r.tcp.String(),
		Username: c.Username, Password: c.Password, Realm: Realm, Conn: pturn.NewSTUNConn(conn), Net: nw,
		LoggerFactory: logging.NewDefaultLoggerFactory()})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(cl.Close)
	if err := cl.Listen(); err != nil {
		r.t.Fatal(err)
	}
	return cl
}

// within polls cond every 10 ms until it holds, failing after 10 s.
func within(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for range 1000 {
		if cond() {
			return
		}
		<-tick.C
	}
	t.Fatalf("after 10 s: %s", what)
}

// readFrom reads one datagram from c within 10 s.
func readFrom(t *testing.T, c net.PacketConn) (string, error) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, _, err := c.ReadFrom(buf)
	return string(buf[:n]), err
}

// readString reads what arrives on c within 10 s.
func readString(t *testing.T, c net.Conn) (string, error) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	return string(buf[:n]), err
}

// closedWithin fails unless c is closed from the other end within 10 s
// with nothing more to read.
func closedWithin(t *testing.T, c net.Conn, what string) {
	t.Helper()
	got, err := readString(t, c)
	var ne net.Error
	if got != "" || err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: read %q, %v; want it closed", what, got, err)
	}
}

// TestRemovedMemberCutOffOverTCP: Ann and Ben use the relay's TURN over
// TCP (the transport WebRTC's ?transport=tcp URLs take), each with a UDP
// allocation relaying to a peer on 127.0.0.1. Once the relay no longer
// knows Ben, the next packet to him closes his TCP connection and pion
// deletes his allocation, though neither it nor his credential expired;
// Ann keeps hers.
func TestRemovedMemberCutOffOverTCP(t *testing.T) {
	r := newTCPRelay(t)
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	relayed := map[string]net.PacketConn{}
	benCred := r.issue(ben)
	for _, m := range []struct {
		name string
		k    crdt.PublicKey
	}{{"ann", ann}, {"ben", ben}} {
		c := benCred
		if m.k == ann {
			c = r.issue(ann)
		}
		rc, err := r.client(c).Allocate()
		if err != nil {
			t.Fatalf("%s's allocation over TCP: %v", m.name, err)
		}
		t.Cleanup(func() { rc.Close() })
		relayed[m.name] = rc
		if _, err := rc.WriteTo([]byte("hello from "+m.name), peer.LocalAddr()); err != nil { // grants the peer a permission
			t.Fatal(err)
		}
		if got, err := readFrom(t, peer); err != nil || got != "hello from "+m.name {
			t.Fatalf("the peer got %q, %v", got, err)
		}
		if _, err := peer.WriteTo([]byte("hi "+m.name), rc.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		if got, err := readFrom(t, rc); err != nil || got != "hi "+m.name {
			t.Fatalf("%s got %q, %v", m.name, got, err)
		}
	}
	if n := r.srv.Allocations(); n != 2 {
		t.Fatalf("%d allocations, want 2", n)
	}

	r.remove(ben)
	if _, err := peer.WriteTo([]byte("after the removal"), relayed["ben"].LocalAddr()); err != nil {
		t.Fatal(err)
	}
	within(t, "Ben's allocation deleted once a packet for him came after his removal", func() bool { return r.srv.Allocations() == 1 })
	if _, err := peer.WriteTo([]byte("still there"), relayed["ann"].LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if got, err := readFrom(t, relayed["ann"]); err != nil || got != "still there" {
		t.Fatalf("Ann got %q, %v", got, err)
	}
	if _, err := r.client(benCred).Allocate(); err == nil {
		t.Fatal("Ben's credential made an allocation over TCP after his removal")
	}
}

// TestRemovedMemberTCPAllocationCutOff: Ben makes an RFC 6062 TCP
// allocation and a relayed TCP connection to a peer on 127.0.0.1 through
// it. Once the relay no longer knows him, the next bytes the peer sends
// close that relayed connection at both ends.
func TestRemovedMemberTCPAllocationCutOff(t *testing.T) {
	r := newTCPRelay(t)
	ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan *net.TCPConn, 1)
	go func() {
		c, err := ln.AcceptTCP()
		if err == nil {
			accepted <- c
		}
	}()
	alloc, err := r.client(r.issue(ben)).AllocateTCP()
	if err != nil {
		t.Fatalf("a TCP allocation: %v", err)
	}
	defer alloc.Close()
	toPeer, err := alloc.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatalf("a relayed TCP connection: %v", err)
	}
	defer toPeer.Close()
	var atPeer *net.TCPConn
	select {
	case atPeer = <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("the relay's connection did not reach the peer")
	}
	defer atPeer.Close()
	if _, err := toPeer.Write([]byte("hello from ben")); err != nil {
		t.Fatal(err)
	}
	if got, err := readString(t, atPeer); err != nil || got != "hello from ben" {
		t.Fatalf("the peer got %q, %v", got, err)
	}
	if _, err := atPeer.Write([]byte("hi ben")); err != nil {
		t.Fatal(err)
	}
	if got, err := readString(t, toPeer); err != nil || got != "hi ben" {
		t.Fatalf("Ben got %q, %v", got, err)
	}

	r.remove(ben)
	if _, err := atPeer.Write([]byte("after the removal")); err != nil {
		t.Fatal(err)
	}
	closedWithin(t, toPeer, "Ben's relayed connection after his removal")
	closedWithin(t, atPeer, "the peer's connection from Ben's allocation after his removal")
}
