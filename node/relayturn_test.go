package node

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"

	"github.com/umbrella-p2p/umbrella/call/turn"
	"github.com/umbrella-p2p/umbrella/node/calls"
	"github.com/umbrella-p2p/umbrella/relaynode"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// TestRelayTURNCredentials: a relay with TURN gives a member of a
// community that registered it a credential for its TURN server, which
// the member's calls use as an ICE server; a stranger who asks gets none.
func TestRelayTURNCredentials(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		r := sn.startRelay(t.TempDir())
		defer r.close()
		wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", LoggerFactory: logging.NewDefaultLoggerFactory()})
		if err != nil {
			t.Fatal(err)
		}
		nw, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{"10.0.0.1"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := wan.AddNet(nw); err != nil {
			t.Fatal(err)
		}
		if err := wan.Start(); err != nil {
			t.Fatal(err)
		}
		defer wan.Stop()
		ts, err := relaynode.ServeTURN(r.h, r.rs.Relay(), relaynode.TURN{Addr: "10.0.0.1:3478", Net: nw}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ts.Close()

		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		defer a.Close()
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		r.register(t, a, comm.ID)
		waitFor(t, a.Node, "the relay to keep the community", func() bool { return r.rs.Relay().Keeps(comm.ID) })
		ice := calls.TURN(ctx, calls.Config{Open: a.proto.svc.Open, Relays: fileRelays{a.Node}.of, Log: a.log}, comm.ID)
		if len(ice) != 1 || !strings.HasSuffix(ice[0].Username, ":"+a.host.ID().String()) || ice[0].Credential == "" ||
			len(ice[0].URLs) != 1 || ice[0].URLs[0] != "turn:10.0.0.1:3478?transport=udp" {
			t.Fatalf("Olivia's ICE servers for the community: %+v", ice)
		}

		m := sn.start(t.TempDir(), "Mallory", store.NewMemory())
		defer m.Close()
		m.host.Peerstore().AddAddrs(r.h.ID(), r.h.Addrs(), time.Hour)
		st, err := m.proto.svc.Open(ctx, r.h.ID(), turn.Protocol)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if _, err := turn.Ask(st); err == nil || !strings.Contains(err.Error(), turn.ErrNotMember.Error()) {
			t.Fatalf("a stranger's credential: %v", err)
		}
	})
}
