package crdt

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Relays (DESIGN "Relays").
//
// An admin registers a relay with a relay op (KindRelay): the relay's
// identity key, which is also its libp2p peer id, and the multiaddrs to
// dial it at; the same kind with Remove set takes it off again. Members
// learn the relays from the control log, push what they write to them and
// pull from them as from any member, and let a registered relay reconcile
// and fetch every log (it holds them sealed; it never holds a key).
//
// The relay op is one of the clear kinds, like invite, join, prekey and
// rekey (Kind.Sealable): a relay is never a reader of the control log, so
// it must be able to read the op that registers it to know that a
// community wants it to keep its logs, and which. What the clear body
// shows — a relay's key and addresses, and which member registered it —
// is what the relay and every member dialling it learn anyway. Only the
// judge (check) decides whether the op counts: admins and owners only,
// and strong removal strikes a registration by an admin demoted or
// removed concurrently, as it strikes any admin action. A relay, which
// cannot read roles, can tell only that the op is signed and linked into
// the control log: package sync/relay documents what it concludes.

// RelayBody adds or removes a relay.
type RelayBody struct {
	Peer   []byte   `cbor:"1,keyasint"`           // the relay's 32-byte Ed25519 key (its peer id)
	Addrs  []string `cbor:"2,keyasint,omitempty"` // where to dial it, without /p2p/
	Remove bool     `cbor:"3,keyasint,omitempty"` // take the relay off (Addrs then empty)
	Time   int64    `cbor:"4,keyasint,omitempty"` // author's clock, unix milliseconds; shown only
}

func (b *RelayBody) check() error {
	if len(b.Peer) != len(PublicKey{}) {
		return fmt.Errorf("relay key is %d bytes, want 32", len(b.Peer))
	}
	if b.Remove && len(b.Addrs) > 0 {
		return fmt.Errorf("a relay removal carries no addresses")
	}
	if !b.Remove && len(b.Addrs) == 0 {
		return fmt.Errorf("a relay needs at least one address")
	}
	if len(b.Addrs) > MaxAddrs {
		return fmt.Errorf("more than %d relay addresses", MaxAddrs)
	}
	for _, a := range b.Addrs {
		if err := checkText("relay address", a, MaxAddrLen, true); err != nil {
			return err
		}
	}
	return nil
}

// Relay is a relay registered with a community.
type Relay struct {
	Key   PublicKey // its identity key and libp2p peer id
	Addrs []string  // where to dial it; never mutated
	By    PublicKey // the admin whose op registered it last
	Op    ID        // that op
	Time  int64     // that op's clock, unix milliseconds; shown only
}

// checkRelay judges a relay op: admins only; a removal names a
// registered relay; at most MaxRelays at once.
func (s *State) checkRelay(b *RelayBody, role Role) (Role, error) {
	if role < RoleAdmin {
		if role == RoleNone {
			return RoleAdmin, unauthorized("not a member may not manage relays")
		}
		return RoleAdmin, unauthorized("a %s may not manage relays", role)
	}
	_, known := s.Relays[keyOf(b.Peer)]
	switch {
	case b.Remove && !known:
		return RoleAdmin, invalid("relay %x is not registered", b.Peer[:4])
	case !b.Remove && !known && len(s.Relays) >= MaxRelays:
		return RoleAdmin, invalid("the community already has %d relays", MaxRelays)
	}
	return RoleAdmin, nil
}

// applyRelay registers, updates or removes a relay. States share Relay
// values (Clone copies the map only), so a change replaces the value.
func (s *State) applyRelay(o *Op, b *RelayBody) {
	k := keyOf(b.Peer)
	e := AuditEntry{Op: o.ID(), Kind: o.Kind, Actor: o.Author, Target: k, Detail: "removed", Time: b.Time}
	if !b.Remove {
		e.Detail, e.Addrs = "added at "+strings.Join(b.Addrs, " "), slices.Clone(b.Addrs)
	}
	s.Audit = append(s.Audit, e)
	if b.Remove {
		delete(s.Relays, k)
		return
	}
	if s.Relays == nil {
		s.Relays = map[PublicKey]*Relay{}
	}
	s.Relays[k] = &Relay{Key: k, Addrs: b.Addrs, By: o.Author, Op: o.ID(), Time: b.Time}
}

// IsRelay reports whether k is a relay registered with the community.
func (s *State) IsRelay(k PublicKey) bool { _, ok := s.Relays[k]; return ok }

// cloneRelays copies the relay map (values are shared, never mutated).
func cloneRelays(m map[PublicKey]*Relay) map[PublicKey]*Relay {
	if m == nil {
		return nil
	}
	return maps.Clone(m)
}
