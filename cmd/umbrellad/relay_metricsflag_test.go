package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestRelayMetricsFlagRefusedFirst: a --metrics that is no host:port is a
// mistake in the command line, refused before the relay opens its home or
// prints an address members would be given.
func TestRelayMetricsFlagRefusedFirst(t *testing.T) {
	for _, bad := range []string{"notanaddr", "127.0.0.1:99999", "127.0.0.1:port"} {
		home := t.TempDir()
		var stdout, stderr bytes.Buffer
		code := run([]string{"relay", "--home", home, "--listen", "/ip4/127.0.0.1/tcp/0", "--metrics", bad}, &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), "--metrics") || stdout.Len() != 0 {
			t.Fatalf("relay --metrics %s: exit %d, stdout %q, stderr %q", bad, code, stdout.String(), stderr.String())
		}
		if ents, _ := os.ReadDir(home); len(ents) != 0 {
			t.Fatalf("the relay opened its home before refusing --metrics %s: %v", bad, ents)
		}
	}
}
