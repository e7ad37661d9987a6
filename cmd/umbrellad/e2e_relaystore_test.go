package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/internal/proctest"
)

// relayProc is a running `umbrellad relay`.
type relayProc struct {
	t    *testing.T
	home string
	proc *exec.Cmd
	addr string // its /p2p/ address
}

// runRelay starts `umbrellad relay` on home, listening on listen, with
// extra flags.
func runRelay(t *testing.T, home, listen string, extra ...string) *relayProc {
	t.Helper()
	proc := exec.Command(buildDaemon(t), append([]string{"relay", "--home", home, "--listen", listen, "--json"}, extra...)...)
	out, err := proc.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	proc.Stderr = &logs
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if proc.ProcessState == nil {
			proc.Process.Kill()
			proc.Wait()
		}
		if t.Failed() {
			t.Logf("relay log:\n%s", logs.String())
		}
	})
	var info struct {
		Addrs []string `json:"addrs"`
	}
	if err := json.NewDecoder(bufio.NewReader(out)).Decode(&info); err != nil || len(info.Addrs) == 0 {
		t.Fatalf("relay did not print its addresses: %v %+v", err, info)
	}
	return &relayProc{t: t, home: home, proc: proc, addr: info.Addrs[0]}
}

// stop sends SIGTERM and waits for the relay to exit.
func (r *relayProc) stop() {
	r.t.Helper()
	r.proc.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- r.proc.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			r.t.Fatalf("relay exited with %v", err)
		}
	case <-time.After(20 * time.Second):
		r.proc.Process.Kill()
		r.t.Fatal("relay did not stop on SIGTERM")
	}
}

// relays is d's view of the community's relays.
func relays(d *daemon, c string) []api.RelayState {
	var rs []api.RelayState
	d.jsonRun(&rs, "community", "relays", "--community", c)
	return rs
}

// pushedSince waits until d's last push to the community's one relay was
// answered after since: the relay took what d wrote before since.
func pushedSince(t *testing.T, d *daemon, c string, since time.Time) {
	t.Helper()
	proctest.Eventually(t, 40*time.Second, d.home+"'s push to the relay", func() bool {
		rs := relays(d, c)
		return len(rs) == 1 && rs[0].Online && rs[0].Refused == "" && rs[0].LastPush != nil && rs[0].LastPush.After(since)
	})
}

