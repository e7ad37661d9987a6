package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/internal/proctest"
)

// TestE2ETeam drives three real daemons through first steps: Olivia sets
// them, Chloe joins by Olivia's link, is made an admin and invites Dev,
// who ticks two steps and unticks one; Olivia sees Dev's progress among
// the newcomers and who invited him, the team tree puts Dev under Chloe
// under Olivia, Dev (a member) is refused the newcomers, and when Chloe
// is removed Dev stays the one she invited.
func TestE2ETeam(t *testing.T) {
	olivia, chloe, dev := newDaemon(t, "Olivia"), newDaemon(t, "Chloe"), newDaemon(t, "Dev")
	olivia.start()
	chloe.start()
	dev.start()
	var comm struct {
		Community string `json:"community"`
	}
	olivia.jsonRun(&comm, "community", "create", "--name", "Glow Team")
	c := comm.Community
	olivia.mustRun("steps", "set", "--community", c, "--step", "Watch the welcome video", "--step", "Join the Monday call",
		"--step", "Write your list of 20", "--welcome", "Welcome {name}!")
	var inv struct{ Link string }
	olivia.jsonRun(&inv, "invite", "create", "--community", c)
	chloe.mustRun("join", "--link", inv.Link)
	var id struct {
		PeerID string `json:"peer_id"`
	}
	chloe.jsonRun(&id, "id")
	olivia.mustRun("member", "promote", "--community", c, "--member", id.PeerID)
	proctest.Eventually(t, 30*time.Second, "chloe to be an admin", func() bool {
		out, _, code := chloe.cli("members", "--community", c, "--json")
		var ms []member
		return code == 0 && json.Unmarshal([]byte(out), &ms) == nil && slices.ContainsFunc(ms, func(m member) bool { return m.PeerID == id.PeerID && m.Role == "admin" })
	})
	chloe.jsonRun(&inv, "invite", "create", "--community", c)
	dev.mustRun("join", "--link", inv.Link)

	type steps struct {
		Welcome string `json:"welcome"`
		Steps   []struct {
			N     int    `json:"n"`
			Title string `json:"title"`
			Done  bool   `json:"done"`
		} `json:"steps"`
	}
	var s steps
	proctest.Eventually(t, 30*time.Second, "dev to get the steps", func() bool {
		out, _, code := dev.cli("steps", "--community", c, "--json")
		return code == 0 && json.Unmarshal([]byte(out), &s) == nil && len(s.Steps) == 3
	})
	if s.Welcome != "Welcome Dev!" || s.Steps[1].Title != "Join the Monday call" || s.Steps[1].N != 2 {
		t.Fatalf("dev's steps %+v", s)
	}
	dev.mustRun("steps", "done", "--community", c, "--step", "1")
	dev.mustRun("steps", "done", "--community", c, "--step", "3")
	dev.mustRun("steps", "undo", "--community", c, "--step", "1")
	dev.jsonRun(&s, "steps", "--community", c)
	if s.Steps[0].Done || s.Steps[1].Done || !s.Steps[2].Done {
		t.Fatalf("dev's steps after ticking %+v", s)
	}
	type newcomer struct {
		Name      string  `json:"name"`
		Done      int     `json:"done"`
		Total     int     `json:"total"`
		LastStep  *string `json:"last_step_time"`
		InvitedBy string  `json:"invited_by"`
	}
	var ns []newcomer
	proctest.Eventually(t, 30*time.Second, "olivia to see dev's progress", func() bool {
		out, _, code := olivia.cli("newcomers", "--community", c, "--json")
		return code == 0 && json.Unmarshal([]byte(out), &ns) == nil && slices.ContainsFunc(ns, func(n newcomer) bool { return n.Name == "Dev" && n.Done == 1 })
	})
	for _, n := range ns {
		if n.Name == "Dev" && (n.Total != 3 || n.LastStep == nil || n.InvitedBy != id.PeerID) {
			t.Fatalf("dev as olivia's newcomer %+v", n)
		}
	}
	if tree := olivia.mustRun("team", "--community", c); !strings.Contains(tree, "\n    Dev") || !strings.Contains(tree, "\n  Chloe") {
		t.Fatalf("team tree:\n%s", tree)
	}
	// Dev, a member, is refused the newcomers.
	if _, errOut, code := dev.cli("newcomers", "--community", c); code != 1 || !strings.Contains(errOut, "only admins") {
		t.Fatalf("dev asks for the newcomers: exit %d, %q", code, errOut)
	}
	// Chloe is removed: Dev stays the one she invited.
	olivia.mustRun("member", "remove", "--community", c, "--member", id.PeerID)
	var team []struct {
		PeerID    string `json:"peer_id"`
		Name      string `json:"name"`
		InvitedBy string `json:"invited_by"`
	}
	olivia.jsonRun(&team, "team", "--community", c)
	by := map[string]string{}
	for _, m := range team {
		by[m.Name] = m.InvitedBy
	}
	if len(team) != 2 || by["Dev"] != id.PeerID || by["Olivia"] != "" {
		t.Fatalf("team after chloe's removal %+v", team)
	}
}
