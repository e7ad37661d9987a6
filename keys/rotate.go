package keys

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"lukechampine.com/blake3"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/sync/replica"
)

// Key rotation: rekey ops, prekey publication, and the duties (first
// epochs, healing, timer and count rotations) admins take turns at. The
// overview is in the package comment.

// Target is a reader of a log and its published prekey.
type Target struct {
	Member crdt.PublicKey
	Prekey *crdt.Prekey
}

// Targets lists the readers of log in st who have a prekey, but exclude;
// the others ask a member for the key.
func Targets(st *crdt.State, log crdt.ID, exclude *crdt.PublicKey) []Target {
	var out []Target
	for _, k := range st.Readers(log) {
		if pk := st.Prekeys[k]; pk != nil && (exclude == nil || k != *exclude) {
			out = append(out, Target{k, pk})
		}
	}
	return out
}

// RekeyBodies wraps secret, epoch id of log in community cid, to each
// target and splits the wraps into rekey bodies carrying at most budget
// bytes of wraps each (one wrap at least).
func RekeyBodies(targets []Target, cid, log crdt.ID, id crdt.EpochID, secret []byte, reason uint8, now int64, budget int) ([]*crdt.RekeyBody, error) {
	var wraps []crdt.Wrap
	for _, t := range targets {
		k, pk := t.Member, t.Prekey
		w, err := e2ee.Wrap(e2ee.Suite(pk.KEM), pk.Key, e2ee.WrapInfo(cid, log, id, k), secret)
		if err != nil {
			return nil, fmt.Errorf("wrap to %x: %w", k[:4], err)
		}
		wraps = append(wraps, crdt.Wrap{Member: bytes.Clone(k[:]), KEM: pk.KEM, Prekey: bytes.Clone(pk.Op[:8]), Secret: w})
	}
	var bodies []*crdt.RekeyBody
	cur, size := &crdt.RekeyBody{}, 0
	for _, w := range wraps {
		ws := len(w.Secret) + 64
		if size+ws > budget && len(cur.Wraps) > 0 {
			bodies, cur, size = append(bodies, cur), &crdt.RekeyBody{}, 0
		}
		cur.Wraps, size = append(cur.Wraps, w), size+ws
	}
	bodies = append(bodies, cur)
	if len(bodies) > crdt.MaxRekeyParts {
		return nil, fmt.Errorf("a rotation for %d members needs %d parts, limit %d", len(wraps), len(bodies), crdt.MaxRekeyParts)
	}
	check := e2ee.EpochCheck(id, secret)
	for i, b := range bodies {
		b.Epoch, b.Part, b.Parts, b.Reason, b.Time, b.Check = bytes.Clone(id[:]), uint16(i+1), uint16(len(bodies)), reason, now, check
		if !log.IsZero() {
			b.Log = bytes.Clone(log[:])
		}
	}
	return bodies, nil
}

// Rotate gives log of community cid a fresh epoch, wrapped to every reader
// but exclude (a member about to be removed), in as many rekey ops as it
// takes. The secret is in the keyring before the first op is written.
func (m *Manager) Rotate(ctx context.Context, cid, log crdt.ID, reason uint8, exclude *crdt.PublicKey) error {
	id, secret := e2ee.NewEpoch()
	return m.WriteEpoch(ctx, cid, log, id, secret, reason, exclude)
}

