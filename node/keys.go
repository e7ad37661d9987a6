package node

import (
	"bytes"
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"lukechampine.com/blake3"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// End-to-end encryption, the node's part (the primitives are in e2ee).
//
//   - Keys live in a keyring kept in the database (meta "e2ee/keyring"),
//     which is encrypted at rest: this node's prekeys, the epoch secrets it
//     may read, its sending counters.
//   - Every member publishes a prekey (a clear control op) and a new one
//     every PrekeyLifetime; `RotatePrekey` does it on demand.
//   - Each log (the control log, the announcement group, every group) has
//     epochs; a rotation is a run of rekey ops by one admin wrapping a fresh
//     secret to every reader with a prekey. Removing a member rotates every
//     log it could read, before the removal op, which cites the rotation:
//     nobody holds the removal without the new keys. Leaving, losing a
//     rotation, or concurrent removals (each rotation keeps the other's
//     target) leave a log "stale": its epoch was wrapped to someone who may
//     no longer read it. The first online admin (admins take turns by a
//     deterministic order per epoch) then rotates afresh; old keys are
//     never combined. Epochs also end after RotateAfter or RotateEvery
//     messages.
//   - A member without a prekey in the rotation (a joiner, a member whose
//     prekey had not arrived) asks any member (wire Keys), so joining needs
//     no admin online.
//   - While a log is stale nothing is sealed under its old epoch: writes
//     fail with ErrKeysRenewing until an admin rotates.

// Errors of the key layer.
var (
	// ErrNoKeys: this node does not hold the keys of the group yet.
	ErrNoKeys = errors.New("this device has not received the group's encryption keys yet; it asks members when it syncs")
	// ErrKeysRenewing: the group's keys must be renewed after a removal
	// before anything more is written; an admin does it when online.
	ErrKeysRenewing = errors.New("the group's keys are being renewed after someone left; try again when an admin is online")
)

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

const keyringMeta = "e2ee/keyring"

// loadKeys reads the keyring, drawing a prekey on first use.
func (n *Node) loadKeys(ctx context.Context) error {
	raw, err := n.store.GetMeta(ctx, keyringMeta)
	switch {
	case errors.Is(err, store.ErrNotFound):
		n.keys = e2ee.NewKeyring()
	case err != nil:
		return err
	default:
		if n.keys, err = e2ee.LoadKeyring(raw); err != nil {
			return err
		}
	}
	if p := n.keys.Prekey(); p == nil || p.Suite != n.cfg.KeySuite {
		return n.newPrekey(ctx)
	}
	return nil
}

func (n *Node) newPrekey(ctx context.Context) error {
	p, err := e2ee.NewPrekey(n.cfg.KeySuite, n.millis())
	if err != nil {
		return err
	}
	n.keys.AddPrekey(p)
	return n.saveKeys(ctx)
}

// saveKeys writes the keyring. Snapshot and write happen under one lock:
// an older snapshot written after a newer one would lose an epoch or set
// a sending counter back, and a counter set back reuses message keys.
func (n *Node) saveKeys(ctx context.Context) error {
	n.keysMu.Lock()
	defer n.keysMu.Unlock()
	raw, err := n.keys.Marshal()
	if err != nil {
		return err
	}
	return n.store.PutMeta(ctx, keyringMeta, raw)
}

// Seal implements replica.Sealer: o is sealed under its log's current
// epoch. It runs under the replica's lock and must not call into it.
func (n *Node) Seal(c *crdt.Community, o *crdt.Op) error {
	st := c.State()
	if st.Role(o.Author) == crdt.RoleNone {
		return fmt.Errorf("%w: not a member of this community (any more)", crdt.ErrUnauthorized)
	}
	e := st.Current[o.Log]
	if e == nil {
		return fmt.Errorf("%w (the group has no keys yet)", ErrNoKeys)
	}
	if !n.keys.Has(e.ID) {
		return ErrNoKeys
	}
	if o.Kind == crdt.KindRemove && e.Reason == crdt.RekeyRemoval && e.By == o.Author {
		// The removal follows its own rotation and is sealed under the
		// epoch before it, so the removed member learns it was removed;
		// it reads nothing written after.
		if all := st.EpochsOf(crdt.ZeroID); len(all) > 1 && n.keys.Has(all[len(all)-2].ID) {
			e = all[len(all)-2]
		}
	} else if st.Stale(o.Log) {
		return ErrKeysRenewing
	}
	if err := n.keys.Seal(o, e.ID); err != nil {
		return err
	}
	if err := n.saveKeys(n.ctx); err != nil { // the sending counter must never go back
		return fmt.Errorf("save keys: %w", err)
	}
	n.counted(e.ID)
	return nil
}

// Open implements replica.Sealer.
func (n *Node) Open(o *crdt.Op) ([]byte, error) {
	plain, err := n.keys.Open(o)
	if err == nil {
		if s, perr := crdt.ParseSealed(o); perr == nil {
			n.counted(s.EpochOf())
		}
	}
	return plain, err
}

// counted notes one more op sealed under epoch e (for rotation by count).
func (n *Node) counted(e crdt.EpochID) {
	n.keysMu.Lock()
	n.epochCount[e]++
	n.keysMu.Unlock()
}

// unlock accepts the ops that waited for epochs now held.
func (n *Node) unlock(ctx context.Context, epochs []crdt.EpochID) {
	for _, e := range epochs {
		acc, err := n.rep.KeyArrived(ctx, e)
		if err != nil {
			n.log.Warn("ops waiting for a key", "err", err)
		}
		if len(acc) > 0 {
			n.afterIngest(replica.Result{Outcome: replica.Accepted, Accepted: acc})
		}
	}
}

// absorbWraps takes the epoch secrets wrapped to this node in community
// cid's rekey ops that it does not hold yet.
func (n *Node) absorbWraps(ctx context.Context, cid crdt.ID) {
	self := n.selfKey()
	type wrapped struct {
		log   crdt.ID
		epoch crdt.EpochID
		w     crdt.Wrap
	}
	var todo []wrapped
	_ = n.rep.View(cid, func(c *crdt.Community) error {
		for id, e := range c.State().Epochs {
			if w, ok := e.Wraps[self]; ok && !n.keys.Has(id) {
				todo = append(todo, wrapped{e.Log, id, w})
			}
		}
		return nil
	})
	var got []crdt.EpochID
	for _, t := range todo {
		secret, err := n.keys.UnwrapAny(e2ee.Suite(t.w.KEM), e2ee.WrapInfo(cid, t.log, t.epoch, self), t.w.Secret)
		if err != nil {
			n.log.Warn("an epoch secret wrapped to this node does not open", "community", cid.Short(), "epoch", t.epoch, "err", err)
			continue
		}
		if n.keys.AddEpoch(e2ee.EpochKey{ID: t.epoch, Community: cid, Log: t.log, Secret: secret}) {
			got = append(got, t.epoch)
		}
	}
	if len(got) == 0 {
		return
	}
	if err := n.saveKeys(ctx); err != nil {
		n.log.Warn("save keys", "err", err)
	}
	n.unlock(ctx, got)
}

// answerKeys serves wire.KindKeys to member k.
func (n *Node) answerKeys(cid crdt.ID, k crdt.PublicKey, req *wire.Request) *wire.Response {
	suite := e2ee.Suite(req.Suite)
	if suite != e2ee.X25519 && suite != e2ee.Hybrid {
		return &wire.Response{Error: fmt.Sprintf("unknown key suite %#04x", req.Suite)}
	}
	// Every epoch of every log k may read: ops of a log are hash-linked,
	// so one whose earlier ops stayed closed could accept none after them.
	logs := []crdt.ID{crdt.ZeroID}
	_ = n.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		for gid := range st.Groups {
			if st.MayRead(k, gid) {
				logs = append(logs, gid)
			}
		}
		return nil
	})
	resp := &wire.Response{}
	for _, log := range logs {
		for _, e := range n.keys.Epochs(cid, log) {
			wrapped, err := e2ee.Wrap(suite, req.Prekey, e2ee.WrapInfo(cid, log, e.ID, k), e.Secret)
			if err != nil {
				return &wire.Response{Error: fmt.Sprintf("prekey: %v", err)}
			}
			ek := wire.EpochKey{Epoch: e.ID[:], Wrapped: wrapped}
			if !log.IsZero() {
				ek.Log = log[:]
			}
			if resp.Keys = append(resp.Keys, ek); len(resp.Keys) == wire.MaxKeys {
				return resp
			}
		}
	}
	return resp
}

