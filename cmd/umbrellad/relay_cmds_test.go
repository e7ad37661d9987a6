package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/relaynode"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// relayFake records the relay calls.
type relayFake struct {
	fakeNode
	added   map[crdt.PublicKey][]string
	removed []crdt.PublicKey
}

func (f *relayFake) AddRelay(_ context.Context, _ crdt.ID, k crdt.PublicKey, addrs []string) error {
	f.added[k] = addrs
	return nil
}

func (f *relayFake) RemoveRelay(_ context.Context, _ crdt.ID, k crdt.PublicKey) error {
	f.removed = append(f.removed, k)
	return nil
}

func (f *relayFake) Relays(crdt.ID) ([]api.RelayState, error) {
	return []api.RelayState{{PeerID: "12D3KooWrelay", Addrs: []string{"/ip4/10.0.0.7/tcp/4001"}, Online: true}}, nil
}

func TestRelayControlMethods(t *testing.T) {
	f := &relayFake{added: map[crdt.PublicKey][]string{}}
	c := serveNode(t, f)
	ctx := t.Context()
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	p, err := peerkey.FromPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	addr := "/ip4/10.0.0.7/tcp/4001/p2p/" + p.String()
	var res map[string]bool
	if err := c.call(ctx, "relay.add", args{Community: crdt.ID{1}, Relay: addr}, &res); err != nil || !res["ok"] {
		t.Fatalf("relay.add: %v %v", res, err)
	}
	if got := f.added[crdt.PublicKey(pub)]; len(got) != 1 || got[0] != "/ip4/10.0.0.7/tcp/4001" {
		t.Fatalf("added %v", f.added)
	}
	if err := c.call(ctx, "relay.remove", args{Community: crdt.ID{1}, Relay: addr}, &res); err != nil || len(f.removed) != 1 {
		t.Fatalf("relay.remove: %v %v", f.removed, err)
	}
	var rs []api.RelayState
	if err := c.call(ctx, "relays", args{Community: crdt.ID{1}}, &rs); err != nil || len(rs) != 1 || !rs[0].Online {
		t.Fatalf("relays: %+v %v", rs, err)
	}
	for _, bad := range []string{"/ip4/10.0.0.7/tcp/4001", "not an address", "/p2p/" + p.String()} {
		if err := c.call(ctx, "relay.add", args{Community: crdt.ID{1}, Relay: bad}, &res); err == nil || !strings.Contains(err.Error(), "bad request") && !strings.Contains(err.Error(), "relay address") {
			t.Errorf("relay.add %q: %v", bad, err)
		}
	}
}

// TestRelayDump prints what a relay's store holds, bodies as they are.
func TestRelayDump(t *testing.T) {
	home := t.TempDir()
	k := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32))
	body, _ := crdt.Marshal(&crdt.GenesisBody{Name: "Glow"})
	g, err := crdt.Sign(crdt.Op{Kind: crdt.KindGenesis, Height: 1, Body: body}, signer{k})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := store.OpenBadger(filepath.Join(home, relaynode.StoreDir), store.BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.Put(t.Context(), crdt.Opened{Op: g}); err != nil {
		t.Fatal(err)
	}
	ds.Close()
	var out bytes.Buffer
	o := &opts{home: home, community: g.ID().String(), json: true, stdout: &out, stderr: &out}
	if err := cmdRelayDump(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	if err := cmdRelayDump(t.Context(), &opts{home: t.TempDir(), community: g.ID().String(), stdout: &out}); err == nil {
		t.Fatal("dump of a home without a relay store")
	}
	var ops []map[string]string
	if err := json.Unmarshal(out.Bytes(), &ops); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if len(ops) != 1 || ops[0]["kind"] != "genesis" || ops[0]["log"] != "control" || ops[0]["body_b64"] != base64.StdEncoding.EncodeToString(body) || ops[0]["id"] != g.ID().String() {
		t.Fatalf("dump %v", ops)
	}
}

type signer struct{ k ed25519.PrivateKey }

func (s signer) PublicKey() ed25519.PublicKey { return s.k.Public().(ed25519.PublicKey) }
func (s signer) Sign(m []byte) []byte         { return ed25519.Sign(s.k, m) }

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"10GB": 10e9, "500mb": 500e6, "1TB": 1e12, "4096": 4096, " 2 GB ": 2e9} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GB", "-1GB", "0", "ten GB", "99999999999TB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}
