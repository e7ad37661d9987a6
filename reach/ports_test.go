package reach

import (
	"errors"
	"net"
	"strconv"
	"testing"
)

// TestCheckPortsFree: a fixed TCP or UDP port another socket holds is
// reported, naming the port and address; free ports, port 0 and addresses
// without an IP and port are not.
func TestCheckPortsFree(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	u, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	tcp := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	udp := strconv.Itoa(u.LocalAddr().(*net.UDPAddr).Port)
	for _, tc := range []struct {
		listen []string
		want   string // "" for no error
	}{
		{[]string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}, ""},
		{[]string{"/ip4/127.0.0.1/tcp/" + tcp}, "listen on /ip4/127.0.0.1/tcp/" + tcp + ": TCP port " + tcp + " on 127.0.0.1 is in use by another program"},
		{[]string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/" + udp + "/quic-v1"}, "listen on /ip4/127.0.0.1/udp/" + udp + "/quic-v1: UDP port " + udp + " on 127.0.0.1 is in use by another program"},
		{[]string{"/ip4/127.0.0.1/udp/" + tcp + "/quic-v1"}, ""}, // the TCP port's number, over UDP
		{[]string{"/p2p-circuit", "garbage"}, ""},
	} {
		err := CheckPortsFree(tc.listen)
		if tc.want == "" && err != nil || tc.want != "" && (!errors.Is(err, ErrPortInUse) || err.Error() != tc.want) {
			t.Errorf("%v: %v, want %q", tc.listen, err, tc.want)
		}
	}
}
