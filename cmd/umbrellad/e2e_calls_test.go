package main

import (
	"strings"
	"testing"
)

// TestE2ECallsWithoutMedia: a real daemon, which has no call media built
// in yet, does not pretend: `call start` fails with the reason and exit
// status 1, records nothing, and `calls` lists none.
func TestE2ECallsWithoutMedia(t *testing.T) {
	olivia := newDaemon(t, "Olivia")
	olivia.start()
	var comm struct {
		Community string `json:"community"`
	}
	olivia.jsonRun(&comm, "community", "create", "--name", "Glow Team")
	c := comm.Community
	var groups []struct{ ID, Name string }
	olivia.jsonRun(&groups, "groups", "--community", c)
	_, errOut, code := olivia.cli("call", "start", "--community", c, "--group", groups[1].ID, "--synthetic", "--json")
	if code != exitFail || !strings.Contains(errOut, "no media implementation is configured") {
		t.Fatalf("call start with no media: exit %d, %q", code, errOut)
	}
	var calls []map[string]any
	olivia.jsonRun(&calls, "calls", "--community", c)
	if len(calls) != 0 {
		t.Fatalf("calls after a failed start: %v", calls)
	}
}
