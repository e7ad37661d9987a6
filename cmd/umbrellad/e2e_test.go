package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/identity/keyfile"
	"github.com/umbrella-p2p/umbrella/internal/proctest"
	"github.com/umbrella-p2p/umbrella/sync/join"
)

// daemonBin is the umbrellad binary built once for the end-to-end tests.
var daemonBin string

func buildDaemon(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test starts real daemons; skipped with -short (make test runs it)")
	}
	if daemonBin != "" {
		return daemonBin
	}
	dir, err := os.MkdirTemp("", "umbrellad-e2e")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "umbrellad")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build umbrellad: %v\n%s", err, out)
	}
	daemonBin = bin
	return bin
}

// daemon is one umbrellad home, served by a child process while running.
type daemon struct {
	t    *testing.T
	bin  string
	home string
	proc *exec.Cmd
	log  *bytes.Buffer
}

func newDaemon(t *testing.T, name string) *daemon {
	d := &daemon{t: t, bin: buildDaemon(t), home: filepath.Join(t.TempDir(), name)}
	d.mustRun("init", "--name", name)
	return d
}

// cli runs one command and returns stdout, stderr and the exit code.
func (d *daemon) cli(args ...string) (string, string, int) {
	d.t.Helper()
	cmd := exec.Command(d.bin, append(args, "--home", d.home)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		d.t.Fatalf("run %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

func (d *daemon) mustRun(args ...string) string {
	d.t.Helper()
	out, errOut, code := d.cli(args...)
	if code != 0 {
		d.t.Fatalf("umbrellad %v: exit %d: %s", args, code, errOut)
	}
	return out
}

// jsonRun runs a command with --json and decodes its output into v.
func (d *daemon) jsonRun(v any, args ...string) {
	d.t.Helper()
	out := d.mustRun(append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		d.t.Fatalf("umbrellad %v: output is not JSON: %v\n%s", args, err, out)
	}
}

// start runs `serve` with extra flags (by default it listens on loopback
// TCP and QUIC) and waits until the control socket answers. If the test
// fails, the daemon's status and its log (at debug level when
// $UMBRELLA_E2E_DEBUG is set) are printed, for each run of it.
func (d *daemon) start(extra ...string) {
	d.t.Helper()
	d.log = new(bytes.Buffer)
	args := []string{"serve", "--home", d.home, "--no-mdns"}
	if os.Getenv("UMBRELLA_E2E_DEBUG") != "" {
		args = append(args, "--log-level", "debug")
	}
	if !slices.Contains(extra, "--no-listen") {
		args = append(args, "--listen", "/ip4/127.0.0.1/tcp/0", "--listen", "/ip4/127.0.0.1/udp/0/quic-v1")
	}
	d.proc = exec.Command(d.bin, append(args, extra...)...)
	d.proc.Stdout, d.proc.Stderr = d.log, d.log
	if err := d.proc.Start(); err != nil {
		d.t.Fatal(err)
	}
	proc, log := d.proc, d.log
	d.t.Cleanup(func() {
		running := proc.ProcessState == nil
		if running && d.t.Failed() {
			status, _, _ := d.cli("status", "--json")
			d.t.Logf("status of %s (pid %d) when the test failed:\n%s", d.home, proc.Process.Pid, status)
		}
		if running {
			proc.Process.Kill()
			proc.Wait()
		}
		if d.t.Failed() {
			d.t.Logf("log of %s (pid %d):\n%s", d.home, proc.Process.Pid, log)
		}
	})
	proctest.Eventually(d.t, 20*time.Second, "daemon "+d.home+" to answer", func() bool {
		_, _, code := d.cli("communities")
		return code == 0
	})
}

// stop sends SIGTERM and waits for a clean exit.
func (d *daemon) stop() {
	d.t.Helper()
	d.proc.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- d.proc.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			d.t.Fatalf("daemon exited with %v:\n%s", err, d.log)
		}
	case <-time.After(20 * time.Second):
		d.proc.Process.Kill()
		d.t.Fatalf("daemon did not stop on SIGTERM:\n%s", d.log)
	}
}

type msg struct {
	ID         string `json:"id"`
	Author     string `json:"author"`
	AuthorName string `json:"author_name"`
	Text       string `json:"text"`
	Time       string `json:"time"`
}

func (d *daemon) messages(c, g string) []msg {
	var ms []msg
	d.jsonRun(&ms, "messages", "--community", c, "--group", g)
	return ms
}

func texts(ms []msg) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.AuthorName+": "+m.Text)
	}
	return out
}