// needsKeys reports whether this node should ask a member for community
// cid's keys: some op waits for an epoch, or a log it may read has a
// current epoch it does not hold.
func (n *Node) needsKeys(cid crdt.ID) bool {
	if n.rep.WaitingForKeys() {
		return true
	}
	self, need := n.selfKey(), false
	err := n.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		for log, e := range st.Current {
			if st.MayRead(self, log) && !n.keys.Has(e.ID) {
				need = true
			}
		}
		return nil
	})
	return err != nil || need // a community not held yet: a joiner
}

// fetchKeys asks member p for the epoch secrets of community cid this
// node may read.
func (n *Node) fetchKeys(ctx context.Context, p peer.ID, cid crdt.ID) error {
	pk := n.keys.Prekey()
	var resp wire.Response
	req := &wire.Request{Kind: wire.KindKeys, Community: cid[:], Suite: uint16(pk.Suite), Prekey: pk.Public}
	if err := n.request(ctx, p, syncProtocol, req, &resp); err != nil {
		return err
	}
	if resp.Error != "" {
		return fmt.Errorf("peer %s: %s", p.ShortString(), resp.Error)
	}
	if len(resp.Keys) > wire.MaxKeys {
		return fmt.Errorf("peer %s sent %d keys", p.ShortString(), len(resp.Keys))
	}
	self := n.selfKey()
	var got []crdt.EpochID
	for _, k := range resp.Keys {
		var log crdt.ID
		if len(k.Log) != 0 && len(k.Log) != len(log) || len(k.Epoch) != crdt.EpochIDSize {
			return fmt.Errorf("peer %s sent a malformed key", p.ShortString())
		}
		copy(log[:], k.Log)
		id := crdt.EpochID(k.Epoch)
		if n.keys.Has(id) {
			continue
		}
		secret, err := pk.Unwrap(e2ee.WrapInfo(cid, log, id, self), k.Wrapped)
		if err != nil {
			return fmt.Errorf("peer %s: %w", p.ShortString(), err)
		}
		if known, ok := n.epochCheck(cid, id); ok && !hmac.Equal(known, e2ee.EpochCheck(id, secret)) {
			return fmt.Errorf("peer %s sent a forged secret for epoch %s", p.ShortString(), id)
		}
		if n.keys.AddEpoch(e2ee.EpochKey{ID: id, Community: cid, Log: log, Secret: secret}) {
			got = append(got, id)
		}
	}
	n.log.Debug("keys from a member", "peer", p.ShortString(), "community", cid.Short(), "sent", len(resp.Keys), "new", len(got))
	if len(got) == 0 {
		return nil
	}
	if err := n.saveKeys(ctx); err != nil {
		return err
	}
	n.unlock(ctx, got)
	return nil
}

