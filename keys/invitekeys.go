package keys

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"errors"
	"fmt"
	"slices"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
)

// Invite keys (crdt's invitekeys.go has the design): the epoch secrets a
// newcomer may read, wrapped to a key derived from an invite link's
// secret, so that a joiner admitted by a relay with no member online
// reads the history the link gives.

// ErrNoInviteKeys: the ops a relay handed for an invite hold no epoch
// secret this node could open with the link's secret.
var ErrNoInviteKeys = errors.New("no epoch secret for this invite opens")

// inviteRecipient is the invite key as WrapInfo's recipient.
func inviteRecipient(key []byte) crdt.PublicKey {
	var k crdt.PublicKey
	copy(k[:], key)
	return k
}

// wrapToInvite wraps secrets (epoch id → secret, with their logs) to the
// invite inv of community cid, whose wrap key is (kem, key), and splits
// the wraps into invite-keys bodies carrying at most budget bytes of
// wraps each.
func wrapToInvite(cid crdt.ID, inv *crdt.Invite, kem uint16, key []byte, epochs []e2ee.EpochKey, now int64, budget int) ([]*crdt.InviteKeysBody, error) {
	iid := inv.ID
	var bodies []*crdt.InviteKeysBody
	cur, size := &crdt.InviteKeysBody{}, 0
	for _, e := range epochs {
		w, err := e2ee.Wrap(e2ee.Suite(kem), key, e2ee.WrapInfo(cid, e.Log, e.ID, inviteRecipient(inv.Body.Key)), e.Secret)
		if err != nil {
			return nil, fmt.Errorf("wrap to invite %s: %w", iid.Short(), err)
		}
		k := crdt.InviteKey{Epoch: bytes.Clone(e.ID[:]), Secret: w}
		if !e.Log.IsZero() {
			k.Log = bytes.Clone(e.Log[:])
		}
		ws := len(w) + 64
		if (size+ws > budget || len(cur.Keys) == crdt.MaxWraps) && len(cur.Keys) > 0 {
			bodies, cur, size = append(bodies, cur), &crdt.InviteKeysBody{}, 0
		}
		cur.Keys, size = append(cur.Keys, k), size+ws
	}
	bodies = append(bodies, cur)
	for _, b := range bodies {
		b.Invite, b.KEM, b.Key, b.Time = bytes.Clone(iid[:]), kem, key, now
	}
	return bodies, nil
}

// KeyInvite hands invite inv of community cid, which this node just made
// with link secret seed, the epoch secrets a newcomer may read that this
// node holds (every epoch of the control log and of the groups every
// member reads), in invite-keys ops, the first of which also wraps the
// community's topic secret, if this node holds it. In a community that
// admits by approval it writes one op with Approval set and no secret.
func (m *Manager) KeyInvite(ctx context.Context, cid, inv crdt.ID, seed []byte) error {
	pk, err := e2ee.InviteKey(m.cfg.Suite, seed)
	if err != nil {
		return err
	}
	var invite *crdt.Invite
	var logs []crdt.ID
	approval := false
	if err := m.cfg.Replica.View(cid, func(c *crdt.Community) error {
		st := c.State()
		if i := st.Invites[inv]; i != nil {
			cp := *i
			invite = &cp
		}
		logs, approval = st.NewcomerLogs(), st.JoinPolicy == crdt.JoinByApproval
		return nil
	}); err != nil {
		return err
	}
	if invite == nil {
		return fmt.Errorf("keys for invite %s: no such invite", inv.Short())
	}
	if !bytes.Equal(ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey), invite.Body.Key) {
		return fmt.Errorf("keys for invite %s: the secret is not the invite's", inv.Short())
	}
	now := m.cfg.Now().UnixMilli()
	bodies := []*crdt.InviteKeysBody{{Invite: bytes.Clone(inv[:]), KEM: uint16(pk.Suite), Key: pk.Public, Approval: true, Time: now}}
	if !approval {
		var epochs []e2ee.EpochKey
		for _, log := range logs {
			epochs = append(epochs, m.ring.Epochs(cid, log)...)
		}
		var topic []byte
		if s, ok := m.Secret(cid); ok {
			if topic, err = e2ee.Wrap(pk.Suite, pk.Public, e2ee.TopicWrapInfo(cid, inviteRecipient(invite.Body.Key)), s); err != nil {
				return fmt.Errorf("wrap the topic secret to invite %s: %w", inv.Short(), err)
			}
		}
		if bodies, err = wrapToInvite(cid, invite, uint16(pk.Suite), pk.Public, epochs, now, int(m.budget.Load())-len(topic)); err != nil {
			return err
		}
		bodies[0].Topic = topic
	}
	for _, b := range bodies {
		raw, err := crdt.EncodeBody(b)
		if err != nil {
			return err
		}
		if _, err := m.cfg.Author.Author(ctx, cid, crdt.ZeroID, crdt.KindInviteKeys, raw); err != nil {
			return fmt.Errorf("keys for invite %s: %w", inv.Short(), err)
		}
	}
	m.log.Info("wrapped the history to an invite", "community", cid.Short(), "invite", inv.Short(), "ops", len(bodies), "approval", approval)
	return nil
}