// TestE2ETwoDaemons drives two real daemons on 127.0.0.1 through the CLI:
// create, invite, join, post both ways, restart both, and find the history
// intact and still flowing.
func TestE2ETwoDaemons(t *testing.T) {
	a, b := newDaemon(t, "Olivia"), newDaemon(t, "Ben")
	a.start()
	b.start()

	var self struct {
		PeerID string   `json:"peer_id"`
		Name   string   `json:"name"`
		Addrs  []string `json:"addrs"`
	}
	a.jsonRun(&self, "id")
	if self.Name != "Olivia" || !strings.HasPrefix(self.PeerID, "12D3Koo") || len(self.Addrs) == 0 {
		t.Fatalf("id: %+v", self)
	}

	var comm struct {
		Community string `json:"community"`
		Name      string `json:"name"`
	}
	a.jsonRun(&comm, "community", "create", "--name", "Glow Team")
	var inv struct {
		Link string `json:"link"`
	}
	a.jsonRun(&inv, "invite", "create", "--community", comm.Community)
	var joined struct {
		Community string `json:"community"`
		Name      string `json:"name"`
	}
	b.jsonRun(&joined, "join", "--link", inv.Link)
	if joined.Community != comm.Community || joined.Name != "Glow Team" {
		t.Fatalf("joined %+v, want %+v", joined, comm)
	}
	var groups []struct{ ID, Name, Kind string }
	a.jsonRun(&groups, "groups", "--community", comm.Community)
	if len(groups) != 2 || groups[0].Kind != "announcement" || groups[1].Kind != "group" || groups[1].Name != "General" {
		t.Fatalf("groups: %+v", groups)
	}
	gid := groups[1].ID

	a.mustRun("post", "--community", comm.Community, "--group", gid, "--text", "Welcome to the team, Ben!")
	proctest.Eventually(t, 10*time.Second, "b to receive a's message", func() bool { return len(b.messages(comm.Community, gid)) == 1 })
	b.mustRun("post", "--community", comm.Community, "--group", gid, "--text", "Thanks! Excited to start.")
	proctest.Eventually(t, 10*time.Second, "a to receive b's message", func() bool { return len(a.messages(comm.Community, gid)) == 2 })
	want := []string{"Olivia: Welcome to the team, Ben!", "Ben: Thanks! Excited to start."}
	for _, d := range []*daemon{a, b} {
		if got := texts(d.messages(comm.Community, gid)); !slices.Equal(got, want) {
			t.Fatalf("%s shows %q, want %q", d.home, got, want)
		}
	}

	a.stop()
	b.stop()
	a.start()
	b.start()
	for _, d := range []*daemon{a, b} {
		if got := texts(d.messages(comm.Community, gid)); !slices.Equal(got, want) {
			t.Fatalf("after restart %s shows %q, want %q", d.home, got, want)
		}
	}
	// The restarted daemons find each other again without a new invite.
	b.mustRun("post", "--community", comm.Community, "--group", gid, "--text", "Still here after a restart")
	proctest.Eventually(t, 20*time.Second, "a to receive b's post after restart", func() bool { return len(a.messages(comm.Community, gid)) == 3 })
}

// TestE2EBadInput: every kind of bad input gets a clear error and a
// non-zero exit, and nothing crashes.
func TestE2EBadInput(t *testing.T) {
	a := newDaemon(t, "Olivia")
	a.start()
	var comm struct {
		Community string `json:"community"`
	}
	a.jsonRun(&comm, "community", "create", "--name", "Glow Team")
	var inv struct {
		Link string `json:"link"`
	}
	a.jsonRun(&inv, "invite", "create", "--community", comm.Community)
	flipped := []byte(inv.Link)
	mid := len(join.ShortPrefix) + (len(flipped)-len(join.ShortPrefix))/2 // fails the link's check
	if flipped[mid] == 'A' {
		flipped[mid] = 'B'
	} else {
		flipped[mid] = 'A'
	}

	b := newDaemon(t, "Ben")
	b.start()
	cases := []struct {
		name     string
		d        *daemon
		args     []string
		wantCode int
		wantErr  string
	}{
		{"garbage link", b, []string{"join", "--link", "garbage"}, 1, "invalid invite link"},
		{"flipped link", b, []string{"join", "--link", string(flipped)}, 1, "invalid invite link"},
		{"missing community", a, []string{"groups"}, 2, "--community is required"},
		{"malformed community", a, []string{"groups", "--community", "xyz"}, 2, "want 64 hex digits"},
		{"unknown community", a, []string{"groups", "--community", strings.Repeat("ab", 32)}, 1, "unknown community"},
		{"empty post", a, []string{"post", "--community", comm.Community, "--group", comm.Community, "--text", "  "}, 2, "--text is required"},
		{"unknown group", a, []string{"post", "--community", comm.Community, "--group", strings.Repeat("cd", 32), "--text", "hi"}, 1, "no such group"},
		{"unknown command", a, []string{"frobnicate"}, 2, "unknown command"},
		{"post not UTF-8", a, []string{"post", "--community", comm.Community, "--group", comm.Community, "--text", "caf\xe9"}, 2, "--text is not valid UTF-8"},
		{"community name not UTF-8", a, []string{"community", "create", "--name", "Glow \xff"}, 2, "--name is not valid UTF-8"},
		{"display name not UTF-8", a, []string{"name", "set", "--name", "Oliv\xc3"}, 2, "--name is not valid UTF-8"},
		{"second serve on a home in use", a, []string{"serve", "--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0"}, 1, "already in use"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := tc.d.cli(tc.args...)
			if code != tc.wantCode || !strings.Contains(errOut, tc.wantErr) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, tc.wantCode, tc.wantErr)
			}
		})
	}

	t.Run("no daemon", func(t *testing.T) {
		c := newDaemon(t, "Chloe")
		_, errOut, code := c.cli("communities")
		if code != 1 || !strings.Contains(errOut, "no umbrellad is running") {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("corrupt key file", func(t *testing.T) {
		c := newDaemon(t, "Chloe")
		os.WriteFile(filepath.Join(c.home, keyfile.KeyFile), []byte("garbage"), 0o600)
		_, errOut, code := c.cli("serve", "--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0")
		if code != 1 || !strings.Contains(errOut, "corrupt key file") {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("key file readable by others", func(t *testing.T) {
		c := newDaemon(t, "Dana")
		os.Chmod(filepath.Join(c.home, keyfile.KeyFile), 0o644)
		_, errOut, code := c.cli("serve", "--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0")
		if code != 1 || !strings.Contains(errOut, "permissions too open") {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	})
}
