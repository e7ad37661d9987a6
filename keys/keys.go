// Package keys is a member node's key manager, the node's part of
// end-to-end encryption (the primitives are in e2ee). A Manager owns:
//
//   - the keyring (e2ee.Keyring), kept in the metadata store under
//     "e2ee/keyring" (which the node encrypts at rest): this node's
//     prekeys, the epoch secrets it may read, its sending counters;
//   - prekey publication: every member publishes a prekey (a clear
//     control op) and a new one every PrekeyLifetime (RotatePrekey does
//     it on demand);
//   - the rotation policy. Each log (the control log, the announcement
//     group, every group) has epochs; a rotation is a run of rekey ops by
//     one admin wrapping a fresh secret to every reader with a prekey.
//     Removing a member rotates every log it could read, before the
//     removal op, which cites the rotation: nobody holds the removal
//     without the new keys. Leaving, losing a rotation, or concurrent
//     removals (each rotation keeps the other's target) leave a log
//     "stale": its epoch was wrapped to someone who may no longer read it.
//     The first online admin (admins take turns by a deterministic order
//     per epoch, AdminTurn) then rotates afresh; old keys are never
//     combined. Epochs also end after RotateAfter or RotateEvery messages;
//   - key shares: an admin who adds a member (to a group, or directly to
//     the community) wraps it the logs' epochs in the same action (share
//     ops, share.go), so it reads from any holder of the control log, a
//     relay included; a member without a prekey in the rotation (a
//     joiner, a member whose prekey had not arrived) asks any member
//     (wire.KindKeys, answered by AnswerKeys), so joining needs no admin
//     online;
//   - the communities' topic secrets (secrets.go).
//
// While a log is stale nothing is sealed under its old epoch: Seal fails
// with api.ErrKeysRenewing until an admin rotates.
//
// The Manager implements replica.Sealer. The replica calls Seal and Open
// under its lock, so the Manager never calls into the replica while it
// holds a lock of its own, and nothing it does from Seal or Open waits for
// the replica. It never opens a stream or dials: it reaches peers only
// through the Peers it is given, and it never reads the wall clock but
// through Config.Now.
package keys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// Replica is what the manager reads of the communities held and how it
// hands the replica the keys ops wait for. *replica.Replica implements it.
type Replica interface {
	// Communities lists the communities held.
	Communities() []crdt.ID
	// View calls fn with community cid under the replica's lock.
	View(cid crdt.ID, fn func(*crdt.Community) error) error
	// KeyArrived accepts the ops that waited for epoch e.
	KeyArrived(ctx context.Context, e crdt.EpochID) ([]*crdt.Op, error)
	// WaitingForKeys reports whether some ops wait for an epoch key.
	WaitingForKeys() bool
}

var _ Replica = (*replica.Replica)(nil)

// Meta is the store of node-local records: the keyring and the topic
// secrets. A missing key's error wraps store.ErrNotFound.
type Meta interface {
	GetMeta(ctx context.Context, key string) ([]byte, error)
	PutMeta(ctx context.Context, key string, value []byte) error
}

var _ Meta = store.OpStore(nil)

// Author writes this node's control ops (rekey and prekey ops): it signs,
// ingests, stores durably and publishes them.
type Author interface {
	Author(ctx context.Context, cid, log crdt.ID, kind crdt.Kind, body []byte) (*crdt.Op, error)
}

// Peers is how the manager reaches other members.
type Peers interface {
	// Request sends req (wire.KindKeys or wire.KindSecret) to peer p and
	// returns its response.
	Request(ctx context.Context, p peer.ID, req *wire.Request) (*wire.Response, error)
	// Members lists the connected peers that are members of community cid.
	Members(cid crdt.ID) []peer.ID
	// Pull fetches from p, in the background, what it may send of cid.
	Pull(p peer.ID, cid crdt.ID)
}

// Listener hears what the manager changed beyond the keys.
type Listener interface {
	// Accepted is told of ops the replica accepted once their key arrived.
	Accepted(res replica.Result)
	// SecretAdded is told that community cid's topic secret is now held
	// (the node subscribes to its topics); its error is SetSecret's.
	SecretAdded(cid crdt.ID) error
}

// Config configures a Manager. Every field but Logger is required.
type Config struct {
	// Self is this node's member key.
	Self crdt.PublicKey
	// Suite is the KEM of this node's prekeys.
	Suite e2ee.Suite
	// RotateAfter and RotateEvery end an epoch after that long or that
	// many ops; PrekeyLifetime is how long a prekey is published.
	RotateAfter    time.Duration
	RotateEvery    int
	PrekeyLifetime time.Duration
	// Now is the clock.
	Now func() time.Time
	// Logger receives logs; nil discards them.
	Logger *slog.Logger

	Replica  Replica
	Meta     Meta
	Author   Author
	Peers    Peers
	Listener Listener
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.Suite != e2ee.X25519 && c.Suite != e2ee.Hybrid {
		return fmt.Errorf("keys: unknown suite %#04x", uint16(c.Suite))
	}
	if c.RotateAfter <= 0 || c.RotateEvery <= 0 || c.PrekeyLifetime <= 0 {
		return errors.New("keys: rotation intervals must be positive")
	}
	if c.Now == nil || c.Replica == nil || c.Meta == nil || c.Author == nil || c.Peers == nil || c.Listener == nil {
		return errors.New("keys: Now, Replica, Meta, Author, Peers and Listener are required")
	}
	return nil
}

