package reach

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
)

const (
	relayA = "/ip4/203.0.113.7/tcp/4001/p2p/12D3KooWLGcptSkeJgav7ywAMZeGhiT1sPpUfuBKM2TNn6Zf34dN"
	relayB = "/ip4/203.0.113.8/tcp/4001/p2p/12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq"
)

func mustRelay(t *testing.T, s string) peer.AddrInfo {
	t.Helper()
	ai, err := ParseRelay(s)
	if err != nil {
		t.Fatal(err)
	}
	return ai
}

// TestBookSurvivesRestart: what the book remembers (listen addresses,
// peers, pending and in-flight joins, relays) is read back from its file;
// joins in flight older than maxJoiningAge are forgotten.
func TestBookSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "peers.json")
	now := time.Unix(1_700_000_000, 0)
	b := LoadBook(path, nil)
	p := mustRelay(t, relayB)
	b.Remember(p)
	b.SetPending(crdt.ID{1}, true)
	b.SetJoining(crdt.ID{2}, true, now)
	b.SetJoining(crdt.ID{3}, true, now.Add(-maxJoiningAge-time.Hour))
	b.AddRelays([]peer.AddrInfo{mustRelay(t, relayA)})

	b = LoadBook(path, nil)
	if got := b.Known(); len(got) != 1 || got[0].String() != p.String() {
		t.Errorf("known peers %v", got)
	}
	if got := b.Pending(); !slices.Equal(got, []crdt.ID{{1}}) {
		t.Errorf("pending %v", got)
	}
	if got := b.Awaited(now); !slices.Equal(got, []crdt.ID{{1}, {2}}) {
		t.Errorf("awaited %v, want the pending join and the young one in flight", got)
	}
	if got := b.Relays(); !slices.Equal(got, []string{relayA}) {
		t.Errorf("relays %v", got)
	}
}

// TestBookBoundsRelays: relays from invites are remembered newest first,
// each once, and at most maxBookRelays of them.
func TestBookBoundsRelays(t *testing.T) {
	b := LoadBook(filepath.Join(t.TempDir(), "peers.json"), nil)
	for range 3 {
		b.AddRelays([]peer.AddrInfo{mustRelay(t, relayA)})
	}
	if got := b.Relays(); len(got) != 1 {
		t.Fatalf("one relay added thrice is remembered %d times", len(got))
	}
	b.AddRelays([]peer.AddrInfo{mustRelay(t, relayB)})
	if got := b.Relays(); !slices.Equal(got, []string{relayB, relayA}) {
		t.Fatalf("relays %v, want newest first", got)
	}
	for i := range maxBookRelays {
		b.AddRelays([]peer.AddrInfo{mustRelay(t, fmt.Sprintf("/ip4/198.51.100.%d/tcp/4001/p2p/%s", i+1, mustRelay(t, relayA).ID))})
	}
	if got := b.Relays(); len(got) != maxBookRelays || slices.Contains(got, relayA) {
		t.Fatalf("%d relays remembered (the oldest still there: %v), want %d", len(got), slices.Contains(got, relayA), maxBookRelays)
	}
}

// TestKnownRelays: the configured relays come first, then the book's; a
// relay named twice is listed once with both addresses; garbage is
// skipped.
func TestKnownRelays(t *testing.T) {
	b := LoadBook(filepath.Join(t.TempDir(), "peers.json"), nil)
	other := "/ip4/198.51.100.1/tcp/4001/p2p/12D3KooWLGcptSkeJgav7ywAMZeGhiT1sPpUfuBKM2TNn6Zf34dN"
	b.AddRelays([]peer.AddrInfo{mustRelay(t, relayB), mustRelay(t, other)})
	r := NewRelays(RelaysConfig{Configured: []string{relayA, "garbage"}, Book: b})
	got := r.Known()
	if len(got) != 2 || got[0].ID != mustRelay(t, relayA).ID || got[1].ID != mustRelay(t, relayB).ID || len(got[0].Addrs) != 2 {
		t.Fatalf("known relays %v", got)
	}
	if r.Reachability() != "unknown" {
		t.Fatalf("reachability before AutoNAT spoke: %q", r.Reachability())
	}
}

// TestReusePorts: "any port" listen addresses take the port bound last
// time for the same address and transport; nothing changes without one.
func TestReusePorts(t *testing.T) {
	listen := []string{"/ip4/0.0.0.0/tcp/0", "/ip4/0.0.0.0/udp/0/quic-v1", "/ip6/::/tcp/4001"}
	previous := []string{"/ip4/0.0.0.0/tcp/40123", "/ip4/0.0.0.0/udp/40124/quic-v1", "/ip6/::/tcp/4001"}
	want := []string{"/ip4/0.0.0.0/tcp/40123", "/ip4/0.0.0.0/udp/40124/quic-v1", "/ip6/::/tcp/4001"}
	if got := ReusePorts(listen, previous); !slices.Equal(got, want) {
		t.Errorf("ReusePorts = %v, want %v", got, want)
	}
	if got := ReusePorts(listen, nil); got != nil {
		t.Errorf("ReusePorts with no previous run = %v, want nil", got)
	}
}

// TestBookKeepsRequests: the records of requests to join survive a
// restart until they are forgotten, and only so many are kept.
func TestBookKeepsRequests(t *testing.T) {
	path := filepath.Join(t.TempDir(), "peers.json")
	b := LoadBook(path, nil)
	b.SetRequest(crdt.ID{1}, []byte("first"))
	b.SetRequest(crdt.ID{2}, []byte("second"))
	b.SetRequest(crdt.ID{1}, []byte("first, declined"))
	got := LoadBook(path, nil).Requests()
	if len(got) != 2 || string(got[crdt.ID{1}]) != "first, declined" || string(got[crdt.ID{2}]) != "second" {
		t.Fatalf("after a restart: %q", got)
	}
	b.SetRequest(crdt.ID{2}, nil)
	if got := LoadBook(path, nil).Requests(); len(got) != 1 {
		t.Fatalf("after forgetting one: %q", got)
	}
	for i := range maxBookRequests + 5 {
		b.SetRequest(crdt.ID{byte(i), 9}, []byte("x"))
	}
	if got := b.Requests(); len(got) != maxBookRequests {
		t.Fatalf("kept %d requests, want at most %d", len(got), maxBookRequests)
	}
}
