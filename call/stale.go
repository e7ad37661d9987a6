package call

import (
	"context"
	"fmt"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Stale calls. A call's record says it runs until someone writes its end,
// and only the caller or an admin may end a call for everyone. A caller
// whose node crashed, or who left a call that others then left too, would
// leave the call "active" forever. So the call record also takes a
// lapsed end (crdt.CallBody.Lapsed), which any member who may take part
// in the group's calls may write, and three writers use it:
//
//   - the last participant to leave a call writes its end, a lapsed one
//     when it is neither the caller nor an admin (Leave);
//   - a member whose join finds nobody in a call that started at least
//     StaleAfter ago (the caller and every participant it heard of are
//     unreachable, and none of the members it reaches names anyone)
//     records that the call lapsed, and the join fails with
//     api.ErrCallEnded (lapseUnanswered);
//   - the caller's own node, after a restart, records that each call it
//     started in its earlier run and is no longer in lapsed, the first
//     time it lists the community's calls (endStale).
//
// A lapsed end is a claim that can be wrong (a joiner cut off from live
// participants): so a call recorded as lapsed can still be joined, a
// participant still in it keeps seeing it active, and a later end by the
// caller or an admin replaces the lapsed one.

// lapseUnanswered records that call c lapsed when a join found nobody in
// it and it started at least StaleAfter ago; it returns the join's error
// then, nil when the call is too young to be judged stale.
func (m *Manager) lapseUnanswered(ctx context.Context, c *call) error {
	if m.cfg.Now().Sub(c.started) < StaleAfter || !m.cfg.Members.MayCall(c.cid, c.gid, m.cfg.Self) {
		return nil
	}
	key := callKey{c.cid, c.id}
	m.mu.Lock()
	c.ended = true
	again := m.lapsed[key]
	m.lapsed[key] = true
	m.mu.Unlock()
	m.changed(c.cid)
	if r, ok := m.cfg.Recorder.Lookup(c.cid, c.id); !again && !(ok && r.Ended) {
		if err := m.cfg.Recorder.RecordLapsed(ctx, c.cid, c.gid, c.id, 0, nil); err != nil {
			return fmt.Errorf("call %s: nobody is in it any more; recording that: %w", c.id.Short(), err)
		}
	}
	return fmt.Errorf("call %s: nobody is in it any more: %w", c.id.Short(), api.ErrCallEnded)
}

// endStale records, in the background, that the calls of community cid
// that this node started before the Manager did, and is not in, lapsed:
// its node stopped while in them. It marks them ended in calls (mu held).
func (m *Manager) endStale(cid crdt.ID, calls []api.Call) {
	self := m.cfg.PeerID(m.cfg.Self)
	for i := range calls {
		a := &calls[i]
		key := callKey{cid, a.ID}
		if !a.Active || a.StartedBy != self || !a.Started.Before(m.born) || m.lapsed[key] {
			continue
		}
		if c := m.calls[key]; c != nil && c.joined {
			continue
		}
		m.lapsed[key] = true
		a.Active, a.Lapsed, a.CanEnd = false, true, false
		if m.ctx.Err() != nil {
			continue
		}
		gid, id := a.Group, a.ID
		joined := []crdt.PublicKey{m.cfg.Self}
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			ctx, cancel := context.WithTimeout(m.ctx, SendTimeout)
			defer cancel()
			if err := m.cfg.Recorder.RecordLapsed(ctx, cid, gid, id, 0, joined); err != nil {
				m.cfg.Log.Info("could not record that a call left by an earlier run lapsed", "call", id.Short(), "err", err)
				return
			}
			m.changed(cid)
		}()
	}
}