// Manager owns a node's keys and their lifecycle (see the package
// comment). It is safe for concurrent use. Its goroutines start with Start
// and with the work it is given, and end at Close.
type Manager struct {
	cfg      Config
	log      *slog.Logger
	ring     *e2ee.Keyring
	rotateMu sync.Mutex   // one rotation at a time
	budget   atomic.Int64 // bytes of wraps per rekey op

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// mu is a leaf lock: nothing is called out of the package while it is
	// held (Seal takes it under the replica's lock).
	mu         sync.Mutex
	closed     bool                      // no goroutine starts any more; guarded by mu
	epochCount map[crdt.EpochID]int      // ops sealed under each epoch seen since start; guarded by mu
	dueAt      map[dutyKey]time.Time     // when this node's turn to rotate a log comes; guarded by mu
	kicked     map[crdt.ID]bool          // key maintenance scheduled; guarded by mu
	asked      map[crdt.ID]time.Time     // when keys were last asked for; guarded by mu
	askedFor   map[crdt.ID]epochSet      // the epochs lacking at that ask; guarded by mu
	retry      map[crdt.ID]time.Duration // back-off of the next ask; guarded by mu
	retryOn    map[crdt.ID]bool          // an ask is scheduled; guarded by mu

	secretsMu sync.Mutex
	secrets   map[crdt.ID][]byte // topic secrets; guarded by secretsMu
}

var _ replica.Sealer = (*Manager)(nil)

// epochSet is a set of epochs.
type epochSet = map[crdt.EpochID]bool

const keyringMeta = "e2ee/keyring"

// New loads the keyring (drawing a prekey on first use or when the suite
// changed) and the topic secrets of the communities held.
func New(ctx context.Context, cfg Config) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{cfg: cfg, log: log.With("component", "keys"),
		epochCount: map[crdt.EpochID]int{}, dueAt: map[dutyKey]time.Time{}, kicked: map[crdt.ID]bool{},
		asked: map[crdt.ID]time.Time{}, askedFor: map[crdt.ID]epochSet{}, retry: map[crdt.ID]time.Duration{}, retryOn: map[crdt.ID]bool{},
		secrets: map[crdt.ID][]byte{}}
	m.budget.Store(DefaultWrapBudget)
	m.ctx, m.cancel = context.WithCancel(context.Background())
	if err := m.loadKeys(ctx); err != nil {
		m.cancel()
		return nil, fmt.Errorf("load keys: %w", err)
	}
	if err := m.loadSecrets(ctx); err != nil {
		m.cancel()
		return nil, fmt.Errorf("load topic secrets: %w", err)
	}
	return m, nil
}

// Start looks at every community held for wraps to open and rotations
// left from an earlier run.
func (m *Manager) Start() {
	for _, cid := range m.cfg.Replica.Communities() {
		m.Kick(cid)
	}
}

// Tick does the periodic work: a new prekey when the newest is old, and
// the rotations whose turn came. The node calls it on every sync tick.
func (m *Manager) Tick() {
	m.maybeRotatePrekey()
	for _, cid := range m.cfg.Replica.Communities() {
		m.Kick(cid)
	}
}

// Close stops the manager's goroutines and waits for them. It is
// idempotent. The keys stay usable (Seal, Open) after it.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.cancel()
	m.wg.Wait()
}

// goLocked runs fn in a tracked goroutine unless the manager is closed.
// m.mu must be held.
func (m *Manager) goLocked(fn func()) bool {
	if m.closed {
		return false
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		fn()
	}()
	return true
}

// after runs fn after wait unless the manager closes first.
func (m *Manager) afterLocked(wait time.Duration, fn func()) bool {
	return m.goLocked(func() {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
		}
		fn()
	})
}

// loadKeys reads the keyring, drawing a prekey on first use.
func (m *Manager) loadKeys(ctx context.Context) error {
	raw, err := m.cfg.Meta.GetMeta(ctx, keyringMeta)
	switch {
	case errors.Is(err, store.ErrNotFound):
		m.ring = e2ee.NewKeyring()
	case err != nil:
		return err
	default:
		if m.ring, err = e2ee.LoadKeyring(raw); err != nil {
			return err
		}
	}
	if p := m.ring.Prekey(); p == nil || p.Suite != m.cfg.Suite {
		return m.newPrekey(ctx)
	}
	return nil
}

