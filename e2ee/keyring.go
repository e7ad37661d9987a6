package e2ee

import (
	"bytes"
	"fmt"
	"slices"
	"sync"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// EpochKey is an epoch secret a node holds.
type EpochKey struct {
	ID        crdt.EpochID
	Community crdt.ID
	Log       crdt.ID
	Secret    []byte
}

type chainKey struct {
	epoch     crdt.EpochID
	community crdt.ID // zero for a genesis op, whose community is its own id
	sender    crdt.PublicKey
}

// chain is a receiving chain: the next index expected and the keys of
// indices skipped on the way there.
type chain struct {
	next    uint32
	ck      [32]byte
	skipped map[uint32][32]byte
	order   []uint32 // skipped indices, oldest first, for eviction
}

// Keyring holds a node's prekeys, the epoch secrets it may read, its
// sending counters and its receiving chains. It is safe for concurrent
// use. Marshal gives what must survive a restart (receiving chains are
// derived again from the epoch secrets).
//
// It never holds more than MaxKeyringEpochs epochs, so what Marshal
// writes always loads. Once full, adding an epoch first forgets the
// oldest one held (in the order they were added, which Marshal keeps)
// that is neither the last held of its log nor one this node has sealed
// under. The ops sealed under a forgotten epoch no longer open after a
// restart: that history is lost to this node, which cannot be helped
// without holding the epoch; but every log keeps an epoch, so the node
// still reads and writes what is current, and no sending counter starts
// over (it would reuse message keys). Were every held epoch one of those,
// the new one is refused rather than the file grown past what loads. See
// MaxKeyringEpochs for how far away this is.
type Keyring struct {
	mu      sync.Mutex
	prekeys []*Prekey // newest last
	epochs  map[crdt.EpochID]*EpochKey
	send    map[crdt.EpochID]uint32 // next index this node seals with
	recv    map[chainKey]*chain
	sendCk  map[chainKey]sendChain // where each of this node's sending chains stands
	// order lists the epochs in the order they were added, oldest first;
	// an entry is live while added holds its seq (a forgotten epoch's
	// entry stays until compacted away).
	order  []added
	added  map[crdt.EpochID]uint64
	seq    uint64             // the last seq given
	perLog map[[2]crdt.ID]int // held epochs of each (community, log)
	limit  int                // MaxKeyringEpochs; lowered by tests
}

type sendChain struct {
	next uint32
	ck   [32]byte
}

// NewKeyring returns an empty keyring.
func NewKeyring() *Keyring {
	return &Keyring{
		epochs: map[crdt.EpochID]*EpochKey{}, send: map[crdt.EpochID]uint32{}, recv: map[chainKey]*chain{}, sendCk: map[chainKey]sendChain{},
		added: map[crdt.EpochID]uint64{}, perLog: map[[2]crdt.ID]int{}, limit: MaxKeyringEpochs,
	}
}

func logOf(e *EpochKey) [2]crdt.ID { return [2]crdt.ID{e.Community, e.Log} }

// added is an entry of Keyring.order.
type added struct {
	id  crdt.EpochID
	seq uint64
}

func (k *Keyring) live(a added) bool {
	seq, ok := k.added[a.id]
	return ok && seq == a.seq
}

// put holds epoch e (not yet held) as the newest, and reports whether
// it did: when the keyring is full, an older epoch must go first (see
// evictable), and if none may, e is not held. k.mu is held.
func (k *Keyring) put(e *EpochKey) bool {
	if len(k.epochs) >= k.limit && !k.evictOldest(logOf(e)) {
		return false
	}
	k.seq++
	k.epochs[e.ID] = e
	k.added[e.ID] = k.seq
	k.order = append(k.order, added{e.ID, k.seq})
	k.perLog[logOf(e)]++
	for len(k.order) > 0 && !k.live(k.order[0]) {
		k.order = k.order[1:]
	}
	if len(k.order) > 2*len(k.epochs)+64 {
		k.order = slices.DeleteFunc(k.order, func(a added) bool { return !k.live(a) })
	}
	return true
}

// evictOldest forgets the oldest held epoch that may go to make room for
// one of log next, and reports whether there was one. An epoch may go
// unless it is the last one held of its log (next is about to be one of
// its log) or this node has sealed under it: were it given again, its
// sending counter would start over and reuse message keys. k.mu is held.
func (k *Keyring) evictOldest(next [2]crdt.ID) bool {
	for _, a := range k.order {
		if !k.live(a) {
			continue
		}
		log := logOf(k.epochs[a.id])
		if (k.perLog[log] > 1 || log == next) && k.send[a.id] == 0 {
			k.drop(a.id)
			return true
		}
	}
	return false
}

// drop forgets epoch id and everything derived from it. k.mu is held.
func (k *Keyring) drop(id crdt.EpochID) {
	e, ok := k.epochs[id]
	if !ok {
		return
	}
	if n := k.perLog[logOf(e)] - 1; n > 0 {
		k.perLog[logOf(e)] = n
	} else {
		delete(k.perLog, logOf(e))
	}
	delete(k.epochs, id)
	delete(k.added, id)
	delete(k.send, id)
	for ck := range k.sendCk {
		if ck.epoch == id {
			delete(k.sendCk, ck)
		}
	}
	for ck := range k.recv {
		if ck.epoch == id {
			delete(k.recv, ck)
		}
	}
}

// stored is the persistent form of a keyring.
type stored struct {
	Prekeys []storedPrekey `cbor:"1,keyasint,omitempty"`
	Epochs  []storedEpoch  `cbor:"2,keyasint,omitempty"`
}

type storedPrekey struct {
	Suite   uint16 `cbor:"1,keyasint"`
	Public  []byte `cbor:"2,keyasint"`
	Private []byte `cbor:"3,keyasint"`
	Created int64  `cbor:"4,keyasint"`
}

type storedEpoch struct {
	ID        []byte `cbor:"1,keyasint"`
	Community []byte `cbor:"2,keyasint"`
	Log       []byte `cbor:"3,keyasint,omitempty"`
	Secret    []byte `cbor:"4,keyasint"`
	Next      uint32 `cbor:"5,keyasint,omitempty"` // next index this node seals with
}

// Marshal encodes the keyring's prekeys, epoch secrets (oldest added
// first) and sending counters. Keep it where the database is (it is
// encrypted at rest).
func (k *Keyring) Marshal() ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var s stored
	for _, p := range k.prekeys {
		s.Prekeys = append(s.Prekeys, storedPrekey{uint16(p.Suite), p.Public, p.Private, p.Created})
	}
	for _, a := range k.order {
		if !k.live(a) {
			continue
		}
		id, e := a.id, k.epochs[a.id]
		se := storedEpoch{ID: id[:], Community: e.Community[:], Secret: e.Secret, Next: k.send[id]}
		if !e.Log.IsZero() {
			se.Log = e.Log[:]
		}
		s.Epochs = append(s.Epochs, se)
	}
	return crdt.Marshal(&s)
}

