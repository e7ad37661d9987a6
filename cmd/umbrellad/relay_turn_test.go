package main

import (
	"testing"
)

// TestParseTURN: --turn takes host:port, with --turn-ip when its host is
// unspecified; --turn-ip alone is a mistake.
func TestParseTURN(t *testing.T) {
	for _, tc := range []struct {
		addr, ip string
		ok, none bool
		wantIP   string
	}{
		{"", "", true, true, ""},
		{"", "203.0.113.7", false, false, ""},
		{"203.0.113.7:3478", "", true, false, ""},
		{"0.0.0.0:3478", "", false, false, ""},
		{"0.0.0.0:3478", "203.0.113.7", true, false, "203.0.113.7"},
		{"0.0.0.0:3478", "0.0.0.0", false, false, ""},
		{"3478", "", false, false, ""},
	} {
		o := &opts{turn: turnOpts{addr: tc.addr, ip: tc.ip}}
		got, err := parseTURN(o)
		switch {
		case (err == nil) != tc.ok:
			t.Errorf("--turn %q --turn-ip %q: %v", tc.addr, tc.ip, err)
		case err == nil && (got == nil) != tc.none:
			t.Errorf("--turn %q --turn-ip %q: %+v", tc.addr, tc.ip, got)
		case err == nil && got != nil && tc.wantIP != "" && got.IP.String() != tc.wantIP:
			t.Errorf("--turn %q --turn-ip %q: IP %v", tc.addr, tc.ip, got.IP)
		}
	}
}
