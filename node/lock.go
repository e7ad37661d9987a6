package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// homeLock is an exclusive advisory lock on <home>/lock, held while a node
// runs, so two processes never open one database.
type homeLock struct{ f *os.File }

func lockHome(home string) (*homeLock, error) {
	path := filepath.Join(home, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock home: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrHomeInUse, home)
		}
		return nil, fmt.Errorf("lock home: %w", err)
	}
	return &homeLock{f: f}, nil
}

func (l *homeLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	err := l.f.Close()
	l.f = nil
	return err
}
