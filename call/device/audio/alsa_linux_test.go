package audio

import (
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestALSAQuiet: opening sound on the system's backends writes nothing of
// ALSA's to stderr. On a computer with no sound card (this test's
// usual machine) ALSA's configuration fails to find card 0 and, unless
// silenced, writes some thirty "ALSA lib" lines while sound opens; with
// a card there is nothing to write either way.
func TestALSAQuiet(t *testing.T) {
	out, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	saved, err := syscall.Dup(2)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Dup3(int(out.Fd()), 2, 0); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			_ = syscall.Dup3(saved, 2, 0)
			_ = syscall.Close(saved)
		}()
		s, err := New(BackendDefault, nil)
		if err != nil {
			return // no sound system: nothing was opened
		}
		defer s.Close()
		_, _ = s.Microphones()
		_, _ = s.Speakers()
		if p, err := s.OpenPlayback(""); err == nil {
			_ = p.Close()
		}
		if c, err := s.OpenCapture(""); err == nil {
			_ = c.Close()
		}
	}()
	written, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(written), "ALSA lib"); n > 0 {
		t.Fatalf("opening sound wrote %d lines of ALSA's to stderr:\n%s", n, written)
	}
}
