package homelock

import (
	"errors"
	"testing"
)

// TestAcquire: a held home refuses a second lock with ErrInUse, and is
// free again once released; releasing twice is harmless.
func TestAcquire(t *testing.T) {
	home := t.TempDir()
	l, err := Acquire(home)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(home); !errors.Is(err, ErrInUse) {
		t.Fatalf("second lock: %v, want ErrInUse", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Fatalf("second release: %v", err)
	}
	l2, err := Acquire(home)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	if err := l2.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(home + "/missing/dir"); err == nil || errors.Is(err, ErrInUse) {
		t.Fatalf("lock in a missing directory: %v", err)
	}
}