// TestE2EMembersNeverOnlineTogether: the Olivia/Ben/Dev story with real
// processes. After Ben joins, the two are never online at the same time:
// posts, reactions and poll votes travel both ways through `umbrellad
// relay` alone, which restarts in between, and what it holds (relay dump,
// its home) contains none of the plaintext. Then Dev joins with a link
// Olivia made before she stopped, with only the relay up, and reads it
// all.
func TestE2EMembersNeverOnlineTogether(t *testing.T) {
	rHome := filepath.Join(t.TempDir(), "relay")
	r := runRelay(t, rHome, "/ip4/127.0.0.1/tcp/0")
	a, b := newDaemon(t, "Olivia"), newDaemon(t, "Ben")
	a.start()
	b.start()
	var comm api.Community
	a.jsonRun(&comm, "community", "create", "--name", "Glow Team")
	c := comm.ID.String()
	var res map[string]bool
	a.jsonRun(&res, "community", "relay", "add", "--community", c, "--relay", r.addr)
	if !res["ok"] {
		t.Fatalf("relay add answered %v", res)
	}
	var inv struct{ Link string }
	a.jsonRun(&inv, "invite", "create", "--community", c)
	var joined api.Community
	b.jsonRun(&joined, "join", "--link", inv.Link)
	var groups []api.Group
	a.jsonRun(&groups, "groups", "--community", c)
	var gid string
	for _, g := range groups {
		if g.Name == api.DefaultGroupName {
			gid = g.ID.String()
		}
	}
	b.stop()

	secret := "Monday call at 7, code PLAINTEXT-7A1C"
	since := time.Now()
	var posted, poll struct{ ID string }
	a.jsonRun(&posted, "post", "--community", c, "--group", gid, "--text", secret)
	a.jsonRun(&poll, "poll", "create", "--community", c, "--group", gid, "--question", "Best time for training?", "--option", "Morning", "--option", "Evening")
	pushedSince(t, a, c, since)
	a.stop()

	// What the relay holds is ciphertext.
	r.stop()
	var dump []map[string]string
	out, err := exec.Command(buildDaemon(t), "relay", "dump", "--home", rHome, "--community", c, "--json").Output()
	if err != nil {
		t.Fatalf("relay dump: %v", err)
	}
	if err := json.Unmarshal(out, &dump); err != nil {
		t.Fatalf("relay dump: %v: %s", err, out)
	}
	messages := 0
	for _, op := range dump {
		body, err := base64.StdEncoding.DecodeString(op["body_b64"])
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(body, []byte("PLAINTEXT-7A1C")) {
			t.Fatalf("the relay holds the post's plaintext in op %s (%s)", op["id"], op["kind"])
		}
		if op["kind"] == "message" {
			messages++
		}
	}
	if messages != 1 {
		t.Fatalf("the relay holds %d messages, want Olivia's post: %v", messages, dump)
	}
	filepath.WalkDir(rHome, func(path string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			if data, _ := os.ReadFile(path); bytes.Contains(data, []byte("PLAINTEXT-7A1C")) {
				t.Errorf("%s holds the plaintext", path)
			}
		}
		return nil
	})

	// The relay comes back where members were told it is; Ben, alone
	// with it, gets the post and the poll, reacts, votes and answers.
	runRelay(t, rHome, strings.Split(r.addr, "/p2p/")[0])
	b.start()
	proctest.Eventually(t, 40*time.Second, "Ben to get Olivia's post and poll from the relay", func() bool {
		return len(b.messages(c, gid)) == 2
	})
	since = time.Now()
	b.mustRun("react", "--community", c, "--group", gid, "--message", posted.ID, "--emoji", "👍")
	b.mustRun("vote", "--community", c, "--group", gid, "--poll", poll.ID, "--option", "2")
	var reply struct{ ID string }
	b.jsonRun(&reply, "post", "--community", c, "--group", gid, "--text", "see you there")
	pushedSince(t, b, c, since)
	b.stop()

	// Olivia, alone with the relay, gets them, and answers with a
	// reaction and a vote of her own; she makes an invite link for Dev.
	a.start()
	proctest.Eventually(t, 40*time.Second, "Olivia to get Ben's answer, reaction and vote from the relay", func() bool {
		ms := a.full(c, gid)
		return len(ms) == 3 && len(ms[0].Reactions) == 1 && ms[1].Poll != nil && ms[1].Poll.Voters == 1 &&
			ms[1].Poll.Options[1].Votes == 1 && ms[2].Text == "see you there"
	})
	since = time.Now()
	a.mustRun("react", "--community", c, "--group", gid, "--message", reply.ID, "--emoji", "🎉")
	a.mustRun("vote", "--community", c, "--group", gid, "--poll", poll.ID, "--option", "1")
	var inv2 struct{ Link string }
	a.jsonRun(&inv2, "invite", "create", "--community", c)
	pushedSince(t, a, c, since)
	a.stop()

	// Dev opens the link with only the relay up: admitted through it, he
	// reads what was posted.
	d := newDaemon(t, "Dev")
	d.start()
	var dev struct {
		api.Community
		ViaRelay bool `json:"via_relay"`
	}
	d.jsonRun(&dev, "join", "--link", inv2.Link)
	if dev.Role != "member" || !dev.ViaRelay {
		t.Fatalf("Dev's join with only the relay up: %+v", dev)
	}
	proctest.Eventually(t, 40*time.Second, "Dev to read the posts, the poll and its votes from the relay", func() bool {
		ms := d.full(c, gid)
		return len(ms) == 3 && ms[0].Text == secret && ms[1].Poll != nil && ms[1].Poll.Voters == 2
	})
	d.stop()

	// Ben, back alone with the relay, gets Olivia's reaction and vote.
	b.start()
	proctest.Eventually(t, 40*time.Second, "Ben to get Olivia's reaction and vote from the relay", func() bool {
		ms := b.full(c, gid)
		return len(ms) == 3 && len(ms[2].Reactions) == 1 && ms[2].Reactions[0].Emoji == "🎉" &&
			ms[1].Poll != nil && ms[1].Poll.Voters == 2 && ms[1].Poll.Options[0].Votes == 1
	})
}