// LoadKeyring decodes what Marshal wrote.
func LoadKeyring(data []byte) (*Keyring, error) {
	var s stored
	if err := keyringDecoder.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	k := NewKeyring()
	for _, p := range s.Prekeys {
		pk := &Prekey{Suite: Suite(p.Suite), Public: p.Public, Private: p.Private, Created: p.Created}
		if _, err := pk.private(); err != nil {
			return nil, fmt.Errorf("keyring: %w", err)
		}
		k.prekeys = append(k.prekeys, pk)
	}
	for _, e := range s.Epochs {
		if len(e.ID) != crdt.EpochIDSize || len(e.Community) != 32 || (len(e.Log) != 0 && len(e.Log) != 32) || len(e.Secret) != SecretSize {
			return nil, fmt.Errorf("keyring: malformed epoch")
		}
		ek := &EpochKey{ID: crdt.EpochID(e.ID), Community: crdt.ID(e.Community), Secret: e.Secret}
		if len(e.Log) != 0 {
			ek.Log = crdt.ID(e.Log)
		}
		if old := k.epochs[ek.ID]; old != nil {
			k.drop(old.ID) // a repeated id: the later one stands
		}
		if k.put(ek) && e.Next != 0 {
			k.send[ek.ID] = e.Next
		}
	}
	return k, nil
}

