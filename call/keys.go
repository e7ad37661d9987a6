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
// participant still allowed in the call, then encrypts with it.
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
				m.cfg.Log.Debug("call key not delivered", "err", err)
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

// rekeyLater runs rekey in the background.
func (m *Manager) rekeyLater(c *call) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.rekey(c)
	}()
}

// takeKey takes a key message from participant from (peer id peer) in c:
// its receivers get the key, and a timer drops the sender's older keys
// KeyGrace after the newest came. It returns a refusal, or nil (mu held).
func (m *Manager) takeKey(c *call, from crdt.PublicKey, peer string, msg *Message) *Reply {
	if msg.KID <= c.recv[from] {
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
