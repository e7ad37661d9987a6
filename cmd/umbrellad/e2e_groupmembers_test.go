package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/internal/proctest"
)

// TestE2EGroupMembers drives two real daemons through an admin putting a
// member into an approval group and taking them out again: the member
// reads the group's history once added and is out of it once removed,
// adding to General says why it cannot be, and the audit log shows both.
func TestE2EGroupMembers(t *testing.T) {
	olivia, ben := newDaemon(t, "Olivia"), newDaemon(t, "Ben")
	olivia.start()
	ben.start()
	defer func() {
		if t.Failed() {
			t.Logf("olivia:\n%s\nben:\n%s", olivia.log, ben.log)
		}
	}()
	var comm struct {
		Community string `json:"community"`
	}
	olivia.jsonRun(&comm, "community", "create", "--name", "Glow Team")
	c := comm.Community
	var inv struct{ Link string }
	olivia.jsonRun(&inv, "invite", "create", "--community", c)
	ben.mustRun("join", "--link", inv.Link)
	var self struct {
		PeerID string `json:"peer_id"`
	}
	ben.jsonRun(&self, "id")
	var group struct {
		ID string `json:"id"`
	}
	olivia.jsonRun(&group, "group", "create", "--community", c, "--name", "Team leaders", "--policy", "approval")
	olivia.mustRun("post", "--community", c, "--group", group.ID, "--text", "Targets for May")

	var ok map[string]bool
	olivia.jsonRun(&ok, "group", "add", "--community", c, "--group", group.ID, "--member", self.PeerID)
	if !ok["ok"] {
		t.Fatalf("group add answered %v", ok)
	}
	var ms []member
	olivia.jsonRun(&ms, "group", "members", "--community", c, "--group", group.ID)
	if !slices.ContainsFunc(ms, func(m member) bool { return m.PeerID == self.PeerID && m.Name == "Ben" && m.Role == "member" }) {
		t.Fatalf("group members %+v", ms)
	}
	proctest.Eventually(t, 30*time.Second, "ben to read the group's history", func() bool {
		out, _, code := ben.cli("messages", "--community", c, "--group", group.ID, "--json")
		var got []msg
		return code == 0 && json.Unmarshal([]byte(out), &got) == nil && slices.Equal(texts(got), []string{"Olivia: Targets for May"})
	})

	var groups []struct{ ID, Name string }
	olivia.jsonRun(&groups, "groups", "--community", c)
	general := groups[slices.IndexFunc(groups, func(g struct{ ID, Name string }) bool { return g.Name == "General" })].ID
	if _, errs, code := olivia.cli("group", "add", "--community", c, "--group", general, "--member", self.PeerID); code == 0 || !strings.Contains(errs, "every member is in group") {
		t.Fatalf("adding to General: exit %d, %q", code, errs)
	}

	olivia.jsonRun(&ok, "group", "remove", "--community", c, "--group", group.ID, "--member", self.PeerID)
	proctest.Eventually(t, 30*time.Second, "ben to be out of the group", func() bool {
		out, _, code := ben.cli("groups", "--community", c, "--json")
		var gs []struct {
			ID     string `json:"id"`
			Joined bool   `json:"joined"`
		}
		return code == 0 && json.Unmarshal([]byte(out), &gs) == nil && slices.ContainsFunc(gs, func(g struct {
			ID     string `json:"id"`
			Joined bool   `json:"joined"`
		}) bool {
			return g.ID == group.ID && !g.Joined
		})
	})
	var audit []struct {
		Action     string `json:"action"`
		TargetName string `json:"target_name"`
	}
	olivia.jsonRun(&audit, "audit", "--community", c)
	var got []string
	for _, e := range audit {
		if strings.HasPrefix(e.Action, "group.add") || strings.HasPrefix(e.Action, "group.remove") {
			got = append(got, e.Action+" "+e.TargetName)
		}
	}
	if want := []string{"group.add Ben", "group.remove Ben"}; !slices.Equal(got, want) {
		t.Fatalf("audit %q, want %q", got, want)
	}
}
