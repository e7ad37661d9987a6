package pull

import (
	"bytes"
	"crypto/ed25519"
	"slices"

	"github.com/libp2p/go-libp2p/core/peer"
	"testing"
	"testing/synctest"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// registerRelay registers relay r (not a member) with community cid.
func (w *world) registerRelay(cid crdt.ID, r member) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.relays == nil {
		w.relays = map[crdt.ID][]api.Relay{}
	}
	w.relays[cid] = append(w.relays[cid], api.Relay{PeerID: r.p.String(), Key: r.k, Addrs: []string{"/ip4/10.0.0.7/tcp/4001"}})
}

// TestRelaysPulledAndPushedEveryTick: on start and every tick a member
// dials a registered relay it is not connected to, and pulls from a
// connected one and then nudges it (the push); a relay that refuses says
// why, and the scheduler keeps the reason.
func TestRelaysPulledAndPushedEveryTick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		a, relay := newMember(t, 1), newMember(t, 7)
		cid := w.community(1, a)
		w.registerRelay(cid, relay)

		w.s.Start()
		synctest.Wait()
		w.mu.Lock()
		dialled := slices.Contains(w.dialled, relay.p)
		w.mu.Unlock()
		if !dialled {
			t.Fatal("the relay was not dialled on start")
		}

		w.connect(relay)
		w.s.OnConnect(relay.p)
		synctest.Wait()
		pulls, nudges := w.callsOf("pull"), w.callsOf("nudge")
		if len(pulls) != 1 || pulls[0].p != relay.p || len(nudges) != 1 || nudges[0].p != relay.p {
			t.Fatalf("after connecting to the relay: pulls %v, nudges %v", pulls, nudges)
		}
		if st := w.s.RelayStatus(cid, relay.p); st.Pushed.IsZero() || st.Refused != "" {
			t.Fatalf("relay status %+v", st)
		}
		if rs := w.s.Relays(cid); len(rs) != 1 || rs[0].PeerID != relay.p.String() || !rs[0].Online || rs[0].LastSync == nil || rs[0].LastPush == nil || rs[0].Addrs[0] != "/ip4/10.0.0.7/tcp/4001" {
			t.Fatalf("relays %+v", rs)
		}
		if got := w.callsOf("peers"); len(got) != 0 {
			t.Fatalf("asked the relay for peers: %v", got)
		}

		w.mu.Lock()
		w.nudgeErr = "relay quota reached: community full"
		w.mu.Unlock()
		w.s.tick()
		synctest.Wait()
		if got := w.callsOf("pull"); len(got) != 2 || got[1].p != relay.p {
			t.Fatalf("pulls after a tick: %v", got)
		}
		if st := w.s.RelayStatus(cid, relay.p); st.Refused != "relay quota reached: community full" {
			t.Fatalf("relay status after a refusal %+v", st)
		}
	})
}

// TestUnregisteredRelayIgnored: a peer that is neither member nor
// registered relay is not pulled from when it connects.
func TestUnregisteredRelayIgnored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		relay := newMember(t, 7)
		w.community(1)
		w.connect(relay)
		w.s.OnConnect(relay.p)
		w.s.tick()
		synctest.Wait()
		if got := w.callsOf("pull"); len(got) != 0 {
			t.Fatalf("pulled from a relay no admin registered: %v", got)
		}
	})
}

// TestPushToRelays: what this node writes is pushed at once to the
// registered relays it is connected to, not to others.
func TestPushToRelays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		on, off := newMember(t, 7), newMember(t, 8)
		cid := w.community(1)
		w.registerRelay(cid, on)
		w.registerRelay(cid, off)
		w.connect(on)
		w.s.PushToRelays(cid)
		synctest.Wait()
		if got := w.callsOf("nudge"); len(got) != 1 || got[0].p != on.p || got[0].cid != cid {
			t.Fatalf("nudges %v, want one to the connected relay", got)
		}
		if st := w.s.RelayStatus(cid, on.p); st.Pushed.IsZero() {
			t.Fatalf("push not noted: %+v", st)
		}
		w.mu.Lock()
		dialled := w.dialled
		w.mu.Unlock()
		if !slices.Equal(dialled, []peer.ID{off.p}) {
			t.Fatalf("dialled %v, want the relay not connected", dialled)
		}
	})
}

