package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// callNode records the call methods it is given; it has no media unless
// a call is synthetic.
type callNode struct {
	api.API // unimplemented methods panic, which the tests would notice
	got     []string
}

func (f *callNode) StartCall(_ context.Context, cid, gid crdt.ID, video, synthetic bool) (crdt.ID, error) {
	if !synthetic {
		return crdt.ID{}, api.ErrNoMedia
	}
	f.got = append(f.got, "start "+gid.Short()+" "+yesNo(video))
	return crdt.ID{9}, nil
}

func (f *callNode) JoinCall(_ context.Context, cid, id crdt.ID, video, synthetic bool) error {
	f.got = append(f.got, "join "+id.Short()+" "+yesNo(video)+" "+yesNo(synthetic))
	return nil
}

func (f *callNode) LeaveCall(_ context.Context, cid, id crdt.ID) error {
	f.got = append(f.got, "leave "+id.Short())
	return nil
}

func (f *callNode) EndCall(_ context.Context, cid, id crdt.ID) error {
	return crdt.ErrUnauthorized
}

func (f *callNode) Calls(crdt.ID) ([]api.Call, error) {
	return []api.Call{{ID: crdt.ID{9}, Group: crdt.ID{2}, StartedBy: "olivia", StartedByName: "Olivia", Started: time.Unix(100, 0),
		Participants: []string{"olivia", "ben"}, Active: true, Joined: true}}, nil
}

func (f *callNode) CallStatus(cid, id crdt.ID) (api.CallStatus, error) {
	return api.CallStatus{Call: id, Topology: api.TopologyMesh, Participants: []api.CallParticipant{
		{PeerID: "olivia", Name: "Olivia", Self: true, Audio: true},
		{PeerID: "ben", Name: "Ben", Audio: true, FramesReceived: 500, FramesDecrypted: 499, DecryptFailures: 1, LatencyP50: 41, LatencyP99: 88}}}, nil
}

// TestCallCommands: the call commands carry their flags to the node and
// print the contract's JSON; a start with no media fails with the node's
// reason and exit status 1; a missing --call is a usage error.
func TestCallCommands(t *testing.T) {
	f := &callNode{}
	c := serveNode(t, f)
	cid, gid, id := crdt.ID{1}.String(), crdt.ID{2}.String(), crdt.ID{9}.String()
	run1 := func(want int, args ...string) (string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(append(args, "--home", c.home), &out, &errb); code != want {
			t.Fatalf("%q: exit %d, want %d: %s", args, code, want, errb.String())
		}
		return out.String(), errb.String()
	}
	out, _ := run1(exitOK, "call", "start", "--community", cid, "--group", gid, "--video", "--synthetic", "--json")
	var started map[string]string
	if err := json.Unmarshal([]byte(out), &started); err != nil || started["call"] != id {
		t.Fatalf("call start printed %q: %v", out, err)
	}
	if _, errs := run1(exitFail, "call", "start", "--community", cid, "--group", gid); !strings.Contains(errs, api.ErrNoMedia.Error()) {
		t.Fatalf("a start with no media said %q", errs)
	}
	if out, _ := run1(exitOK, "call", "join", "--community", cid, "--call", id, "--synthetic", "--json"); strings.TrimSpace(out) != "{\n  \"ok\": true\n}" {
		t.Fatalf("call join printed %q", out)
	}
	run1(exitOK, "call", "leave", "--community", cid, "--call", id)
	run1(exitFail, "call", "end", "--community", cid, "--call", id)
	run1(exitUsage, "call", "leave", "--community", cid)
	short := crdt.ID{9}.Short()
	if want := []string{"start " + crdt.ID{2}.Short() + " yes", "join " + short + " - yes", "leave " + short}; !slices.Equal(f.got, want) {
		t.Fatalf("the node got %q, want %q", f.got, want)
	}

	out, _ = run1(exitOK, "calls", "--community", cid, "--json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
		t.Fatalf("calls printed %q: %v", out, err)
	}
	for _, k := range []string{"call", "group", "started_by", "started", "participants", "active"} {
		if _, ok := list[0][k]; !ok {
			t.Errorf("calls lacks %q: %v", k, list[0])
		}
	}
	if out, _ := run1(exitOK, "calls", "--community", cid); !strings.Contains(out, "in progress · 2 joined (you are in it)") {
		t.Fatalf("calls printed %q", out)
	}

	out, _ = run1(exitOK, "call", "status", "--community", cid, "--call", id, "--json")
	var st struct {
		Topology     string           `json:"topology"`
		SFU          *string          `json:"sfu"`
		Participants []map[string]any `json:"participants"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Topology != "mesh" || st.SFU == nil || len(st.Participants) != 2 {
		t.Fatalf("call status printed %q: %v", out, err)
	}
	for _, k := range []string{"peer_id", "name", "audio", "video", "muted", "frames_received", "frames_decrypted", "decrypt_failures", "latency_ms_p50", "latency_ms_p99", "layer"} {
		if _, ok := st.Participants[1][k]; !ok {
			t.Errorf("a participant's status lacks %q: %v", k, st.Participants[1])
		}
	}
	if st.Participants[1]["latency_ms_p99"] != 88.0 {
		t.Fatalf("latency %v", st.Participants[1]["latency_ms_p99"])
	}
}
