package node

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
// overview is at the top of keys.go.

// Key rotation defaults.
const (
	DefaultRotateAfter    = 7 * 24 * time.Hour
	DefaultRotateEvery    = 2000
	DefaultPrekeyLifetime = 30 * 24 * time.Hour
	// healStep is how long each admin waits for those before it in the
	// turn order of a stale or expired epoch.
	healStep = 20 * time.Second
	// initialGrace delays giving a new log its first epoch: the node that
	// created the log normally does it at once, and a kick that sees the
	// log between its creation and its first rotation must not add another.
	initialGrace = 10 * time.Second
)

// wrapBudget bounds the wraps of one rekey op, under crdt.MaxBodySize
// (tests lower it to split small rotations into several ops).
var wrapBudget = 56 << 10

// wrapTarget is a reader of a log and its published prekey.
type wrapTarget struct {
	member crdt.PublicKey
	prekey *crdt.Prekey
}

// wrapTargets lists the readers of log in st who have a prekey, but
// exclude; the others ask a member for the key.
func wrapTargets(st *crdt.State, log crdt.ID, exclude *crdt.PublicKey) []wrapTarget {
	var out []wrapTarget
	for _, k := range st.Readers(log) {
		if pk := st.Prekeys[k]; pk != nil && (exclude == nil || k != *exclude) {
			out = append(out, wrapTarget{k, pk})
		}
	}
	return out
}

// rekeyBodies wraps secret to each target and splits the wraps into
// rekey bodies.
func rekeyBodies(targets []wrapTarget, cid, log crdt.ID, id crdt.EpochID, secret []byte, reason uint8, now int64) ([]*crdt.RekeyBody, error) {
	var wraps []crdt.Wrap
	for _, t := range targets {
		k, pk := t.member, t.prekey
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
		if size+ws > wrapBudget && len(cur.Wraps) > 0 {
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

// rotate gives log of community cid a fresh epoch, wrapped to every reader
// but exclude (a member about to be removed), in as many rekey ops as it
// takes. The secret is in the keyring before the first op is written.
func (n *Node) rotate(ctx context.Context, cid, log crdt.ID, reason uint8, exclude *crdt.PublicKey) error {
	id, secret := e2ee.NewEpoch()
	return n.writeEpoch(ctx, cid, log, id, secret, reason, exclude)
}

// writeEpoch writes the rekey ops of epoch id of log.
func (n *Node) writeEpoch(ctx context.Context, cid, log crdt.ID, id crdt.EpochID, secret []byte, reason uint8, exclude *crdt.PublicKey) error {
	n.rotateMu.Lock()
	defer n.rotateMu.Unlock()
	var targets []wrapTarget
	if err := n.rep.View(cid, func(c *crdt.Community) error {
		targets = wrapTargets(c.State(), log, exclude)
		return nil
	}); err != nil {
		return err
	}
	// Wrapping takes up to a second for thousands of members: not under
	// the replica's lock.
	bodies, err := rekeyBodies(targets, cid, log, id, secret, reason, n.millis())
	if err != nil {
		return err
	}
	n.keys.AddEpoch(e2ee.EpochKey{ID: id, Community: cid, Log: log, Secret: secret})
	if err := n.saveKeys(ctx); err != nil {
		return err
	}
	for _, b := range bodies {
		raw, err := crdt.EncodeBody(b)
		if err != nil {
			return err
		}
		if _, err := n.author(ctx, cid, crdt.ZeroID, crdt.KindRekey, raw); err != nil {
			return fmt.Errorf("rotate keys (part %d of %d): %w", b.Part, b.Parts, err)
		}
	}
	n.log.Info("rotated keys", "community", cid.Short(), "log", log.Short(), "epoch", id, "parts", len(bodies), "reason", reason)
	return nil
}

// publishPrekey writes this node's newest prekey to community cid's
// control log unless it is there already.
func (n *Node) publishPrekey(ctx context.Context, cid crdt.ID) error {
	pk := n.keys.Prekey()
	self, have := n.selfKey(), false
	if err := n.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		if st.Role(self) == crdt.RoleNone {
			have = true // not a member (yet): nothing to publish
		} else if p := st.Prekeys[self]; p != nil && bytes.Equal(p.Key, pk.Public) {
			have = true
		}
		return nil
	}); err != nil || have {
		return err
	}
	raw, err := crdt.EncodeBody(&crdt.PrekeyBody{KEM: uint16(pk.Suite), Key: pk.Public, Time: n.millis()})
	if err != nil {
		return err
	}
	_, err = n.author(ctx, cid, crdt.ZeroID, crdt.KindPrekey, raw)
	return err
}

// RotatePrekey draws a new prekey and publishes it in every community;
// later rotations wrap to it. Older prekeys are kept to open earlier wraps.
func (n *Node) RotatePrekey(ctx context.Context) error {
	if err := n.newPrekey(ctx); err != nil {
		return err
	}
	var errs []error
	for _, cid := range n.rep.Communities() {
		errs = append(errs, n.publishPrekey(ctx, cid))
	}
	return errors.Join(errs...)
}

// maybeRotatePrekey draws and publishes a new prekey when the newest is
// older than PrekeyLifetime.
func (n *Node) maybeRotatePrekey() {
	if p := n.keys.Prekey(); p != nil && n.now().Sub(time.UnixMilli(p.Created)) < n.cfg.PrekeyLifetime {
		return
	}
	if err := n.RotatePrekey(n.ctx); err != nil {
		n.log.Warn("rotate prekey", "err", err)
	}
}

// keyDuty is a rotation an admin owes a log, and when its turn comes.
type keyDuty struct {
	log    crdt.ID
	reason uint8
	turn   int // this node's place among the admins who may do it
}

// keyDuties lists the logs of community cid whose keys this node should
// renew: a log with no epoch, a stale epoch, an old or long epoch.
func (n *Node) keyDuties(cid crdt.ID) []keyDuty {
	self := n.selfKey()
	now := n.now()
	var out []keyDuty
	_ = n.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		if st.Deactivated || st.Role(self) == crdt.RoleNone {
			return nil
		}
		logs := []crdt.ID{crdt.ZeroID}
		for gid, g := range st.Groups {
			if !g.Suggested {
				logs = append(logs, gid)
			}
		}
		slices.SortFunc(logs, crdt.ID.Compare)
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
			case now.Sub(time.UnixMilli(e.Time)) > n.cfg.RotateAfter || n.epochOps(e.ID) >= n.cfg.RotateEvery:
				reason = crdt.RekeyTimer
			default:
				continue
			}
			turn := adminTurn(st, log, e, self)
			if turn < 0 {
				continue
			}
			out = append(out, keyDuty{log: log, reason: reason, turn: turn})
		}
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

