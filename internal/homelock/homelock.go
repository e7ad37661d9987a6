// Package homelock holds a home directory exclusively while a member node
// or a relay node runs on it, so two processes never open one database.
package homelock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// ErrInUse: another process has the home directory open.
var ErrInUse = errors.New("home directory is in use by another Umbrella process")

// Lock is an exclusive advisory lock on <home>/lock.
type Lock struct{ f *os.File }

// Acquire takes the lock of home, or fails with ErrInUse if another
// process holds it.
func Acquire(home string) (*Lock, error) {
	path := filepath.Join(home, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock home: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrInUse, home)
		}
		return nil, fmt.Errorf("lock home: %w", err)
	}
	return &Lock{f: f}, nil
}

// Release releases the lock. It is idempotent, and a nil Lock releases
// nothing.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	err := l.f.Close()
	l.f = nil
	return err
}
