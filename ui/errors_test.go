package ui

import (
	"fmt"
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
)

// TestExplainFileTooLarge: a refused file names its size and the limit in
// force (the community's own limit may be lower than the protocol's).
func TestExplainFileTooLarge(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("%w: 300 MiB, this community's admins allow files of at most 100 MiB", api.ErrFileTooLarge),
			"This file is too large: 300 MiB, this community's admins allow files of at most 100 MiB."},
		{fmt.Errorf("send: %w: talk.mp4 is 3 GiB, files are at most 2 GiB", api.ErrFileTooLarge),
			"This file is too large: talk.mp4 is 3 GiB, files are at most 2 GiB."},
		{api.ErrFileTooLarge, "This file is too large: files are at most 2 GiB."},
	} {
		if got := explain(tc.err); got != tc.want {
			t.Errorf("explain(%q) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
