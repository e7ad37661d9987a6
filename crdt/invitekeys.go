package crdt

import "fmt"

// Invite keys: the history a newcomer may read, held for an invite link
// (kind 21, DESIGN "Invites", and package sync/relay's doc).
//
// A join completes with no member online when a relay holds the
// community: the relay checks the joiner's proof under the clear invite
// key and stores the join. But every body the joiner needs is sealed, and
// the relay holds no key. So when an admin makes an invite link, its node
// wraps the epoch secrets a newcomer may read — every epoch of the control
// log and of the groups every member reads (the announcement group and
// the groups open to everyone) — to a key derived from the link's secret
// (e2ee.InviteKey), in a clear invite-keys op: whoever holds the link
// can unwrap, the relay that stores the op cannot. Every rotation of
// such a log then wraps its new epoch to every live invite that has a
// key (not revoked, lapsed, expired or used up), so a revoked or used-up
// invite stops getting new epochs; revoking an invite also rotates those
// logs, so a leaked link reads nothing written after its revocation. The
// maker's first op also wraps the community's gossip topic secret, which
// never changes, so the joiner follows the live topics at once. An
// invite of a community that admits by approval gets a key op with
// Approval set and no secrets: the relay records its joins as requests.
//
// The first invite-keys op of an invite is its maker's (only it holds the
// link's secret) and fixes the key; later ones, by any admin, must wrap to
// that key. Only admins write them, while the invite stands.

// InviteKeysBody (KindInviteKeys, clear) hands epoch secrets to the
// joiners of an invite link.
type InviteKeysBody struct {
	Invite []byte `cbor:"1,keyasint"` // the invite op's id
	KEM    uint16 `cbor:"2,keyasint"` // the wrap key's KEM
	Key    []byte `cbor:"3,keyasint"` // the wrap key (e2ee.InviteKey of the link's secret)
	// Approval: the community admits by approval (when the op was
	// written); a relay then records joins as requests. Keys is empty.
	Approval bool        `cbor:"4,keyasint,omitempty"`
	Keys     []InviteKey `cbor:"5,keyasint,omitempty"`
	Time     int64       `cbor:"6,keyasint,omitempty"` // author's clock, unix milliseconds; shown only
	// Topic is the community's gossip topic secret wrapped to the same
	// key (e2ee.TopicWrapInfo), so a joiner a relay admits with no member
	// online follows the community's topics at once. Joiners take it only
	// from the invite maker's ops. Never with Approval.
	Topic []byte `cbor:"7,keyasint,omitempty"`
}

// InviteKey is one epoch secret wrapped to an invite's key, with
// e2ee.WrapInfo naming the invite's Ed25519 key as the recipient.
type InviteKey struct {
	Log    []byte `cbor:"1,keyasint,omitempty"` // group id; absent for the control log
	Epoch  []byte `cbor:"2,keyasint"`
	Secret []byte `cbor:"3,keyasint"` // the wrapped secret
}

func (b *InviteKeysBody) check() error {
	if err := checkID("invite", b.Invite); err != nil {
		return err
	}
	size, ok := kemKeySize[b.KEM]
	if !ok {
		return fmt.Errorf("unknown KEM %#04x", b.KEM)
	}
	if len(b.Key) != size {
		return fmt.Errorf("invite wrap key is %d bytes, want %d for KEM %#04x", len(b.Key), size, b.KEM)
	}
	if b.Approval && (len(b.Keys) > 0 || b.Topic != nil) {
		return fmt.Errorf("an invite of a community that admits by approval gets no keys")
	}
	if b.Topic != nil && (len(b.Topic) == 0 || len(b.Topic) > MaxWrapSize) {
		return fmt.Errorf("malformed topic secret")
	}
	if len(b.Keys) > MaxWraps {
		return fmt.Errorf("%d keys, at most %d", len(b.Keys), MaxWraps)
	}
	for i, k := range b.Keys {
		if err := checkOptID("log", k.Log); err != nil {
			return fmt.Errorf("key %d: %w", i, err)
		}
		if len(k.Epoch) != EpochIDSize {
			return fmt.Errorf("key %d: epoch is %d bytes, want %d", i, len(k.Epoch), EpochIDSize)
		}
		if len(k.Secret) == 0 || len(k.Secret) > MaxWrapSize {
			return fmt.Errorf("key %d: malformed secret", i)
		}
	}
	return nil
}

// checkInviteKeys judges an invite-keys op: admins only, for an invite
// that stands; the first by the invite's maker, later ones to its key.
func (s *State) checkInviteKeys(o *Op, b *InviteKeysBody, role Role) (Role, error) {
	if role < RoleAdmin {
		if role == RoleNone {
			return RoleAdmin, unauthorized("not a member may not hand keys to an invite")
		}
		return RoleAdmin, unauthorized("a %s may not hand keys to an invite", role)
	}
	inv, ok := s.Invites[idOf(b.Invite)]
	switch {
	case !ok:
		return RoleAdmin, invalid("invite %x does not exist", b.Invite[:4])
	case inv.Revoked || inv.Lapsed:
		return RoleAdmin, invalid("invite %x no longer stands", b.Invite[:4])
	case inv.WrapKey == nil && o.Author != inv.By:
		return RoleAdmin, invalid("the first keys of invite %x are its maker's", b.Invite[:4])
	case inv.WrapKey != nil && (inv.WrapKEM != b.KEM || string(inv.WrapKey) != string(b.Key)):
		return RoleAdmin, invalid("keys of invite %x wrapped to another key than its own", b.Invite[:4])
	}
	return RoleAdmin, nil
}

// applyInviteKeys records the invite's wrap key (the first op's) and
// whether its joiners wait for approval.
func (s *State) applyInviteKeys(b *InviteKeysBody) {
	inv := s.ownInvite(idOf(b.Invite))
	if inv.WrapKey == nil {
		inv.WrapKEM, inv.WrapKey = b.KEM, b.Key
	}
	inv.Approval = b.Approval
}

// NewcomerLogs lists the logs a member who joined now could read, the
// control log first: those an invite's keys cover.
func (s *State) NewcomerLogs() []ID {
	out := []ID{ZeroID}
	for _, gid := range SortIDs(mapKeys(s.Groups)) {
		if g := s.Groups[gid]; g.Everyone() && !g.Suggested && !g.Private() {
			out = append(out, gid)
		}
	}
	return out
}

// LiveKeyedInvites lists the invites that stand, are not used up, have
// not expired by now (unix seconds), and have a wrap key: those a rotation
// of a newcomer log wraps its new epoch to.
func (s *State) LiveKeyedInvites(now int64) []*Invite {
	var out []*Invite
	for _, id := range SortIDs(mapKeys(s.Invites)) {
		inv := s.Invites[id]
		switch {
		case inv.WrapKey == nil, inv.Approval, inv.Revoked, inv.Lapsed,
			inv.Body.MaxUses != 0 && inv.Uses >= inv.Body.MaxUses,
			inv.Body.Expires != 0 && now > inv.Body.Expires:
			continue
		}
		out = append(out, inv)
	}
	return out
}

func mapKeys[V any](m map[ID]V) []ID {
	out := make([]ID, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
