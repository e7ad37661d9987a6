package node

import (
	"crypto/rand"
	"errors"
	"log/slog"
	"sync"

	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/identity/keyfile"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/reach"
)

// RelayConfig configures a relay node.
type RelayConfig struct {
	// Home holds the relay's identity (created on first start) and lock, so
	// its address, which invites name, survives restarts. Required.
	Home string
	// Listen lists multiaddrs to listen on. Required.
	Listen []string
	// Logger receives logs; nil discards them.
	Logger *slog.Logger
}

// Relay is a relay node: the circuit relay v2 service (reach.Relay) on
// the identity in its home, which it holds locked while it runs. It holds
// no community data (store-and-forward is a later step).
type Relay struct {
	*reach.Relay
	lock *homeLock
	once sync.Once
	err  error
}

// OpenRelay starts a relay on cfg.Home, creating its identity if needed.
func OpenRelay(cfg RelayConfig) (*Relay, error) {
	if cfg.Home == "" {
		return nil, errors.New("relay: Home is required")
	}
	if !keyfile.Exists(cfg.Home) {
		id, err := identity.Generate(rand.Reader, "relay")
		if err != nil {
			return nil, err
		}
		if err := keyfile.Save(cfg.Home, id); err != nil {
			return nil, err
		}
	}
	id, err := keyfile.Load(cfg.Home)
	if err != nil {
		return nil, err
	}
	lock, err := lockHome(cfg.Home)
	if err != nil {
		return nil, err
	}
	r, err := reach.OpenRelay(reach.RelayConfig{Key: peerkey.PrivKey(id), Listen: cfg.Listen, Logger: cfg.Logger})
	if err != nil {
		lock.release()
		return nil, err
	}
	return &Relay{Relay: r, lock: lock}, nil
}

// Close stops the relay and releases its home. It is idempotent.
func (r *Relay) Close() error {
	r.once.Do(func() { r.err = errors.Join(r.Relay.Close(), r.lock.release()) })
	return r.err
}
