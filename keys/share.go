package keys

import (
	"bytes"
	"context"
	"crypto/hmac"
	"fmt"
	"slices"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
)

// Shares at add time (crdt's RekeyShare). An admin who adds a member to a
// group (act's AddToGroup), or a peer directly to the community (act's
// AddMember), wraps in the same action every epoch it holds of the logs
// the added member may now read to the added member's prekey: one clear
// rekey op per epoch, Reason RekeyShare, wrapping to that member only.
// The member's node opens them as it opens a rotation's wraps
// (absorbWraps), from whoever holds the control log — a relay, which
// cannot read the add, sees the wraps and serves the member from then on
// — with the admin and every other member offline.
//
// Every epoch of the log is shared, not only the current one: the ops of
// a log are hash-linked, so one whose earlier ops stay closed accepts none
// after them. The community's history setting (HideHistory) is the
// view's to apply, as for a joiner handed the keys by a member
// (AnswerKeys).
//
// The prekey is the member's newest in the community; a peer added
// directly has published none there yet, so the newest it published in
// another community this node holds is used (a node has one prekey for
// all its communities).

// ShareBodies wraps each of epochs (held secrets of logs of community cid)
// to member k at prekey pk, one share body each, with the commitment
// checks gives for its epoch. An epoch without a commitment is skipped.
func ShareBodies(cid crdt.ID, k crdt.PublicKey, pk *crdt.Prekey, epochs []e2ee.EpochKey, checks map[crdt.EpochID][]byte, now int64) ([]*crdt.RekeyBody, error) {
	var out []*crdt.RekeyBody
	for _, e := range epochs {
		check := checks[e.ID]
		if check == nil {
			continue
		}
		w, err := e2ee.Wrap(e2ee.Suite(pk.KEM), pk.Key, e2ee.WrapInfo(cid, e.Log, e.ID, k), e.Secret)
		if err != nil {
			return nil, fmt.Errorf("wrap to %x: %w", k[:4], err)
		}
		b := &crdt.RekeyBody{Epoch: bytes.Clone(e.ID[:]), Part: 1, Parts: 1, Reason: crdt.RekeyShare, Time: now, Check: bytes.Clone(check),
			Wraps: []crdt.Wrap{{Member: bytes.Clone(k[:]), KEM: pk.KEM, Prekey: bytes.Clone(pk.Op[:8]), Secret: w}}}
		if !e.Log.IsZero() {
			b.Log = bytes.Clone(e.Log[:])
		}
		out = append(out, b)
	}
	return out, nil
}

// prekeyOf returns member k's newest prekey in community cid, or else the
// newest it published in another community this node holds.
func (m *Manager) prekeyOf(cid crdt.ID, k crdt.PublicKey) *crdt.Prekey {
	var own, best *crdt.Prekey
	for _, c := range m.cfg.Replica.Communities() {
		_ = m.cfg.Replica.View(c, func(x *crdt.Community) error {
			pk := x.State().Prekeys[k]
			switch {
			case pk == nil:
			case c == cid:
				own = pk
			case best == nil || pk.Time > best.Time:
				best = pk
			}
			return nil
		})
	}
	if own != nil {
		return own
	}
	return best
}

