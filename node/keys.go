package node

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/libp2p/go-libp2p/core/peer"

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
		return fmt.Errorf("%w (the group has no keys yet)", api.ErrNoKeys)
	}
	if !n.keys.Has(e.ID) {
		return api.ErrNoKeys
	}
	if o.Kind == crdt.KindRemove && e.Reason == crdt.RekeyRemoval && e.By == o.Author {
		// The removal follows its own rotation and is sealed under the
		// epoch before it, so the removed member learns it was removed;
		// it reads nothing written after.
		if all := st.EpochsOf(crdt.ZeroID); len(all) > 1 && n.keys.Has(all[len(all)-2].ID) {
			e = all[len(all)-2]
		}
	} else if st.Stale(o.Log) {
		return api.ErrKeysRenewing
	}
	if err := n.keys.Seal(o, e.ID); err != nil {
		return err
	}
	if err := n.saveKeys(n.ctx); err != nil { // the sending counter must never go back
		return fmt.Errorf("save keys: %w", err)
	}
	n.counted(c.ID(), e.ID)
	return nil
}

// Open implements replica.Sealer.
func (n *Node) Open(o *crdt.Op) ([]byte, error) {
	plain, err := n.keys.Open(o)
	if err == nil {
		if s, perr := crdt.ParseSealed(o); perr == nil {
			n.counted(o.CommunityID(), s.EpochOf())
		}
	}
	return plain, err
}

// counted notes one more op sealed under epoch e of community cid, for
// rotation by count. Each time the count reaches a multiple of
// RotateEvery the key duties are looked at at once: a busy group must not
// wait for the next sync tick, or a sender could use up the epoch's
// 65,536 keys first.
func (n *Node) counted(cid crdt.ID, e crdt.EpochID) {
	n.keysMu.Lock()
	n.epochCount[e]++
	due := n.cfg.RotateEvery > 0 && n.epochCount[e]%n.cfg.RotateEvery == 0
	n.keysMu.Unlock()
	if due {
		n.kickKeys(cid)
	}
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
	// Never an epoch whose rotation left k out (k is being removed, and
	// this node may not have the removal yet).
	logs := []crdt.ID{crdt.ZeroID}
	leftOut := map[crdt.EpochID]bool{}
	_ = n.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		for gid := range st.Groups {
			if st.MayRead(k, gid) {
				logs = append(logs, gid)
			}
		}
		for _, e := range st.Epochs {
			if c.LeftOut(e, k) {
				leftOut[e.ID] = true
			}
		}
		return nil
	})
	resp := &wire.Response{}
	for _, log := range logs {
		for _, e := range n.keys.Epochs(cid, log) {
			if leftOut[e.ID] {
				continue
			}
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
func (n *Node) fetchKeys(ctx context.Context, p peer.ID, cid crdt.ID) (int, error) {
	pk := n.keys.Prekey()
	var resp wire.Response
	req := &wire.Request{Kind: wire.KindKeys, Community: cid[:], Suite: uint16(pk.Suite), Prekey: pk.Public}
	if err := n.request(ctx, p, syncProtocol, req, &resp); err != nil {
		return 0, err
	}
	if resp.Error != "" {
		return 0, fmt.Errorf("peer %s: %s", p.ShortString(), resp.Error)
	}
	if len(resp.Keys) > wire.MaxKeys {
		return 0, fmt.Errorf("peer %s sent %d keys", p.ShortString(), len(resp.Keys))
	}
	self, checks := n.selfKey(), n.epochChecks(cid)
	var got []crdt.EpochID
	var bad error // a key that does not open or check out; the others are kept
	for _, k := range resp.Keys {
		var log crdt.ID
		if len(k.Log) != 0 && len(k.Log) != len(log) || len(k.Epoch) != crdt.EpochIDSize {
			return 0, fmt.Errorf("peer %s sent a malformed key", p.ShortString())
		}
		copy(log[:], k.Log)
		id := crdt.EpochID(k.Epoch)
		if n.keys.Has(id) {
			continue
		}
		secret, err := pk.Unwrap(e2ee.WrapInfo(cid, log, id, self), k.Wrapped)
		if err != nil {
			bad = fmt.Errorf("peer %s: %w", p.ShortString(), err)
			continue
		}
		if known, ok := checks[id]; ok && !hmac.Equal(known, e2ee.EpochCheck(id, secret)) {
			bad = fmt.Errorf("peer %s sent a forged secret for epoch %s", p.ShortString(), id)
			continue
		}
		if n.keys.AddEpoch(e2ee.EpochKey{ID: id, Community: cid, Log: log, Secret: secret}) {
			got = append(got, id)
		}
	}
	n.log.Debug("keys from a member", "peer", p.ShortString(), "community", cid.Short(), "sent", len(resp.Keys), "new", len(got))
	if len(got) == 0 {
		return 0, bad
	}
	if err := n.saveKeys(ctx); err != nil {
		return 0, err
	}
	n.unlock(ctx, got)
	return len(got), bad
}

// epochChecks returns the commitments of the epochs community cid's
// control log holds, by epoch.
func (n *Node) epochChecks(cid crdt.ID) map[crdt.EpochID][]byte {
	checks := map[crdt.EpochID][]byte{}
	_ = n.rep.View(cid, func(c *crdt.Community) error {
		for id, e := range c.State().Epochs {
			checks[id] = e.Check
		}
		return nil
	})
	return checks
}

// dropForged forgets the epoch secrets of community cid that do not match
// the commitment of their rekey ops: a member handed this node a forged
// secret before the rekey op arrived. needsKeys then asks again.
func (n *Node) dropForged(cid crdt.ID) {
	var forged []crdt.EpochID
	for id, check := range n.epochChecks(cid) {
		if e, ok := n.keys.Epoch(id); ok && !hmac.Equal(check, e2ee.EpochCheck(id, e.Secret)) {
			forged = append(forged, id)
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

// ensureKeys asks p for keys when this node lacks some; it reports
// whether p sent any new.
func (n *Node) ensureKeys(ctx context.Context, p peer.ID, cid crdt.ID) bool {
	if !n.needsKeys(cid) {
		return false
	}
	got, err := n.fetchKeys(ctx, p, cid)
	if err != nil {
		n.log.Debug("keys", "peer", p.ShortString(), "community", cid.Short(), "err", err)
	}
	return got > 0
}

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
		p := members[mrand.IntN(len(members))]
		if n.ensureKeys(n.ctx, p, cid) {
			n.goPull(p, cid) // p now counts this node a reader of more: fetch what it may send
		}
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
