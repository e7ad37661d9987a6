package main

import (
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/internal/proctest"
)

type dmEntry struct {
	Group string `json:"group"`
	With  []struct {
		PeerID string `json:"peer_id"`
		Name   string `json:"name"`
	} `json:"with"`
	Unread int  `json:"unread"`
	Closed bool `json:"closed"`
}

func (d *daemon) dms(c string) []dmEntry {
	var out []dmEntry
	d.jsonRun(&out, "dms", "--community", c)
	return out
}

// TestE2EPrivateMessages drives three real daemons: Ben opens a private
// conversation with Cal and posts in it with the ordinary post command;
// Cal lists it with one unread message and reads it; Olivia, the owner,
// lists none and reads nothing. Once Olivia limits members to messaging
// admins, Ben's second conversation, with Cal, is refused, and one with
// Olivia is not.
func TestE2EPrivateMessages(t *testing.T) {
	olivia, ben, cal := newDaemon(t, "Olivia"), newDaemon(t, "Ben"), newDaemon(t, "Cal")
	for _, d := range []*daemon{olivia, ben, cal} {
		d.start()
	}
	var comm struct {
		Community string `json:"community"`
	}
	olivia.jsonRun(&comm, "community", "create", "--name", "Glow Team")
	c := comm.Community
	for _, d := range []*daemon{ben, cal} {
		var inv struct{ Link string }
		olivia.jsonRun(&inv, "invite", "create", "--community", c)
		d.mustRun("join", "--link", inv.Link)
	}
	for _, d := range []*daemon{olivia, ben, cal} {
		proctest.Eventually(t, 20*time.Second, d.home+" to see three members", func() bool { return len(d.members(c)) == 3 })
	}
	ms := ben.members(c)
	var dm struct{ Group string }
	ben.jsonRun(&dm, "dm", "open", "--community", c, "--member", ms["Cal"].PeerID)
	if dm.Group == "" {
		t.Fatal("dm open printed no group")
	}
	ben.mustRun("post", "--community", c, "--group", dm.Group, "--text", "Call me about the starter kit")
	proctest.Eventually(t, 20*time.Second, "cal to list the conversation with one unread", func() bool {
		ds := cal.dms(c)
		return len(ds) == 1 && ds[0].Group == dm.Group && ds[0].Unread == 1 && len(ds[0].With) == 1 && ds[0].With[0].Name == "Ben"
	})
	proctest.Eventually(t, 20*time.Second, "cal to read it", func() bool {
		m := cal.full(c, dm.Group)
		return len(m) == 1 && m[0].Text == "Call me about the starter kit"
	})
	var again struct{ Group string }
	cal.jsonRun(&again, "dm", "open", "--community", c, "--member", ms["Ben"].PeerID)
	if again.Group != dm.Group {
		t.Fatalf("cal opened %s, not the conversation %s", again.Group, dm.Group)
	}
	if ds := olivia.dms(c); len(ds) != 0 {
		t.Fatalf("the owner lists %+v", ds)
	}
	if out, _, _ := olivia.cli("messages", "--community", c, "--group", dm.Group, "--json"); strings.Contains(out, "starter kit") {
		t.Fatalf("the owner reads the private message: %s", out)
	}

	olivia.mustRun("settings", "--community", c, "--member-dms", "no")
	proctest.Eventually(t, 20*time.Second, "ben to be refused a conversation with another member", func() bool {
		_, errOut, code := ben.cli("dm", "open", "--community", c, "--member", ms["Cal"].PeerID, "--member", ms["Olivia"].PeerID)
		return code != 0 && strings.Contains(errOut, "may not message each other privately")
	})
	ben.jsonRun(&again, "dm", "open", "--community", c, "--member", ms["Olivia"].PeerID)
	if again.Group == "" || again.Group == dm.Group {
		t.Fatalf("ben's conversation with the owner: %q", again.Group)
	}
}