// wrapToLiveInvites wraps epoch id of log, whose secret is secret, to
// every live invite of community cid that has a wrap key, when log is one
// a newcomer reads: one invite-keys op per invite. A revoked, lapsed,
// expired or used-up invite gets nothing, nor any in a community that now
// admits by approval.
func (m *Manager) wrapToLiveInvites(ctx context.Context, cid, log crdt.ID, id crdt.EpochID, secret []byte) error {
	var invites []*crdt.Invite
	if err := m.cfg.Replica.View(cid, func(c *crdt.Community) error {
		st := c.State()
		if st.JoinPolicy == crdt.JoinByApproval {
			return nil // newcomers wait for an admin, who hands them keys
		}
		for _, l := range st.NewcomerLogs() {
			if l == log {
				for _, inv := range st.LiveKeyedInvites(m.cfg.Now().Unix()) {
					cp := *inv
					invites = append(invites, &cp)
				}
				break
			}
		}
		return nil
	}); err != nil {
		return err
	}
	now := m.cfg.Now().UnixMilli()
	var errs []error
	for _, inv := range invites {
		bodies, err := wrapToInvite(cid, inv, inv.WrapKEM, inv.WrapKey, []e2ee.EpochKey{{ID: id, Community: cid, Log: log, Secret: secret}}, now, int(m.budget.Load()))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, b := range bodies {
			raw, err := crdt.EncodeBody(b)
			if err == nil {
				_, err = m.cfg.Author.Author(ctx, cid, crdt.ZeroID, crdt.KindInviteKeys, raw)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("wrap a new epoch to invite %s: %w", inv.ID.Short(), err))
			}
		}
	}
	return errors.Join(errs...)
}

