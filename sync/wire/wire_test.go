package wire

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// TestJoinResponseReason: a refusal's reason travels as key 3; a response
// without it (as nodes from before it send) decodes with no reason, and
// decoding stays strict about keys it does not know.
func TestJoinResponseReason(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, &JoinResponse{Error: "x", Reason: JoinReasonRevoked}); err != nil {
		t.Fatal(err)
	}
	// length 6, map(2) {1: "x", 3: 2}
	if got, want := hex.EncodeToString(buf.Bytes()), "06a201617803"+"02"; got != want {
		t.Fatalf("encoding %s, want %s", got, want)
	}
	var r JoinResponse
	if err := Read(&buf, &r, 0); err != nil || r.Reason != JoinReasonRevoked || r.Error != "x" {
		t.Fatalf("decoded %+v, %v", r, err)
	}
	for name, tc := range map[string]struct {
		hex string
		ok  bool
	}{
		"without a reason": {"04a1016178", true},           // {1: "x"}
		"admitted":         {"01a0", true},                 // {}
		"unknown key":      {"06a201617809" + "02", false}, // {1: "x", 9: 2}
	} {
		raw, _ := hex.DecodeString(tc.hex)
		var r JoinResponse
		err := Read(bytes.NewReader(raw), &r, 0)
		if (err == nil) != tc.ok || r.Reason != 0 {
			t.Errorf("%s: %+v, %v", name, r, err)
		}
	}
}