// WriteEpoch writes the rekey ops of epoch id of log, whose secret is
// secret (Rotate draws one; a founder's first control epoch comes from
// SealGenesis).
func (m *Manager) WriteEpoch(ctx context.Context, cid, log crdt.ID, id crdt.EpochID, secret []byte, reason uint8, exclude *crdt.PublicKey) error {
	m.rotateMu.Lock()
	defer m.rotateMu.Unlock()
	var targets []Target
	if err := m.cfg.Replica.View(cid, func(c *crdt.Community) error {
		targets = Targets(c.State(), log, exclude)
		return nil
	}); err != nil {
		return err
	}
	// Wrapping takes up to a second for thousands of members: not under
	// the replica's lock.
	bodies, err := RekeyBodies(targets, cid, log, id, secret, reason, m.cfg.Now().UnixMilli(), int(m.budget.Load()))
	if err != nil {
		return err
	}
	m.ring.AddEpoch(e2ee.EpochKey{ID: id, Community: cid, Log: log, Secret: secret})
	if err := m.save(ctx); err != nil {
		return err
	}
	for _, b := range bodies {
		raw, err := crdt.EncodeBody(b)
		if err != nil {
			return err
		}
		if _, err := m.cfg.Author.Author(ctx, cid, crdt.ZeroID, crdt.KindRekey, raw); err != nil {
			return fmt.Errorf("rotate keys (part %d of %d): %w", b.Part, b.Parts, err)
		}
	}
	// Joiners by a live link get the new epoch too, with no member online.
	if err := m.wrapToLiveInvites(ctx, cid, log, id, secret); err != nil {
		m.log.Warn("wrap a new epoch to live invites", "community", cid.Short(), "log", log.Short(), "err", err)
	}
	m.log.Info("rotated keys", "community", cid.Short(), "log", log.Short(), "epoch", id, "parts", len(bodies), "reason", reason)
	return nil
}

// published reports whether prekey key of self needs no publishing in st:
// it is there already, or self is not a member (yet).
func published(st *crdt.State, self crdt.PublicKey, key []byte) bool {
	if st.Role(self) == crdt.RoleNone {
		return true
	}
	p := st.Prekeys[self]
	return p != nil && bytes.Equal(p.Key, key)
}

// PublishPrekey writes this node's newest prekey to community cid's
// control log unless it is there already.
func (m *Manager) PublishPrekey(ctx context.Context, cid crdt.ID) error {
	pk := m.ring.Prekey()
	have := false
	if err := m.cfg.Replica.View(cid, func(c *crdt.Community) error {
		have = published(c.State(), m.cfg.Self, pk.Public)
		return nil
	}); err != nil || have {
		return err
	}
	raw, err := crdt.EncodeBody(&crdt.PrekeyBody{KEM: uint16(pk.Suite), Key: pk.Public, Time: m.cfg.Now().UnixMilli()})
	if err != nil {
		return err
	}
	_, err = m.cfg.Author.Author(ctx, cid, crdt.ZeroID, crdt.KindPrekey, raw)
	return err
}

// RotatePrekey draws a new prekey and publishes it in every community;
// later rotations wrap to it. Older prekeys are kept to open earlier wraps.
func (m *Manager) RotatePrekey(ctx context.Context) error {
	if err := m.newPrekey(ctx); err != nil {
		return err
	}
	var errs []error
	for _, cid := range m.cfg.Replica.Communities() {
		errs = append(errs, m.PublishPrekey(ctx, cid))
	}
	return errors.Join(errs...)
}

// maybeRotatePrekey draws and publishes a new prekey when the newest is
// older than PrekeyLifetime.
func (m *Manager) maybeRotatePrekey() {
	if p := m.ring.Prekey(); p != nil && m.cfg.Now().Sub(time.UnixMilli(p.Created)) < m.cfg.PrekeyLifetime {
		return
	}
	if err := m.RotatePrekey(m.ctx); err != nil {
		m.log.Warn("rotate prekey", "err", err)
	}
}

// duty is a rotation an admin owes a log, and when its turn comes.
type duty struct {
	log    crdt.ID
	reason uint8
	turn   int // this node's place among the admins who may do it
}

// policy is what the rotation policy weighs besides the state.
type policy struct {
	self        crdt.PublicKey
	now         time.Time
	rotateAfter time.Duration
	rotateEvery int
	opsIn       func(crdt.EpochID) int // ops sealed under an epoch so far
}

// duties lists the logs of st whose keys self should renew, by log: a log
// with no epoch, a stale epoch, an old or long epoch.
func duties(st *crdt.State, p policy) []duty {
	if st.Deactivated || st.Role(p.self) == crdt.RoleNone {
		return nil
	}
	logs := []crdt.ID{crdt.ZeroID}
	for gid, g := range st.Groups {
		if !g.Suggested {
			logs = append(logs, gid)
		}
	}
	slices.SortFunc(logs, crdt.ID.Compare)
	var out []duty
	for _, log := range logs {
		e := st.Current[log]
		var reason uint8
		switch {
		case e == nil:
			if inProgress(st, log) {
				continue
			}
			reason = crdt.RekeyInitial
		case st.Stale(log):
			reason = crdt.RekeyHeal
		case p.now.Sub(time.UnixMilli(e.Time)) > p.rotateAfter || p.opsIn(e.ID) >= p.rotateEvery:
			reason = crdt.RekeyTimer
		default:
			continue
		}
		turn := AdminTurn(st, log, e, p.self)
		if turn < 0 {
			continue
		}
		out = append(out, duty{log: log, reason: reason, turn: turn})
	}
	return out
}