// epochCheck returns the commitment community cid's control log holds for
// epoch id, if it knows the epoch.
func (n *Node) epochCheck(cid crdt.ID, id crdt.EpochID) (check []byte, ok bool) {
	_ = n.rep.View(cid, func(c *crdt.Community) error {
		if e := c.State().Epochs[id]; e != nil {
			check, ok = e.Check, true
		}
		return nil
	})
	return check, ok
}

// dropForged forgets the epoch secrets of community cid that do not match
// the commitment of their rekey ops: a member handed this node a forged
// secret before the rekey op arrived. needsKeys then asks again.
func (n *Node) dropForged(cid crdt.ID) {
	var forged []crdt.EpochID
	for _, l := range n.readableLogs(cid) {
		for _, e := range n.keys.Epochs(cid, l) {
			if check, ok := n.epochCheck(cid, e.ID); ok && !hmac.Equal(check, e2ee.EpochCheck(e.ID, e.Secret)) {
				forged = append(forged, e.ID)
			}
		}
	}
	for _, id := range forged {
		n.log.Warn("dropping a forged epoch secret", "community", cid.Short(), "epoch", id)
		n.keys.Forget(id)
	}
	if len(forged) > 0 {
		if err := n.saveKeys(n.ctx); err != nil {
			n.log.Warn("save keys", "err", err)
		}
	}
}

