package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
)

// TestCallRowPrinted: a call's row prints as a call for people, and as
// kind "call" with the call's record in JSON.
func TestCallRowPrinted(t *testing.T) {
	m := api.Message{Kind: "call", AuthorName: "Olivia", Call: &api.CallRow{Video: true, StartedBy: "peer-olivia",
		Duration: api.Duration(23 * time.Minute), Joined: []string{"a", "b", "c", "d", "e", "f"}}}
	var out bytes.Buffer
	printMessage(&out, m)
	if !strings.Contains(out.String(), "Olivia:\t🎥 video call · ended · 23m0s · 6 joined") {
		t.Fatalf("printed %q", out.String())
	}
	m.Call = &api.CallRow{Active: true, Joined: []string{}}
	out.Reset()
	printMessage(&out, m)
	if !strings.Contains(out.String(), "📞 voice call · in progress") {
		t.Fatalf("printed %q", out.String())
	}
	b, err := json.Marshal(api.Message{Kind: "call", Call: &api.CallRow{StartedBy: "peer-olivia", Duration: api.Duration(time.Minute), Joined: []string{"a"}}})
	var got struct {
		Kind string         `json:"kind"`
		Call map[string]any `json:"call"`
	}
	if err != nil || json.Unmarshal(b, &got) != nil || got.Kind != "call" {
		t.Fatalf("json %s: %v", b, err)
	}
	for _, k := range []string{"video", "started_by", "active", "duration", "joined"} {
		if _, ok := got.Call[k]; !ok {
			t.Errorf("a call's row lacks %q: %s", k, b)
		}
	}
}
