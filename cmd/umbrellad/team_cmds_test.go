package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// teamNode records the team calls it is given and answers with a fixed
// community: Olivia invited Chloe, who invited Dev.
type teamNode struct {
	api.API // unimplemented methods panic, which the tests would notice
	steps   []api.StepDraft
	welcome string
	ticks   []string
	admin   bool
}

func (f *teamNode) SetSteps(_ context.Context, _ crdt.ID, steps []api.StepDraft, welcome string) error {
	f.steps, f.welcome = steps, welcome
	return nil
}

func (f *teamNode) TickStep(_ context.Context, _ crdt.ID, n int, done bool) error {
	f.ticks = append(f.ticks, fmt.Sprint(n, done))
	return nil
}

func (f *teamNode) Steps(crdt.ID) (api.FirstSteps, error) {
	return api.FirstSteps{Welcome: "Welcome Dev!", Steps: []api.FirstStep{{N: 1, Title: "Watch", Done: true}, {N: 2, Title: "Call"}}, Done: 1}, nil
}

func (f *teamNode) Newcomers(crdt.ID) ([]api.Newcomer, error) {
	if !f.admin {
		return nil, fmt.Errorf("%w: only admins see the newcomers' progress", crdt.ErrUnauthorized)
	}
	return []api.Newcomer{{PeerID: "dev", Name: "Dev", Joined: time.Unix(1, 0), Done: 1, Total: 2, InvitedBy: "chloe", InvitedByName: "Chloe"}}, nil
}

func (f *teamNode) TeamTree(crdt.ID) ([]api.TeamMember, error) {
	return []api.TeamMember{
		{PeerID: "olivia", Name: "Olivia", Role: "owner"},
		{PeerID: "chloe", Name: "Chloe", Role: "admin", InvitedBy: "olivia", InvitedByName: "Olivia"},
		{PeerID: "dev", Name: "Dev", Role: "member", InvitedBy: "chloe", InvitedByName: "Chloe"},
	}, nil
}

// TestTeamCommands: the steps, newcomers and team commands carry their
// flags to the node and print what the contract says; a member asking
// for the newcomers gets the node's refusal and exit status 1.
func TestTeamCommands(t *testing.T) {
	f := &teamNode{}
	c := serveNode(t, f)
	cid := crdt.ID{1}.String()
	runOK := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(append(args, "--home", c.home), &out, &errb); code != exitOK {
			t.Fatalf("%q: exit %d: %s", args, code, errb.String())
		}
		return out.String()
	}
	if out := runOK("steps", "set", "--community", cid, "--step", "Watch the video", "--step", "Join the call", "--welcome", "Hi {name}", "--json"); strings.TrimSpace(out) != "{\n  \"ok\": true\n}" {
		t.Fatalf("steps set printed %q", out)
	}
	if len(f.steps) != 2 || f.steps[1].Title != "Join the call" || f.welcome != "Hi {name}" {
		t.Fatalf("steps set sent %+v %q", f.steps, f.welcome)
	}
	runOK("steps", "done", "--community", cid, "--step", "2")
	runOK("steps", "undo", "--community", cid, "--step", "1")
	if !slices.Equal(f.ticks, []string{"2 true", "1 false"}) {
		t.Fatalf("ticks %q", f.ticks)
	}
	var fs struct {
		Welcome string `json:"welcome"`
		Steps   []struct {
			N     int    `json:"n"`
			Title string `json:"title"`
			Done  bool   `json:"done"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(runOK("steps", "--community", cid, "--json")), &fs); err != nil || fs.Welcome != "Welcome Dev!" || len(fs.Steps) != 2 || !fs.Steps[0].Done || fs.Steps[1].N != 2 {
		t.Fatalf("steps: %+v %v", fs, err)
	}
	if out := runOK("steps", "--community", cid); !strings.Contains(out, "1 of 2 done") || !strings.Contains(out, "[x]  Watch") {
		t.Fatalf("steps printed %q", out)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"newcomers", "--community", cid, "--home", c.home}, &out, &errb); code != exitFail || !strings.Contains(errb.String(), "only admins") {
		t.Fatalf("newcomers by a member: exit %d, %q", code, errb.String())
	}
	f.admin = true
	var ns []map[string]any
	if err := json.Unmarshal([]byte(runOK("newcomers", "--community", cid, "--json")), &ns); err != nil || len(ns) != 1 {
		t.Fatalf("newcomers: %v %v", ns, err)
	}
	for _, k := range []string{"peer_id", "name", "joined", "done", "total", "last_step_time", "invited_by"} {
		if _, ok := ns[0][k]; !ok {
			t.Errorf("newcomer without %q", k)
		}
	}
	var tm []map[string]any
	if err := json.Unmarshal([]byte(runOK("team", "--community", cid, "--json")), &tm); err != nil || len(tm) != 3 {
		t.Fatalf("team: %v %v", tm, err)
	}
	for _, k := range []string{"peer_id", "name", "role", "invited_by", "joined", "last_active"} {
		if _, ok := tm[0][k]; !ok {
			t.Errorf("team member without %q", k)
		}
	}
	tree := runOK("team", "--community", cid)
	if !strings.Contains(tree, "\nOlivia ") || !strings.Contains(tree, "\n  Chloe ") || !strings.Contains(tree, "\n    Dev ") {
		t.Fatalf("team tree:\n%s", tree)
	}
	if code := run([]string{"steps", "done", "--community", cid, "--home", c.home}, &out, &errb); code != exitUsage {
		t.Fatalf("steps done without --step: exit %d", code)
	}
}