func (n *Node) epochOps(e crdt.EpochID) int {
	n.keysMu.Lock()
	defer n.keysMu.Unlock()
	return n.epochCount[e]
}

// adminTurn is self's place in the deterministic order in which admins
// renew log's epoch e (the group's creator first for a group with no
// epoch), or -1 if self may not. Each waits turn×healStep for those before
// it, so the first online admin does it and concurrent rotations are rare.
func adminTurn(st *crdt.State, log crdt.ID, e *crdt.Epoch, self crdt.PublicKey) int {
	var seed []byte
	if e != nil {
		seed = e.ID[:]
	}
	var admins []crdt.PublicKey
	for k, m := range st.Members {
		if m.Role >= crdt.RoleAdmin && st.MayRead(k, log) {
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

// maintainKeys publishes this node's prekey in community cid and does the
// rotations whose turn has come. Called after control ops arrive and on
// every sync tick.
func (n *Node) maintainKeys(ctx context.Context, cid crdt.ID) {
	if err := n.publishPrekey(ctx, cid); err != nil && !errors.Is(err, replica.ErrUnknownCommunity) {
		n.log.Debug("publish prekey", "community", cid.Short(), "err", err)
	}
	now := n.now()
	duties := n.keyDuties(cid)
	n.keysMu.Lock()
	for k := range n.dueAt { // a duty someone else did: its turn order starts again
		if k.community == cid && !slices.ContainsFunc(duties, func(d keyDuty) bool { return d.log == k.log }) {
			delete(n.dueAt, k)
		}
	}
	n.keysMu.Unlock()
	for _, d := range duties {
		key := dutyKey{cid, d.log}
		n.keysMu.Lock()
		due, seen := n.dueAt[key]
		if !seen {
			due = now.Add(time.Duration(d.turn) * healStep)
			if d.reason == crdt.RekeyInitial {
				due = due.Add(initialGrace)
			}
			n.dueAt[key] = due
		}
		n.keysMu.Unlock()
		if now.Before(due) {
			continue
		}
		if err := n.rotate(ctx, cid, d.log, d.reason, nil); err != nil {
			n.log.Warn("rotate keys", "community", cid.Short(), "log", d.log.Short(), "err", err)
			continue
		}
		n.keysMu.Lock()
		delete(n.dueAt, key)
		n.keysMu.Unlock()
	}
}

type dutyKey struct{ community, log crdt.ID }
