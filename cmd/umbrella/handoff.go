package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The app is one per home: a second `umbrella [LINK]` on the same home
// (clicking an umbrella:// link while the app runs, say) hands its link to
// the running app instead of failing on the home's lock. The running app
// listens on a unix socket in the home (mode 0600, removed on exit). The
// protocol is one line each way: the starter sends the link, or an empty
// line to bring the window forward; the app answers "ok", or "error: …".

// handoffName is the socket's name in the home directory.
const handoffName = "app.sock"

// maxHandoffLine bounds what the app reads from a starter; invite links
// are a few hundred bytes to a few KiB.
const maxHandoffLine = 64 << 10

// handoffTimeout bounds one exchange on either side.
const handoffTimeout = 5 * time.Second

var (
	// errNotRunning: no app answers on the home's socket.
	errNotRunning = errors.New("no Umbrella app is running on this home")
	// errAppRunning: another app already listens on the home's socket.
	errAppRunning = errors.New("another Umbrella app is running on this home")
)

func handoffPath(home string) string { return filepath.Join(home, handoffName) }

// isLink reports whether s is an umbrella:// link, which is all the app
// accepts as its argument (what the link holds is checked when joining).
func isLink(s string) bool {
	const scheme = "umbrella://"
	return len(s) > len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) && !strings.ContainsAny(s, "\r\n")
}

// sendHandoff gives link ("" to bring the window forward) to the app
// running on home. It returns errNotRunning when none answers there.
func sendHandoff(home, link string) error {
	c, err := net.DialTimeout("unix", handoffPath(home), handoffTimeout)
	if err != nil {
		return errNotRunning // no socket, or a stale one nobody listens on
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(handoffTimeout))
	if _, err := io.WriteString(c, link+"\n"); err != nil {
		return fmt.Errorf("hand the link to the running Umbrella: %w", err)
	}
	answer, err := bufio.NewReader(io.LimitReader(c, 4096)).ReadString('\n')
	if err != nil {
		return fmt.Errorf("the running Umbrella did not answer: %w", err)
	}
	answer = strings.TrimSpace(answer)
	if answer != "ok" {
		return fmt.Errorf("the running Umbrella refused the link: %s", strings.TrimPrefix(answer, "error: "))
	}
	return nil
}

// handoff is the running app's end of the socket. open is called, on the
// accepting goroutine, with each link a starter hands over ("" to bring
// the window forward); it must not block (the app wraps it in fyne.Do).
type handoff struct {
	l    net.Listener
	open func(link string)
	done chan struct{} // closed when serve returns
	once sync.Once
}

// listenHandoff starts accepting links on home's socket. A socket left by
// an app that died is replaced; one that answers is another app's, and
// listenHandoff returns errAppRunning.
func listenHandoff(home string, open func(link string)) (*handoff, error) {
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	path := handoffPath(home)
	l, err := net.Listen("unix", path)
	if errors.Is(err, syscall.EADDRINUSE) {
		if c, derr := net.DialTimeout("unix", path, time.Second); derr == nil {
			c.Close()
			return nil, errAppRunning
		}
		if rerr := os.Remove(path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			return nil, fmt.Errorf("remove stale %s: %w", path, rerr)
		}
		l, err = net.Listen("unix", path)
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	h := &handoff{l: l, open: open, done: make(chan struct{})}
	go h.serve()
	return h, nil
}

// serve handles starters one at a time; each has handoffTimeout to say
// its line.
func (h *handoff) serve() {
	defer close(h.done)
	for {
		c, err := h.l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // a starter that went away; keep serving
		}
		h.handle(c)
	}
}

func (h *handoff) handle(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(handoffTimeout))
	line, err := bufio.NewReader(io.LimitReader(c, maxHandoffLine)).ReadString('\n')
	if err != nil {
		io.WriteString(c, "error: expected one line ending in a newline\n")
		return
	}
	link := strings.TrimSpace(line)
	if link != "" && !isLink(link) {
		io.WriteString(c, "error: not an umbrella:// link\n")
		return
	}
	h.open(link)
	io.WriteString(c, "ok\n")
}

// Close stops accepting and removes the socket. It is idempotent.
func (h *handoff) Close() error {
	var err error
	h.once.Do(func() {
		err = h.l.Close() // a unix listener removes its socket file
		<-h.done
	})
	return err
}
