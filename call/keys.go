package call

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// newKey returns a fresh SFrame base key.
func (m *Manager) newKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := io.ReadFull(m.cfg.Rand, k); err != nil {
		return nil, fmt.Errorf("call key: %w", err)
	}
	return k, nil
}

// rekey gives this node a new send key in c: it sends the key to every
// participant still allowed in the call, then encrypts with it. A
// participant the key did not reach gets it again (keyAgain).
func (m *Manager) rekey(c *call) {
	key, err := m.newKey()
	if err != nil {
		m.cfg.Log.Warn("no new call key", "err", err)
		return
	}
	m.mu.Lock()
	if !c.joined {
		m.mu.Unlock()
		return
	}
	c.kid++
	c.key = key
	kid, med := c.kid, c.media
	var to []crdt.PublicKey
	for _, k := range c.others() {
		if m.cfg.Members.MayCall(c.cid, c.gid, k) {
			to = append(to, k)
		}
	}
	msg := c.message(TypeKey)
	msg.KID, msg.Key = kid, key
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, k := range to {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := m.send(k, msg); err != nil {
				m.cfg.Log.Debug("call key not delivered; it is sent again", "err", err)
				m.mu.Lock()
				m.keyAgain(c, k, KeyRetryMin)
				m.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	if c.joined && c.kid == kid && c.media == med {
		if err := med.SetSendKey(kid, key); err != nil {
			m.cfg.Log.Warn("set call send key", "err", err)
		}
	}
}

// keyAgain sends this node's current key in c to participant k in the
// background, first after wait, then again with a backoff doubling up to
// KeyRetryMax until k acknowledges it or is no longer admitted in the
// call (left, removed, no longer allowed by crdt) or this node left
// (mu held). One such goroutine runs per participant at most; one
// already waiting on its backoff sends at once when wait is 0 (an
// accepted TypeKeyAsk is answered now, not after the backoff).
func (m *Manager) keyAgain(c *call, k crdt.PublicKey, wait time.Duration) {
	if now, ok := c.resending[k]; ok {
		if wait == 0 {
			select {
			case now <- struct{}{}:
			default: // already told to send now
			}
		}
		return
	}
	if !m.keyOwed(c, k) {
		return
	}
	if c.resending == nil {
		c.resending = map[crdt.PublicKey]chan struct{}{}
	}
	now := make(chan struct{}, 1)
	c.resending[k] = now
	m.spawn(func() {
		defer func() {
			m.mu.Lock()
			delete(c.resending, k)
			m.mu.Unlock()
		}()
		t := time.NewTimer(wait)
		defer t.Stop()
		for {
			select {
			case <-m.ctx.Done():
				return
			case <-t.C:
			case <-now:
			}
			m.mu.Lock()
			if !m.keyOwed(c, k) {
				m.mu.Unlock()
				return
			}
			msg := c.message(TypeKey)
			msg.KID, msg.Key = c.kid, c.key
			m.mu.Unlock()
			_, err := m.send(k, msg)
			m.mu.Lock()
			done := err == nil && c.kid == msg.KID
			m.mu.Unlock()
			if done {
				return
			}
			if err != nil {
				m.cfg.Log.Debug("call key not delivered again", "err", err)
				wait = min(max(2*wait, KeyRetryMin), KeyRetryMax)
			}
			t.Reset(wait)
		}
	})
}

// keyOwed reports whether this node's key in c may go to k: both take
// part in c, and crdt lets k in (mu held).
func (m *Manager) keyOwed(c *call, k crdt.PublicKey) bool {
	return c.joined && !c.ended && c.key != nil && c.roster[k] && m.cfg.Members.MayCall(c.cid, c.gid, k)
}

// askedKey answers participant from's TypeKeyAsk (it fails to decrypt
// this node's frames): this node's current key goes to it again, at
// most once in KeyAskEvery per participant (mu held; from is in c's
// roster and allowed in the call).
func (m *Manager) askedKey(c *call, from crdt.PublicKey) *Reply {
	now := m.cfg.Now()
	if last, ok := c.keyAsks[from]; ok && now.Sub(last) < KeyAskEvery {
		return refuse("key asked again within %v", KeyAskEvery)
	}
	if c.keyAsks == nil {
		c.keyAsks = map[crdt.PublicKey]time.Time{}
	}
	c.keyAsks[from] = now
	m.keyAgain(c, from, 0)
	return &Reply{}
}

// rekeyLater runs rekey in the background.
func (m *Manager) rekeyLater(c *call) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.rekey(c)
	}()
}

