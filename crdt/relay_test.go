package crdt

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func relayBody(k testKey, addr string) *RelayBody {
	p := k.pub()
	return &RelayBody{Peer: p[:], Addrs: []string{addr}, Time: 3}
}

func TestRelayOpsAreJudged(t *testing.T) {
	w, _ := setup(t, "ann", "ben")
	w.promote("olivia", "ann", RoleAdmin)
	w.syncAll()
	relay, other := newKey(90), newKey(91)

	// An admin registers a relay; every replica learns it.
	w.do("ann", ZeroID, KindRelay, relayBody(relay, "/ip4/10.0.0.1/tcp/4001"))
	w.syncAll()
	st := w.reps["ben"].State()
	r := st.Relays[relay.pub()]
	if r == nil || !st.IsRelay(relay.pub()) || r.By != w.pub("ann") || len(r.Addrs) != 1 || r.Addrs[0] != "/ip4/10.0.0.1/tcp/4001" {
		t.Fatalf("relay after registration: %+v", r)
	}

	cases := []struct {
		name string
		by   string
		body *RelayBody
		want error
	}{
		{"member adds", "ben", relayBody(other, "/ip4/10.0.0.2/tcp/1"), ErrUnauthorized},
		{"member removes", "ben", &RelayBody{Peer: relay.pubBytes(), Remove: true}, ErrUnauthorized},
		{"remove unknown", "olivia", func() *RelayBody { p := other.pub(); return &RelayBody{Peer: p[:], Remove: true} }(), ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := w.try(c.by, ZeroID, KindRelay, c.body); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}

	// The owner moves it, then takes it off.
	w.do("olivia", ZeroID, KindRelay, relayBody(relay, "/ip4/10.0.0.9/tcp/4001"))
	w.syncAll()
	if a := w.reps["ben"].State().Relays[relay.pub()].Addrs[0]; a != "/ip4/10.0.0.9/tcp/4001" {
		t.Fatalf("address after update: %s", a)
	}
	p := relay.pub()
	w.do("olivia", ZeroID, KindRelay, &RelayBody{Peer: p[:], Remove: true})
	w.syncAll()
	if w.reps["ben"].State().IsRelay(relay.pub()) {
		t.Fatal("relay still registered after its removal")
	}
	// The audit log tells each registration and the removal, with the
	// relay and its addresses.
	var got []string
	for _, e := range w.reps["ben"].State().Audit {
		if e.Kind == KindRelay && e.Target == relay.pub() {
			got = append(got, fmt.Sprintf("%s %v", e.Detail, e.Addrs))
		}
	}
	if want := []string{"added at /ip4/10.0.0.1/tcp/4001 [/ip4/10.0.0.1/tcp/4001]", "added at /ip4/10.0.0.9/tcp/4001 [/ip4/10.0.0.9/tcp/4001]", "removed []"}; !slices.Equal(got, want) {
		t.Errorf("audit of the relay: %q, want %q", got, want)
	}
}

func TestRelayOpIsClear(t *testing.T) {
	w, _ := setup(t)
	relay := newKey(90)
	o := w.do("olivia", ZeroID, KindRelay, relayBody(relay, "/ip4/10.0.0.1/tcp/4001"))
	if KindRelay.Sealable() || o.Sealed() {
		t.Fatal("a relay op must stay clear: the relay reads it without keys")
	}
	b, err := DecodeBody(o)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.(*RelayBody).Peer; string(got) != string(relay.pubBytes()) {
		t.Fatalf("peer %x", got)
	}
}

func TestRelayLimit(t *testing.T) {
	w, _ := setup(t)
	for i := range MaxRelays {
		w.do("olivia", ZeroID, KindRelay, relayBody(newKey(byte(100+i)), "/ip4/10.0.0.1/tcp/1"))
	}
	if _, err := w.try("olivia", ZeroID, KindRelay, relayBody(newKey(200), "/ip4/10.0.0.1/tcp/1")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("relay over the limit: %v", err)
	}
	// Updating one already there is still allowed.
	w.do("olivia", ZeroID, KindRelay, relayBody(newKey(100), "/ip4/10.0.0.2/tcp/1"))
}

// A registration by an admin demoted concurrently is struck (strong removal).
func TestRelayByDemotedAdminIsStruck(t *testing.T) {
	w, _ := setup(t, "ann")
	w.promote("olivia", "ann", RoleAdmin)
	w.syncAll()
	w.promote("olivia", "ann", RoleMember)
	w.do("ann", ZeroID, KindRelay, relayBody(newKey(90), "/ip4/10.0.0.1/tcp/1"))
	w.syncAll()
	if w.reps["olivia"].State().IsRelay(newKey(90).pub()) {
		t.Fatal("a relay registered by a concurrently demoted admin counts")
	}
}

func TestPermitsManageRelays(t *testing.T) {
	w, _ := setup(t, "ann", "ben")
	w.promote("olivia", "ann", RoleAdmin)
	w.syncAll()
	st := w.reps["olivia"].State()
	for name, want := range map[string]bool{"olivia": true, "ann": true, "ben": false} {
		if got := st.Permits(w.pub(name), Action{Kind: KindRelay}); got != want {
			t.Errorf("%s may manage relays: %v, want %v", name, got, want)
		}
	}
}