func (m *Manager) newPrekey(ctx context.Context) error {
	p, err := e2ee.NewPrekey(m.cfg.Suite, m.cfg.Now().UnixMilli())
	if err != nil {
		return err
	}
	m.ring.AddPrekey(p)
	return m.save(ctx)
}

// save writes the keyring. Snapshot and write happen under one lock: an
// older snapshot written after a newer one would lose an epoch or set a
// sending counter back, and a counter set back reuses message keys.
func (m *Manager) save(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	raw, err := m.ring.Marshal()
	if err != nil {
		return err
	}
	return m.cfg.Meta.PutMeta(ctx, keyringMeta, raw)
}

// Seal implements replica.Sealer: o is sealed under its log's current
// epoch. It runs under the replica's lock and must not call into it.
func (m *Manager) Seal(c *crdt.Community, o *crdt.Op) error {
	st := c.State()
	if st.Role(o.Author) == crdt.RoleNone {
		return fmt.Errorf("%w: not a member of this community (any more)", crdt.ErrUnauthorized)
	}
	e := st.Current[o.Log]
	if e == nil {
		return fmt.Errorf("%w (the group has no keys yet)", api.ErrNoKeys)
	}
	if !m.ring.Has(e.ID) {
		return api.ErrNoKeys
	}
	if o.Kind == crdt.KindRemove && e.Reason == crdt.RekeyRemoval && e.By == o.Author {
		// The removal follows its own rotation and is sealed under the
		// epoch before it, so the removed member learns it was removed;
		// it reads nothing written after.
		if all := st.EpochsOf(crdt.ZeroID); len(all) > 1 && m.ring.Has(all[len(all)-2].ID) {
			e = all[len(all)-2]
		}
	} else if st.Stale(o.Log) {
		return api.ErrKeysRenewing
	}
	if err := m.ring.Seal(o, e.ID); err != nil {
		return err
	}
	if err := m.save(m.ctx); err != nil { // the sending counter must never go back
		return fmt.Errorf("save keys: %w", err)
	}
	m.counted(c.ID(), e.ID)
	return nil
}

// Open implements replica.Sealer.
func (m *Manager) Open(o *crdt.Op) ([]byte, error) {
	plain, err := m.ring.Open(o)
	if err == nil {
		if s, perr := crdt.ParseSealed(o); perr == nil {
			m.counted(o.CommunityID(), s.EpochOf())
		}
	}
	return plain, err
}

// SealGenesis seals draft, the genesis op of a community this node
// founds, under a fresh epoch of its control log, drawn before the
// community (and its id) exists. Once the op is signed, Bind names the
// epoch's community; the founder's first rekey op (WriteEpoch) then wraps
// the secret, and joiners get it from any member.
func (m *Manager) SealGenesis(draft *crdt.Op) (crdt.EpochID, []byte, error) {
	id, secret := e2ee.NewEpoch()
	m.ring.AddEpoch(e2ee.EpochKey{ID: id, Secret: secret})
	if err := m.ring.Seal(draft, id); err != nil {
		m.ring.Forget(id)
		return id, nil, err
	}
	return id, secret, nil
}

// Bind names community cid as the one epoch id, drawn by SealGenesis,
// belongs to, and saves the keyring.
func (m *Manager) Bind(ctx context.Context, id crdt.EpochID, cid crdt.ID) error {
	m.ring.Rebind(id, cid)
	return m.save(ctx)
}

// Keyring returns the keyring itself, for tests that inspect or plant
// keys; everything else goes through the manager.
func (m *Manager) Keyring() *e2ee.Keyring { return m.ring }

// SetWrapBudget sets how many bytes of wraps one rekey op carries (tests
// lower it to split small rotations into several ops).
func (m *Manager) SetWrapBudget(bytes int) { m.budget.Store(int64(bytes)) }

// counted notes one more op sealed under epoch e of community cid, for
// rotation by count. Each time the count reaches a multiple of
// RotateEvery the key duties are looked at at once: a busy group must not
// wait for the next sync tick, or a sender could use up the epoch's
// 65,536 keys first.
func (m *Manager) counted(cid crdt.ID, e crdt.EpochID) {
	m.mu.Lock()
	m.epochCount[e]++
	due := m.epochCount[e]%m.cfg.RotateEvery == 0
	m.mu.Unlock()
	if due {
		m.Kick(cid)
	}
}

func (m *Manager) epochOps(e crdt.EpochID) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.epochCount[e]
}

// Kick runs key maintenance for community cid soon, once at a time per
// community: forged secrets dropped, wraps to this node opened, missing
// keys asked for, prekey published, rotations whose turn came done.
func (m *Manager) Kick(cid crdt.ID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.kicked[cid] {
		return
	}
	m.kicked[cid] = m.goLocked(func() {
		m.mu.Lock()
		delete(m.kicked, cid)
		m.mu.Unlock()
		m.dropForged(cid)
		m.absorbWraps(m.ctx, cid)
		m.askKeys(cid)
		m.maintain(m.ctx, cid)
	})
}