// OpenInviteKeys opens, with seed (the secret of the link this node
// joined by), the epoch secrets that raws, invite-keys ops of invite op
// invite as a relay handed them, wrap to the invite, and keeps them. It
// reports how many new ones it kept. An op that does not verify, is of
// another kind, community or invite, or a secret that does not open, is
// skipped. The ops of the invite's maker are opened first: the relay
// cannot judge roles, so it may hand an op a plain member forged (crdt
// refuses it, but the joiner cannot judge before it reads the control
// log); what the maker wrapped, which opens the control log, wins, and a
// forged later epoch fails its commitment once its rekey op is read
// (dropForged). It fails with ErrNoInviteKeys when nothing opens and no
// epoch they give is held already.
//
// It also takes the community's topic secret from the first of the
// maker's ops that wraps one and opens (openTopic), so the node follows
// the community's topics with no member online.
func (m *Manager) OpenInviteKeys(ctx context.Context, invite *crdt.Op, seed []byte, raws [][]byte) (int, error) {
	if len(raws) > MaxInviteKeyOps {
		return 0, fmt.Errorf("%d invite-keys ops, at most %d", len(raws), MaxInviteKeyOps)
	}
	cid, inv := invite.CommunityID(), invite.ID()
	var ops []*crdt.Op
	var bad error
	for _, raw := range raws {
		op, err := crdt.DecodeOp(raw)
		if err != nil || op.Kind != crdt.KindInviteKeys || op.CommunityID() != cid {
			bad = fmt.Errorf("an op handed for the invite is not one of its keys ops: %v", err)
			continue
		}
		ops = append(ops, op)
	}
	slices.SortStableFunc(ops, func(a, b *crdt.Op) int {
		return cmp.Compare(b2i(a.Author != invite.Author), b2i(b.Author != invite.Author))
	})
	recipient := inviteRecipient(ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey))
	keys := map[uint16]*e2ee.Prekey{}
	checks := m.epochChecks(cid)
	_, topicHeld := m.Secret(cid)
	var got []crdt.EpochID
	held := 0 // epochs this node has already: a join tried again
	for _, op := range ops {
		b, err := crdt.DecodeBody(op)
		if err != nil {
			bad = err
			continue
		}
		body := b.(*crdt.InviteKeysBody)
		if crdt.ID(body.Invite) != inv {
			bad = fmt.Errorf("keys op %s is of another invite", op.ID().Short())
			continue
		}
		pk := keys[body.KEM]
		if pk == nil {
			if pk, err = e2ee.InviteKey(e2ee.Suite(body.KEM), seed); err != nil {
				bad = err
				continue
			}
			keys[body.KEM] = pk
		}
		if !topicHeld && body.Topic != nil && op.Author == invite.Author {
			topicHeld = m.openTopic(ctx, cid, pk, recipient, body.Topic)
		}
		for _, k := range body.Keys {
			var log crdt.ID
			copy(log[:], k.Log)
			id := crdt.EpochID(k.Epoch)
			if m.ring.Has(id) {
				held++
				continue
			}
			secret, err := pk.Unwrap(e2ee.WrapInfo(cid, log, id, recipient), k.Secret)
			if err != nil {
				bad = fmt.Errorf("keys op %s: %w", op.ID().Short(), err)
				continue
			}
			if known, ok := checks[id]; ok && !hmac.Equal(known, e2ee.EpochCheck(id, secret)) {
				bad = fmt.Errorf("keys op %s holds a forged secret for epoch %s", op.ID().Short(), id)
				continue
			}
			if m.ring.AddEpoch(e2ee.EpochKey{ID: id, Community: cid, Log: log, Secret: secret}) {
				got = append(got, id)
			}
		}
	}
	if len(got) == 0 {
		if held > 0 {
			// Opened by an earlier try of this join: what the link gives
			// is here, and the control log, once pulled, says whether
			// the join stands (a revoked link, for one).
			return 0, nil
		}
		if bad != nil {
			return 0, fmt.Errorf("%w: %w", ErrNoInviteKeys, bad)
		}
		return 0, ErrNoInviteKeys
	}
	if err := m.save(ctx); err != nil {
		return 0, err
	}
	m.log.Info("opened the history an invite gives", "community", cid.Short(), "epochs", len(got))
	m.unlock(ctx, got)
	return len(got), nil
}

// openTopic opens topic, community cid's topic secret wrapped to an
// invite whose wrap key is pk, and keeps it; it reports whether it did.
// Only the invite's maker's ops are opened: the relay cannot judge roles,
// and a forged secret, kept first, would keep the node off the real
// topics. The Listener may fail to join the topics while the community is
// not pulled yet: it joins them when the pull brings the community.
func (m *Manager) openTopic(ctx context.Context, cid crdt.ID, pk *e2ee.Prekey, recipient crdt.PublicKey, topic []byte) bool {
	s, err := pk.Unwrap(e2ee.TopicWrapInfo(cid, recipient), topic)
	if err != nil {
		m.log.Warn("the invite's topic secret does not open", "community", cid.Short(), "err", err)
		return false
	}
	if err := m.SetSecret(ctx, cid, s); err != nil {
		if _, ok := m.Secret(cid); !ok {
			m.log.Warn("could not keep the invite's topic secret", "community", cid.Short(), "err", err)
			return false
		}
		m.log.Debug("topics wait for the community's pull", "community", cid.Short(), "err", err)
	}
	return true
}

// b2i is 1 for true, 0 for false.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
