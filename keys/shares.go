package keys

import (
	"context"
	"crypto/hmac"
	"fmt"
	mrand "math/rand/v2"
	"slices"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// Key shares: epoch secrets wrapped to this node in rekey ops, and those
// members hand each other (wire.KindKeys).

// unlock accepts the ops that waited for epochs now held.
func (m *Manager) unlock(ctx context.Context, epochs []crdt.EpochID) {
	for _, e := range epochs {
		acc, err := m.cfg.Replica.KeyArrived(ctx, e)
		if err != nil {
			m.log.Warn("ops waiting for a key", "err", err)
		}
		if len(acc) > 0 {
			m.cfg.Listener.Accepted(replica.Result{Outcome: replica.Accepted, Accepted: acc})
		}
	}
}

// wrapped is an epoch secret wrapped to a member in a rekey op.
type wrapped struct {
	log   crdt.ID
	epoch crdt.EpochID
	w     crdt.Wrap
}

// wrapsTo lists the epochs of st wrapped to k that have is false for.
func wrapsTo(st *crdt.State, k crdt.PublicKey, have func(crdt.EpochID) bool) []wrapped {
	var out []wrapped
	for id, e := range st.Epochs {
		if w, ok := e.Wraps[k]; ok && !have(id) {
			out = append(out, wrapped{e.Log, id, w})
		}
	}
	return out
}

// absorbWraps takes the epoch secrets wrapped to this node in community
// cid's rekey ops that it does not hold yet.
func (m *Manager) absorbWraps(ctx context.Context, cid crdt.ID) {
	self := m.cfg.Self
	var todo []wrapped
	_ = m.cfg.Replica.View(cid, func(c *crdt.Community) error {
		todo = wrapsTo(c.State(), self, m.ring.Has)
		return nil
	})
	var got []crdt.EpochID
	var opened []crdt.ID // logs this node held no epoch of before
	for _, t := range todo {
		secret, err := m.ring.UnwrapAny(e2ee.Suite(t.w.KEM), e2ee.WrapInfo(cid, t.log, t.epoch, self), t.w.Secret)
		if err != nil {
			m.log.Warn("an epoch secret wrapped to this node does not open", "community", cid.Short(), "epoch", t.epoch, "err", err)
			continue
		}
		first := len(m.ring.Epochs(cid, t.log)) == 0
		if m.ring.AddEpoch(e2ee.EpochKey{ID: t.epoch, Community: cid, Log: t.log, Secret: secret}) {
			got = append(got, t.epoch)
			if first {
				opened = append(opened, t.log)
			}
		}
	}
	if len(got) == 0 {
		return
	}
	if err := m.save(ctx); err != nil {
		m.log.Warn("save keys", "err", err)
	}
	m.unlock(ctx, got)
	if len(opened) > 0 {
		// A log this node now reads (it was added to a group): members
		// never sent it the log's content, so fetch it now from one who
		// reads it rather than at the next periodic pull.
		if p, ok := m.reader(cid, opened); ok {
			m.cfg.Peers.Pull(p, cid)
		}
	}
}

// reader returns a connected member of community cid that may read one of
// logs, at random, or any connected member when none is known to.
func (m *Manager) reader(cid crdt.ID, logs []crdt.ID) (peer.ID, bool) {
	members := m.cfg.Peers.Members(cid)
	if len(members) == 0 {
		return "", false
	}
	mrand.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
	var best peer.ID
	_ = m.cfg.Replica.View(cid, func(c *crdt.Community) error {
		st := c.State()
		for _, p := range members {
			pub, err := peerkey.PublicKey(p)
			if err != nil {
				continue
			}
			k := crdt.PublicKey(pub)
			if slices.ContainsFunc(logs, func(log crdt.ID) bool { return st.MayRead(k, log) }) {
				best = p
				return nil
			}
		}
		return nil
	})
	if best == "" {
		best = members[0]
	}
	return best, true
}

// lacking lists the current epochs of the logs of community cid this
// node may read that it does not hold.
func (m *Manager) lacking(cid crdt.ID) []crdt.EpochID {
	var out []crdt.EpochID
	_ = m.cfg.Replica.View(cid, func(c *crdt.Community) error {
		st := c.State()
		for log, e := range st.Current {
			if st.MayRead(m.cfg.Self, log) && !m.ring.Has(e.ID) {
				out = append(out, e.ID)
			}
		}
		return nil
	})
	return out
}

// shareable returns the logs member k may read in c (the control log
// first) and the epochs that may be handed to k: every epoch of every
// log k may read — ops of a log are hash-linked, so one whose earlier
// ops stayed closed could accept none after them — but never an epoch
// whose rotation left k out (k is being removed, and this node may not
// have the removal yet), nor one whose rotation this node has not
// replayed in full: a secret can be held before its rekey op arrives
// (another member handed it over), and who it leaves out is not known
// until then.
func shareable(c *crdt.Community, k crdt.PublicKey) (logs []crdt.ID, ok map[crdt.EpochID]bool) {
	st := c.State()
	logs = []crdt.ID{crdt.ZeroID}
	for gid := range st.Groups {
		if st.MayRead(k, gid) {
			logs = append(logs, gid)
		}
	}
	ok = map[crdt.EpochID]bool{}
	for _, e := range st.Epochs {
		if e.Complete() && !c.LeftOut(e, k) {
			ok[e.ID] = true
		}
	}
	return logs, ok
}

// AnswerKeys answers a wire.KindKeys request from member k of community
// cid: the epoch secrets k may read, wrapped to the prekey it sent.
func (m *Manager) AnswerKeys(cid crdt.ID, k crdt.PublicKey, req *wire.Request) *wire.Response {
	suite := e2ee.Suite(req.Suite)
	if suite != e2ee.X25519 && suite != e2ee.Hybrid {
		return &wire.Response{Error: fmt.Sprintf("unknown key suite %#04x", req.Suite)}
	}
	var logs []crdt.ID
	var ok map[crdt.EpochID]bool
	_ = m.cfg.Replica.View(cid, func(c *crdt.Community) error {
		logs, ok = shareable(c, k)
		return nil
	})
	resp := &wire.Response{}
	for _, log := range logs {
		for _, e := range m.ring.Epochs(cid, log) {
			if !ok[e.ID] {
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

// lacks reports whether k may read a log of st whose current epoch has
// is false for.
func lacks(st *crdt.State, k crdt.PublicKey, have func(crdt.EpochID) bool) bool {
	for log, e := range st.Current {
		if st.MayRead(k, log) && !have(e.ID) {
			return true
		}
	}
	return false
}

// NeedsKeys reports whether this node should ask a member for community
// cid's keys: some op waits for an epoch, or a log it may read has a
// current epoch it does not hold, or it does not hold the community yet
// (a joiner).
func (m *Manager) NeedsKeys(cid crdt.ID) bool {
	if m.cfg.Replica.WaitingForKeys() {
		return true
	}
	need := false
	err := m.cfg.Replica.View(cid, func(c *crdt.Community) error {
		need = lacks(c.State(), m.cfg.Self, m.ring.Has)
		return nil
	})
	return err != nil || need
}

// FetchKeys asks member p for the epoch secrets of community cid this
// node may read, and reports how many new ones it kept. A secret that
// does not open or does not match its rekey op's commitment is dropped
// (the error says so); the others are kept.
func (m *Manager) FetchKeys(ctx context.Context, p peer.ID, cid crdt.ID) (int, error) {
	pk := m.ring.Prekey()
	req := &wire.Request{Kind: wire.KindKeys, Community: cid[:], Suite: uint16(pk.Suite), Prekey: pk.Public}
	resp, err := m.cfg.Peers.Request(ctx, p, req)
	if err != nil {
		return 0, err
	}
	if resp.Error != "" {
		return 0, fmt.Errorf("peer %s: %s", p.ShortString(), resp.Error)
	}
	if len(resp.Keys) > wire.MaxKeys {
		return 0, fmt.Errorf("peer %s sent %d keys", p.ShortString(), len(resp.Keys))
	}
	self, checks := m.cfg.Self, m.epochChecks(cid)
	var got []crdt.EpochID
	var bad error // a key that does not open or check out; the others are kept
	for _, k := range resp.Keys {
		var log crdt.ID
		if len(k.Log) != 0 && len(k.Log) != len(log) || len(k.Epoch) != crdt.EpochIDSize {
			return 0, fmt.Errorf("peer %s sent a malformed key", p.ShortString())
		}
		copy(log[:], k.Log)
		id := crdt.EpochID(k.Epoch)
		if m.ring.Has(id) {
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
		if m.ring.AddEpoch(e2ee.EpochKey{ID: id, Community: cid, Log: log, Secret: secret}) {
			got = append(got, id)
		}
	}
	m.log.Debug("keys from a member", "peer", p.ShortString(), "community", cid.Short(), "sent", len(resp.Keys), "new", len(got))
	if len(got) == 0 {
		return 0, bad
	}
	if err := m.save(ctx); err != nil {
		return 0, err
	}
	m.unlock(ctx, got)
	return len(got), bad
}

// checksOf returns the commitments of the epochs st holds, by epoch.
func checksOf(st *crdt.State) map[crdt.EpochID][]byte {
	checks := make(map[crdt.EpochID][]byte, len(st.Epochs))
	for id, e := range st.Epochs {
		checks[id] = e.Check
	}
	return checks
}

// epochChecks returns the commitments of the epochs community cid's
// control log holds, by epoch.
func (m *Manager) epochChecks(cid crdt.ID) map[crdt.EpochID][]byte {
	checks := map[crdt.EpochID][]byte{}
	_ = m.cfg.Replica.View(cid, func(c *crdt.Community) error {
		checks = checksOf(c.State())
		return nil
	})
	return checks
}

// dropForged forgets the epoch secrets of community cid that do not match
// the commitment of their rekey ops: a member handed this node a forged
// secret before the rekey op arrived. NeedsKeys then asks again.
func (m *Manager) dropForged(cid crdt.ID) {
	var forged []crdt.EpochID
	for id, check := range m.epochChecks(cid) {
		if e, ok := m.ring.Epoch(id); ok && !hmac.Equal(check, e2ee.EpochCheck(id, e.Secret)) {
			forged = append(forged, id)
		}
	}
	for _, id := range forged {
		m.log.Warn("dropping a forged epoch secret", "community", cid.Short(), "epoch", id)
		m.ring.Forget(id)
	}
	if len(forged) > 0 {
		if err := m.save(m.ctx); err != nil {
			m.log.Warn("save keys", "err", err)
		}
	}
}

// EnsureKeys asks p for keys when this node lacks some; it reports
// whether p sent any new.
func (m *Manager) EnsureKeys(ctx context.Context, p peer.ID, cid crdt.ID) bool {
	if !m.NeedsKeys(cid) {
		return false
	}
	got, err := m.FetchKeys(ctx, p, cid)
	if err != nil {
		m.log.Debug("keys", "peer", p.ShortString(), "community", cid.Short(), "err", err)
	}
	return got > 0
}

// askKeys asks a connected member of cid for the keys this node lacks
// (after joining a group, or being let in), at most once per
// keyAskInterval per community.
func (m *Manager) askKeys(cid crdt.ID) {
	if !m.NeedsKeys(cid) {
		return
	}
	lack := m.lacking(cid)
	m.mu.Lock()
	// A lack not asked for yet (this node was just added to a group) is
	// asked for at once: waiting out the interval of the last ask, and
	// then the retry's back-off, delayed a group add's keys by 15 s.
	fresh := slices.ContainsFunc(lack, func(e crdt.EpochID) bool { return !m.askedFor[cid][e] })
	if last, ok := m.asked[cid]; ok && m.cfg.Now().Sub(last) < keyAskInterval && !fresh {
		m.mu.Unlock()
		return
	}
	m.asked[cid] = m.cfg.Now()
	m.askedFor[cid] = map[crdt.EpochID]bool{}
	var logs []crdt.ID
	for _, e := range lack {
		m.askedFor[cid][e] = true
	}
	m.mu.Unlock()
	_ = m.cfg.Replica.View(cid, func(c *crdt.Community) error {
		for _, e := range lack {
			if se := c.State().Epochs[e]; se != nil {
				logs = append(logs, se.Log)
			}
		}
		return nil
	})
	// Ask one who reads the logs lacking: a member outside a group this
	// node was just added to has none of its keys.
	if p, ok := m.reader(cid, logs); ok {
		if m.EnsureKeys(m.ctx, p, cid) {
			m.cfg.Peers.Pull(p, cid) // p now counts this node a reader of more: fetch what it may send
		}
	}
	m.retryKeys(cid)
}

// retryKeys asks again later while keys are still lacking (the member
// asked may not yet have known this node was let in), backing off from
// keyAskInterval to maxKeyRetry.
func (m *Manager) retryKeys(cid crdt.ID) {
	need := m.NeedsKeys(cid) // before mu: Seal takes mu under the replica's lock
	m.mu.Lock()
	defer m.mu.Unlock()
	if !need {
		delete(m.retry, cid)
		return
	}
	if m.retryOn[cid] {
		return
	}
	wait := min(max(2*m.retry[cid], keyAskInterval), maxKeyRetry)
	m.retry[cid] = wait
	m.retryOn[cid] = m.afterLocked(wait, func() {
		m.mu.Lock()
		delete(m.retryOn, cid)
		m.mu.Unlock()
		m.Kick(cid)
	})
}