// keyDuties lists the logs of community cid whose keys this node should
// renew.
func (m *Manager) keyDuties(cid crdt.ID) []duty {
	p := policy{self: m.cfg.Self, now: m.cfg.Now(), rotateAfter: m.cfg.RotateAfter, rotateEvery: m.cfg.RotateEvery, opsIn: m.epochOps}
	var out []duty
	_ = m.cfg.Replica.View(cid, func(c *crdt.Community) error {
		out = duties(c.State(), p)
		return nil
	})
	return out
}

// inProgress reports whether a rotation of log has started but not ended.
func inProgress(st *crdt.State, log crdt.ID) bool {
	for _, e := range st.Epochs {
		if e.Log == log && !e.Complete() {
			return true
		}
	}
	return false
}

// AdminTurn is self's place in the deterministic order in which admins
// (for a private conversation: its participants) renew log's epoch e (the group's creator first for a group with no
// epoch), or -1 if self may not. Each waits turn×HealStep for those before
// it, so the first online admin does it and concurrent rotations are rare.
func AdminTurn(st *crdt.State, log crdt.ID, e *crdt.Epoch, self crdt.PublicKey) int {
	var seed []byte
	if e != nil {
		seed = e.ID[:]
	}
	// A private conversation's keys are renewed by its participants, admins
	// or not (crdt lets nobody else); other logs by the admins who read them.
	private := st.Groups[log] != nil && st.Groups[log].Private()
	var admins []crdt.PublicKey
	for k, m := range st.Members {
		if st.MayRead(k, log) && (private && st.MayRotate(k, log) || !private && m.Role >= crdt.RoleAdmin) {
			admins = append(admins, k)
		}
	}
	rank := func(k crdt.PublicKey) [32]byte {
		return blake3.Sum256(append(append(slices.Clone(seed), log[:]...), k[:]...))
	}
	slices.SortFunc(admins, func(a, b crdt.PublicKey) int { ra, rb := rank(a), rank(b); return bytes.Compare(ra[:], rb[:]) })
	if g := st.Groups[log]; g != nil && e == nil && g.Creator == self && st.Role(self) < crdt.RoleAdmin {
		return 0
	}
	return slices.Index(admins, self)
}

// maintain publishes this node's prekey in community cid and does the
// rotations whose turn has come. Kick runs it after control ops arrive and
// on every sync tick.
func (m *Manager) maintain(ctx context.Context, cid crdt.ID) {
	if err := m.PublishPrekey(ctx, cid); err != nil && !errors.Is(err, replica.ErrUnknownCommunity) {
		m.log.Debug("publish prekey", "community", cid.Short(), "err", err)
	}
	now := m.cfg.Now()
	duties := m.keyDuties(cid)
	m.mu.Lock()
	for k := range m.dueAt { // a duty someone else did: its turn order starts again
		if k.community == cid && !slices.ContainsFunc(duties, func(d duty) bool { return d.log == k.log }) {
			delete(m.dueAt, k)
		}
	}
	m.mu.Unlock()
	for _, d := range duties {
		key := dutyKey{cid, d.log}
		m.mu.Lock()
		due, seen := m.dueAt[key]
		if !seen {
			due = now.Add(time.Duration(d.turn) * HealStep)
			if d.reason == crdt.RekeyInitial {
				due = due.Add(InitialGrace)
			}
			m.dueAt[key] = due
		}
		m.mu.Unlock()
		if now.Before(due) {
			continue
		}
		if err := m.Rotate(ctx, cid, d.log, d.reason, nil); err != nil {
			m.log.Warn("rotate keys", "community", cid.Short(), "log", d.log.Short(), "err", err)
			continue
		}
		m.mu.Lock()
		delete(m.dueAt, key)
		m.mu.Unlock()
	}
}

type dutyKey struct{ community, log crdt.ID }