// AddPrekey adds a prekey of this node, forgetting the oldest beyond
// MaxPrekeys.
func (k *Keyring) AddPrekey(p *Prekey) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.prekeys = append(k.prekeys, p)
	if len(k.prekeys) > MaxPrekeys {
		k.prekeys = slices.Delete(k.prekeys, 0, len(k.prekeys)-MaxPrekeys)
	}
}

// Prekey returns the newest prekey, nil if there is none.
func (k *Keyring) Prekey() *Prekey {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.prekeys) == 0 {
		return nil
	}
	return k.prekeys[len(k.prekeys)-1]
}

// UnwrapAny tries every prekey of this node of suite s.
func (k *Keyring) UnwrapAny(s Suite, info, wrapped []byte) ([]byte, error) {
	k.mu.Lock()
	ps := slices.Clone(k.prekeys)
	k.mu.Unlock()
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i].Suite != s {
			continue
		}
		if secret, err := ps[i].Unwrap(info, wrapped); err == nil {
			return secret, nil
		}
	}
	return nil, fmt.Errorf("%w: no prekey of this node opens the wrap", ErrDecrypt)
}

// AddEpoch records an epoch secret; it reports whether it was new (and
// held: a full keyring may have to refuse it, see Keyring).
func (k *Keyring) AddEpoch(e EpochKey) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.epochs[e.ID]; ok {
		return false
	}
	e.Secret = bytes.Clone(e.Secret)
	return k.put(&e)
}

// Rebind names the community of an epoch drawn before its community
// existed (the founder's first control epoch, which seals the genesis op).
func (k *Keyring) Rebind(id crdt.EpochID, community crdt.ID) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if e, ok := k.epochs[id]; ok && e.Community.IsZero() {
		k.perLog[logOf(e)]--
		if k.perLog[logOf(e)] == 0 {
			delete(k.perLog, logOf(e))
		}
		e.Community = community
		k.perLog[logOf(e)]++
	}
}

// Forget drops a held epoch (one found forged).
func (k *Keyring) Forget(id crdt.EpochID) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.drop(id)
}

// Epoch returns a held epoch.
func (k *Keyring) Epoch(id crdt.EpochID) (EpochKey, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.epochs[id]
	if !ok {
		return EpochKey{}, false
	}
	return *e, true
}

// Has reports whether epoch id is held.
func (k *Keyring) Has(id crdt.EpochID) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.epochs[id]
	return ok
}

// Epochs lists the held epochs of one log of a community.
func (k *Keyring) Epochs(community, log crdt.ID) []EpochKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []EpochKey
	for _, e := range k.epochs {
		if e.Community == community && e.Log == log {
			out = append(out, *e)
		}
	}
	slices.SortFunc(out, func(a, b EpochKey) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	return out
}