// TestRelayUpToDate: a relay is up to date once it accepted a push that
// started after this node's last write; a write during a push in flight
// makes it not up to date and is pushed again once that push is over; a
// refusal (a full disk) is kept and shown until a push is accepted.
func TestRelayUpToDate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		relay := newMember(t, 7)
		cid := w.community(1)
		w.registerRelay(cid, relay)
		w.connect(relay)
		upToDate := func() api.RelayState {
			t.Helper()
			rs := w.s.Relays(cid)
			if len(rs) != 1 {
				t.Fatalf("relays %+v", rs)
			}
			return rs[0]
		}
		if rs := upToDate(); rs.UpToDate || rs.LastPush != nil {
			t.Fatalf("before any push: %+v", rs)
		}
		w.s.PushToRelays(cid)
		synctest.Wait()
		if rs := upToDate(); !rs.UpToDate || rs.LastPush == nil || !rs.Online {
			t.Fatalf("after a push: %+v", rs)
		}

		gate := make(chan struct{})
		w.mu.Lock()
		w.nudgeGate = gate
		w.mu.Unlock()
		w.s.PushToRelays(cid) // write 2: its push waits at the relay
		synctest.Wait()
		w.s.PushToRelays(cid) // write 3, while the push of write 2 runs
		synctest.Wait()
		if rs := upToDate(); rs.UpToDate {
			t.Fatalf("up to date while writes are not pushed: %+v", rs)
		}
		gate <- struct{}{} // the push of write 2 is answered
		synctest.Wait()
		if rs := upToDate(); rs.UpToDate {
			t.Fatalf("up to date though the last write came after the push started: %+v", rs)
		}
		gate <- struct{}{} // the push again, for write 3
		synctest.Wait()
		if rs := upToDate(); !rs.UpToDate {
			t.Fatalf("not up to date after the second push: %+v", rs)
		}
		if n := len(w.callsOf("nudge")); n != 3 {
			t.Fatalf("%d nudges, want 3", n)
		}

		w.mu.Lock()
		w.nudgeGate = nil
		w.nudgeErr = "the relay could not store the ops: no space left on device"
		w.mu.Unlock()
		w.s.PushToRelays(cid)
		synctest.Wait()
		if rs := upToDate(); rs.UpToDate || rs.Refused != "the relay could not store the ops: no space left on device" {
			t.Fatalf("after a refusal: %+v", rs)
		}
		w.mu.Lock()
		w.nudgeErr = ""
		w.mu.Unlock()
		w.s.PushToRelays(cid)
		synctest.Wait()
		if rs := upToDate(); !rs.UpToDate || rs.Refused != "" {
			t.Fatalf("after the disk has room again: %+v", rs)
		}
	})
}

type testSigner struct{ k ed25519.PrivateKey }

func (s testSigner) PublicKey() ed25519.PublicKey { return s.k.Public().(ed25519.PublicKey) }
func (s testSigner) Sign(m []byte) []byte         { return ed25519.Sign(s.k, m) }

// TestPushCarriesTheOps: the ops a member just wrote go along in its push
// to the relay (one request, no pull); ones too big for a push frame go
// by a nudge, which makes the relay pull them.
func TestPushCarriesTheOps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		relay := newMember(t, 7)
		cid := w.community(1)
		w.registerRelay(cid, relay)
		w.connect(relay)
		sign := func(body []byte) *crdt.Op {
			t.Helper()
			op, err := crdt.Sign(crdt.Op{Kind: crdt.KindGenesis, Height: 1, Body: body}, testSigner{ed25519.NewKeyFromSeed(make([]byte, 32))})
			if err != nil {
				t.Fatal(err)
			}
			return op
		}
		small := sign([]byte{0x40})
		w.s.PushToRelays(cid, small)
		synctest.Wait()
		w.mu.Lock()
		pushed := slices.Clone(w.pushed)
		w.mu.Unlock()
		if got := w.callsOf("push"); len(got) != 1 || len(w.callsOf("nudge")) != 0 || len(pushed) != 1 || !bytes.Equal(pushed[0], small.Bytes()) {
			t.Fatalf("pushes %v, nudges %v, ops %d", got, w.callsOf("nudge"), len(pushed))
		}
		if rs := w.s.Relays(cid); !rs[0].UpToDate {
			t.Fatalf("not up to date after a push the relay took: %+v", rs[0])
		}

		big := sign(append([]byte{0x59, 0xa0, 0}, make([]byte, 40<<10)...)) // a 40 KiB byte string
		w.s.PushToRelays(cid, big, big)                                     // 80 KiB in all
		synctest.Wait()
		if got := w.callsOf("nudge"); len(got) != 1 || len(w.callsOf("push")) != 1 {
			t.Fatalf("an op too big for a push: nudges %v, pushes %v", got, w.callsOf("push"))
		}
	})
}
