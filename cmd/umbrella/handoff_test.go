package main

import (
	"bufio"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// opened collects what a handoff passes to the app.
type opened chan string

func (o opened) open(link string) { o <- link }

func (o opened) next(t *testing.T) string {
	t.Helper()
	select {
	case l := <-o:
		return l
	default:
		t.Fatal("the app was not asked to open anything")
		return ""
	}
}

const testLink = "umbrella://join/ogFZAYaoAQECWCCEEaRw"

func TestHandoff(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home") // not there yet, as on a first run
	if err := sendHandoff(home, testLink); !errors.Is(err, errNotRunning) {
		t.Fatalf("send with no app: %v, want errNotRunning", err)
	}

	got := make(opened, 4)
	h, err := listenHandoff(home, got.open)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	st, err := os.Stat(handoffPath(home))
	if err != nil || st.Mode().Perm() != 0o600 || st.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket: %v %v, want a socket with mode 0600", st.Mode(), err)
	}

	if err := sendHandoff(home, testLink); err != nil {
		t.Fatalf("send: %v", err)
	}
	if l := got.next(t); l != testLink {
		t.Fatalf("the app opened %q, want %q", l, testLink)
	}
	if err := sendHandoff(home, ""); err != nil {
		t.Fatalf("send to bring the window forward: %v", err)
	}
	if l := got.next(t); l != "" {
		t.Fatalf("the app opened %q, want nothing (just the window forward)", l)
	}

	if _, err := listenHandoff(home, got.open); !errors.Is(err, errAppRunning) {
		t.Fatalf("a second app on the same home: %v, want errAppRunning", err)
	}

	// Whatever else arrives on the socket is refused and opens nothing.
	for name, line := range map[string]string{
		"not a link":  "https://example.com/join\n",
		"no newline":  testLink,
		"two lines":   "garbage\n" + testLink + "\n",
		"binary junk": "\x00\x01\x02\n",
	} {
		t.Run(name, func(t *testing.T) {
			c, err := net.Dial("unix", handoffPath(home))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write([]byte(line))
			if !strings.HasSuffix(line, "\n") {
				c.(*net.UnixConn).CloseWrite()
			}
			answer, _ := bufio.NewReader(c).ReadString('\n')
			if !strings.HasPrefix(answer, "error: ") {
				t.Fatalf("answer %q, want an error", answer)
			}
			if len(got) != 0 {
				t.Fatalf("the app was asked to open %q", <-got)
			}
		})
	}

	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := os.Stat(handoffPath(home)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket left after Close: %v", err)
	}
	if err := sendHandoff(home, testLink); !errors.Is(err, errNotRunning) {
		t.Fatalf("send after the app closed: %v, want errNotRunning", err)
	}
}

// TestHandoffStaleSocket: an app that died leaves its socket behind; the
// next app replaces it, and a starter is not fooled by it.
func TestHandoffStaleSocket(t *testing.T) {
	home := t.TempDir()
	l, err := net.Listen("unix", handoffPath(home))
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	if _, err := os.Stat(handoffPath(home)); err != nil {
		t.Fatalf("no stale socket to test with: %v", err)
	}
	if err := sendHandoff(home, testLink); !errors.Is(err, errNotRunning) {
		t.Fatalf("send to a stale socket: %v, want errNotRunning", err)
	}
	got := make(opened, 1)
	h, err := listenHandoff(home, got.open)
	if err != nil {
		t.Fatalf("listen over a stale socket: %v", err)
	}
	defer h.Close()
	if err := sendHandoff(home, testLink); err != nil {
		t.Fatal(err)
	}
	if l := got.next(t); l != testLink {
		t.Fatalf("opened %q", l)
	}
}

func TestIsLink(t *testing.T) {
	for s, want := range map[string]bool{
		testLink:                     true,
		"UMBRELLA://join/abc":        true,
		"umbrella://":                false,
		"":                           false,
		"https://umbrella.example/j": false,
		"join/abc":                   false,
		"--home":                     false,
		testLink + "\nsecond":        false,
	} {
		if got := isLink(s); got != want {
			t.Errorf("isLink(%q) = %v, want %v", s, got, want)
		}
	}
}