// Seal encrypts the draft op o's body under epoch id, as author, and
// replaces it with the sealed body; the caller keeps the clear body (the
// op never holds it, see crdt.Opened). o must
// be complete but for its signature: its version, author, sorted parents
// and deps are bound into the ciphertext.
func (k *Keyring) Seal(o *crdt.Op, id crdt.EpochID) error {
	plain := o.Body
	if o.Sealed() {
		return fmt.Errorf("seal: op is already sealed")
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.epochs[id]
	if !ok {
		return fmt.Errorf("seal: epoch %s: %w", id, ErrNoKey)
	}
	if e.Community != o.Community && !(o.Kind == crdt.KindGenesis && o.Community.IsZero()) {
		return fmt.Errorf("seal: epoch %s belongs to another community", id)
	}
	if e.Log != o.Log {
		return fmt.Errorf("seal: epoch %s belongs to another log", id)
	}
	o.Version = crdt.Version
	o.Parents, o.Deps = crdt.SortIDs(o.Parents), crdt.SortIDs(o.Deps)
	idx := k.send[id]
	if idx >= MaxIndex {
		return fmt.Errorf("seal: epoch %s is used up; the group's keys must be renewed", id)
	}
	ckey := chainKey{id, o.Community, o.Author}
	sc, ok := k.sendCk[ckey]
	if !ok || sc.next > idx {
		sc = sendChain{ck: chainStart(e.Secret, o.Community, e.Log, o.Author)}
	}
	for ; sc.next < idx; sc.next++ { // after a restart, walk to the saved index
		_, sc.ck = step(sc.ck)
	}
	mk, next := step(sc.ck)
	a, nonce := aeadOf(mk)
	body, err := crdt.EncodeSealed(id, idx, a.Seal(nil, nonce, plain, o.SealAD()))
	if err != nil {
		return err
	}
	if len(body) > crdt.MaxBodySize {
		return fmt.Errorf("%w: sealed body %d bytes, limit %d", crdt.ErrTooLarge, len(body), crdt.MaxBodySize)
	}
	k.send[id] = idx + 1
	k.sendCk[ckey] = sendChain{next: idx + 1, ck: next}
	o.Body = body
	return nil
}

// Open decrypts sealed op o and returns its clear body. It fails with
// ErrNoKey when the epoch is not held, ErrReplay when the sender's index
// was used before, ErrDecrypt when the ciphertext does not open.
func (k *Keyring) Open(o *crdt.Op) ([]byte, error) {
	s, err := crdt.ParseSealed(o)
	if err != nil {
		return nil, err
	}
	id := s.EpochOf()
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.epochs[id]
	if !ok {
		return nil, fmt.Errorf("epoch %s: %w", id, ErrNoKey)
	}
	if e.Community != o.CommunityID() || e.Log != o.Log {
		return nil, fmt.Errorf("%w: epoch %s belongs to another log", ErrDecrypt, id)
	}
	ckey := chainKey{id, o.Community, o.Author}
	c := k.recv[ckey]
	if c == nil {
		c = &chain{ck: chainStart(e.Secret, o.Community, e.Log, o.Author), skipped: map[uint32][32]byte{}}
		k.recv[ckey] = c
	}
	// Find the message key without moving the chain: only a ciphertext
	// that opens may commit, so a forged header changes nothing.
	var mk [32]byte
	var commit func()
	switch {
	case s.Index < c.next:
		m, ok := c.skipped[s.Index]
		if !ok {
			return nil, fmt.Errorf("%w: index %d of %x", ErrReplay, s.Index, o.Author[:4])
		}
		mk, commit = m, func() { delete(c.skipped, s.Index) }
	case s.Index >= MaxIndex:
		return nil, fmt.Errorf("%w: index %d beyond an epoch's %d", ErrDecrypt, s.Index, MaxIndex)
	default:
		ck := c.ck
		var skipped [][32]byte
		from := c.next
		if s.Index-from > MaxSkipped { // only the newest skipped keys are kept
			from = s.Index - MaxSkipped
		}
		for i := c.next; i < s.Index; i++ {
			var m [32]byte
			m, ck = step(ck)
			if i >= from {
				skipped = append(skipped, m)
			}
		}
		var next [32]byte
		mk, next = step(ck)
		commit = func() {
			for j, m := range skipped {
				c.keep(from+uint32(j), m)
			}
			c.next, c.ck = s.Index+1, next
		}
	}
	box, nonce := aeadOf(mk)
	plain, err := box.Open(nil, nonce, s.Ciphertext, o.SealAD())
	if err != nil {
		return nil, fmt.Errorf("%w: op %s", ErrDecrypt, o.ID().Short())
	}
	commit()
	return plain, nil
}

func (c *chain) keep(i uint32, mk [32]byte) {
	c.skipped[i] = mk
	c.order = append(c.order, i)
	for len(c.skipped) > MaxSkipped && len(c.order) > 0 {
		delete(c.skipped, c.order[0])
		c.order = c.order[1:]
	}
	if len(c.order) > 4*MaxSkipped { // indices opened since were left behind
		c.order = slices.DeleteFunc(c.order, func(j uint32) bool { _, ok := c.skipped[j]; return !ok })
	}
}
