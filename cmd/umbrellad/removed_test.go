package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// departedNode is a api.API whose member was removed from one community
// and left another.
type departedNode struct {
	api.API // unimplemented methods panic, which the tests would notice
}

func (departedNode) Communities() []api.Community {
	return []api.Community{
		{ID: crdt.ID{1}, Name: "Glow Team", Members: 3, Role: "none", Removed: true, RemovedBy: "Olivia"},
		{ID: crdt.ID{2}, Name: "Spring Push", Members: 5, Role: "none", Left: true},
		{ID: crdt.ID{3}, Name: "Top Sellers", Members: 7, Role: "member"},
	}
}

// TestCommunitiesShowsRemoval: `communities` says who removed the member,
// and which communities it left, where the role would be.
func TestCommunitiesShowsRemoval(t *testing.T) {
	home := t.TempDir()
	l, err := listenControl(home)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: controlHandler(departedNode{}, slog.New(slog.DiscardHandler))}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	var out, errb bytes.Buffer
	if code := run([]string{"communities", "--home", home}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	want := map[string]string{"Glow Team": "removed by Olivia", "Spring Push": "left", "Top Sellers": "member"}
	for _, line := range strings.Split(out.String(), "\n") {
		for name, role := range want {
			if strings.Contains(line, name) {
				if !strings.HasSuffix(strings.TrimSpace(line), "  "+role) {
					t.Errorf("%s's line %q does not end with %q", name, line, role)
				}
				delete(want, name)
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("communities output lacks %v:\n%s", want, out.String())
	}
}