// watchKeys asks, every KeyCheckEvery while this node takes part in c,
// each sender whose frames arrive and none decrypt for its key again
// (TypeKeyAsk): its key did not reach this node, or was lost. One runs
// per call at most (mu held).
func (m *Manager) watchKeys(c *call) {
	if c.watching {
		return
	}
	c.watching = true
	m.spawn(func() {
		var med Media
		last := map[string]PeerStats{}
		t := time.NewTicker(KeyCheckEvery)
		defer t.Stop()
		for {
			if !m.wait(t.C) {
				return
			}
			m.mu.Lock()
			if !c.joined || c.media == nil {
				c.watching = false
				m.mu.Unlock()
				return
			}
			if c.media != med {
				med, last = c.media, map[string]PeerStats{}
			}
			m.mu.Unlock()
			var ask []crdt.PublicKey
			for _, s := range med.Stats() {
				p, seen := last[s.Peer]
				last[s.Peer] = s
				if seen && s.DecryptFailures > p.DecryptFailures && s.FramesDecrypted == p.FramesDecrypted {
					c.pmu.Lock()
					k, ok := c.peers[s.Peer]
					c.pmu.Unlock()
					if ok {
						ask = append(ask, k)
					}
				}
			}
			for _, k := range ask {
				m.cfg.Log.Debug("frames of a participant do not decrypt; asking for its key", "peer", m.cfg.PeerID(k))
				m.enqueue(k, c.message(TypeKeyAsk))
			}
		}
	})
}

// wait waits for ch and reports whether it came before the Manager
// closed.
func (m *Manager) wait(ch <-chan time.Time) bool {
	select {
	case <-m.ctx.Done():
		return false
	case <-ch:
		return true
	}
}

// takeKey takes a key message from participant from (peer id peer) in c:
// its receivers get the key, and a timer drops the sender's older keys
// KeyGrace after the newest came. It returns a refusal, or nil (mu held).
func (m *Manager) takeKey(c *call, from crdt.PublicKey, peer string, msg *Message) *Reply {
	if msg.KID == c.recv[from] {
		// Sent again (keyAgain): set it again, the media may have lost it.
		if err := c.media.SetRecvKey(peer, msg.KID, msg.Key); err != nil {
			return refuse("key: %v", err)
		}
		return nil
	}
	if msg.KID < c.recv[from] {
		return refuse("key %d is not newer than %d", msg.KID, c.recv[from])
	}
	if err := c.media.SetRecvKey(peer, msg.KID, msg.Key); err != nil {
		return refuse("key: %v", err)
	}
	if c.recv == nil {
		c.recv = map[crdt.PublicKey]uint64{}
	}
	c.recv[from] = msg.KID
	if c.timers == nil {
		c.timers, c.recvAt = map[crdt.PublicKey]*time.Timer{}, map[crdt.PublicKey]time.Time{}
	}
	c.recvAt[from] = time.Now()
	if c.timers[from] == nil {
		med := c.media
		var t *time.Timer
		t = time.AfterFunc(KeyGrace, func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			if c.media != med {
				return
			}
			if since := time.Since(c.recvAt[from]); since < KeyGrace {
				t.Reset(KeyGrace - since) // a newer key came meanwhile: it gets its grace too
				return
			}
			delete(c.timers, from)
			if keep, ok := c.recv[from]; ok {
				med.DropRecvKeys(peer, keep)
			}
		})
		c.timers[from] = t
	}
	return nil
}
