package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/internal/proctest"
)

// TestE2EJoinAgainAfterLosingTheStore: a joiner that is admitted and then
// loses what it stored (killed with -9 and its database gone: the state a
// join cut short right after the admission leaves) is a member everywhere
// but holds nothing. Restarted on the same identity, it joins again with
// the single-use link it already used up, is answered as a member, and
// reads the community's history and what comes after.
func TestE2EJoinAgainAfterLosingTheStore(t *testing.T) {
	a, b := newDaemon(t, "Olivia"), newDaemon(t, "Ben")
	a.start()
	b.start()
	var comm struct {
		Community string `json:"community"`
	}
	a.jsonRun(&comm, "community", "create", "--name", "Glow Team")
	c := comm.Community
	var groups []struct{ ID, Name string }
	a.jsonRun(&groups, "groups", "--community", c)
	gid := groups[1].ID
	a.mustRun("post", "--community", c, "--group", gid, "--text", "Welcome!")
	var inv struct{ Link string }
	a.jsonRun(&inv, "invite", "create", "--community", c, "--max-uses", "1")
	b.mustRun("join", "--link", inv.Link)

	b.proc.Process.Kill() // kill -9
	b.proc.Wait()
	if err := os.RemoveAll(filepath.Join(b.home, "db")); err != nil {
		t.Fatal(err)
	}
	b.start()
	var joined struct {
		Community, Role string
	}
	b.jsonRun(&joined, "join", "--link", inv.Link)
	if joined.Community != c || joined.Role != "member" {
		t.Fatalf("join again with the used-up link: %+v", joined)
	}
	a.mustRun("post", "--community", c, "--group", gid, "--text", "Glad you are back")
	want := []string{"Olivia: Welcome!", "Olivia: Glad you are back"}
	proctest.Eventually(t, 20*time.Second, "ben to read both posts", func() bool {
		return slices.Equal(texts(b.messages(c, gid)), want)
	})
	var invites []struct{ Uses int }
	a.jsonRun(&invites, "invites", "--community", c)
	if len(invites) != 1 || invites[0].Uses != 1 {
		t.Fatalf("the link counts %+v uses, want 1", invites)
	}
}