// readableLogs lists community cid's control log and groups.
func (n *Node) readableLogs(cid crdt.ID) []crdt.ID {
	logs := []crdt.ID{crdt.ZeroID}
	_ = n.rep.View(cid, func(c *crdt.Community) error {
		for gid := range c.State().Groups {
			logs = append(logs, gid)
		}
		return nil
	})
	return logs
}

// ensureKeys asks p for keys when this node lacks some.
func (n *Node) ensureKeys(ctx context.Context, p peer.ID, cid crdt.ID) {
	if !n.needsKeys(cid) {
		return
	}
	if err := n.fetchKeys(ctx, p, cid); err != nil {
		n.log.Debug("keys", "peer", p.ShortString(), "community", cid.Short(), "err", err)
	}
}

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

// kickKeys runs maintainKeys for cid soon, once at a time per community.
func (n *Node) kickKeys(cid crdt.ID) {
	n.keysMu.Lock()
	if n.keyKick[cid] {
		n.keysMu.Unlock()
		return
	}
	n.keyKick[cid] = true
	n.keysMu.Unlock()
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.keysMu.Lock()
		delete(n.keyKick, cid)
		n.keysMu.Unlock()
		n.dropForged(cid)
		n.absorbWraps(n.ctx, cid)
		n.askKeys(cid)
		n.maintainKeys(n.ctx, cid)
	}()
}

// askKeys asks a connected member of cid for the keys this node lacks
// (after joining a group, or being let in), at most once per
// keyAskInterval per community.
func (n *Node) askKeys(cid crdt.ID) {
	if !n.needsKeys(cid) {
		return
	}
	n.keysMu.Lock()
	if last, ok := n.keyAsked[cid]; ok && n.now().Sub(last) < keyAskInterval {
		n.keysMu.Unlock()
		return
	}
	n.keyAsked[cid] = n.now()
	n.keysMu.Unlock()
	var members []peer.ID
	for _, p := range n.host.Network().Peers() {
		if n.isMember(cid, p) {
			members = append(members, p)
		}
	}
	if len(members) > 0 {
		n.ensureKeys(n.ctx, members[mrand.IntN(len(members))], cid)
	}
	n.retryKeys(cid)
}

// retryKeys asks again later while keys are still lacking (the member
// asked may not yet have known this node was let in), backing off from
// keyAskInterval to maxKeyRetry.
func (n *Node) retryKeys(cid crdt.ID) {
	need := n.needsKeys(cid) // before keysMu: Seal takes keysMu under the replica's lock
	n.keysMu.Lock()
	defer n.keysMu.Unlock()
	if !need {
		delete(n.keyRetry, cid)
		return
	}
	if n.keyRetryOn[cid] {
		return
	}
	wait := min(max(2*n.keyRetry[cid], keyAskInterval), maxKeyRetry)
	n.keyRetry[cid], n.keyRetryOn[cid] = wait, true
	n.after(wait, func() {
		n.keysMu.Lock()
		delete(n.keyRetryOn, cid)
		n.keysMu.Unlock()
		n.kickKeys(cid)
	})
}

const maxKeyRetry = 5 * time.Minute

const keyAskInterval = 5 * time.Second