// Share wraps to member k of community cid every epoch of logs that this
// node holds and k may read but has no wrap of, in share ops (see above).
// An epoch whose rotation left k out on purpose (k was being removed) is
// never shared. A member with no prekey this node can see gets nothing
// (and it is no error): it asks a member for the keys (wire.KindKeys).
func (m *Manager) Share(ctx context.Context, cid crdt.ID, k crdt.PublicKey, logs []crdt.ID) error {
	pk := m.prekeyOf(cid, k)
	if pk == nil {
		m.log.Debug("no prekey to share keys to; the member asks a member", "community", cid.Short(), "member", fmt.Sprintf("%x", k[:4]))
		return nil
	}
	var epochs []e2ee.EpochKey
	checks := map[crdt.EpochID][]byte{}
	if err := m.cfg.Replica.View(cid, func(c *crdt.Community) error {
		st := c.State()
		for _, log := range logs {
			if !st.MayRead(k, log) || !st.MayRead(m.cfg.Self, log) {
				continue
			}
			for _, e := range m.ring.Epochs(cid, log) {
				se := st.Epochs[e.ID]
				if se == nil || !se.Complete() || c.LeftOut(se, k) {
					continue
				}
				if _, wrapped := se.Wraps[k]; wrapped {
					continue
				}
				epochs, checks[e.ID] = append(epochs, e), se.Check
			}
		}
		return nil
	}); err != nil {
		return err
	}
	bodies, err := ShareBodies(cid, k, pk, epochs, checks, m.cfg.Now().UnixMilli())
	if err != nil {
		return err
	}
	for _, b := range bodies {
		raw, err := crdt.EncodeBody(b)
		if err != nil {
			return err
		}
		if _, err := m.cfg.Author.Author(ctx, cid, crdt.ZeroID, crdt.KindRekey, raw); err != nil {
			return fmt.Errorf("share keys with %x: %w", k[:4], err)
		}
	}
	m.log.Info("shared keys with an added member", "community", cid.Short(), "member", fmt.Sprintf("%x", k[:4]), "epochs", len(bodies))
	return nil
}

// NoteParked opens, in a community this node does not hold yet (it was
// added directly and is pulling it), the epoch secrets that op, a clear
// rekey op its pull had to park, wraps to this node, and accepts what
// waited for them. The control log cannot be replayed before its first
// epoch is held, so the wraps a share or rotation made to this node are
// not in any state yet; without this it would need a member online to
// hand it the keys, where a relay holds everything it needs.
//
// Such an op cannot be judged yet (its author's rank is in ops still
// sealed), so a secret is kept only if it matches the op's own
// commitment, and the first secret kept for an epoch wins; a member that
// forged one is caught once the control log is read (dropForged), which
// the true secret of the control log's epochs, wrapped by the admin,
// allows. Ops of other kinds, and of communities held, are ignored: the
// wraps of those are read from the state (absorbWraps).
func (m *Manager) NoteParked(ctx context.Context, op *crdt.Op) {
	cid := op.CommunityID()
	if op.Kind != crdt.KindRekey || !op.Log.IsZero() || slices.Contains(m.cfg.Replica.Communities(), cid) {
		return
	}
	b, err := crdt.DecodeBody(op)
	if err != nil {
		return
	}
	rb := b.(*crdt.RekeyBody)
	self := m.cfg.Self
	i := slices.IndexFunc(rb.Wraps, func(w crdt.Wrap) bool { return crdt.PublicKey(w.Member) == self })
	id := crdt.EpochID(rb.Epoch)
	if i < 0 || m.ring.Has(id) {
		return
	}
	var log crdt.ID
	copy(log[:], rb.Log)
	w := rb.Wraps[i]
	secret, err := m.ring.UnwrapAny(e2ee.Suite(w.KEM), e2ee.WrapInfo(cid, log, id, self), w.Secret)
	if err != nil {
		m.log.Debug("a parked epoch secret wrapped to this node does not open", "community", cid.Short(), "epoch", id, "err", err)
		return
	}
	if !hmac.Equal(rb.Check, e2ee.EpochCheck(id, secret)) {
		m.log.Warn("a parked epoch secret does not match its commitment", "community", cid.Short(), "epoch", id, "author", fmt.Sprintf("%x", op.Author[:4]))
		return
	}
	if !m.ring.AddEpoch(e2ee.EpochKey{ID: id, Community: cid, Log: log, Secret: secret}) {
		return
	}
	if err := m.save(ctx); err != nil {
		m.log.Warn("save keys", "err", err)
		return
	}
	m.log.Info("opened an epoch wrapped to this node before holding the community", "community", cid.Short(), "epoch", id)
	m.unlock(ctx, []crdt.EpochID{id})
}
