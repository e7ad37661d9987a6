package sdpsig

import (
	"strings"
	"testing"
)

// TestDecodeIsStrict: only the canonical encoding of this version with an
// SDP, within the size given, decodes; what Encode writes decodes back.
func TestDecodeIsStrict(t *testing.T) {
	good, err := Encode(3, "v=0\r\n", 64)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := Decode(good, 64); err != nil || m.Type != 3 || m.SDP != "v=0\r\n" {
		t.Fatalf("round trip: %+v, %v", m, err)
	}
	if _, err := Encode(3, strings.Repeat("a", 64), 64); err == nil {
		t.Fatal("encoded a message over its limit")
	}
	mustMarshal := func(v any) []byte {
		b, err := Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for name, c := range map[string]struct {
		b    []byte
		max  int
		want string
	}{
		"over the limit":   {good, len(good) - 1, "over"},
		"version 2":        {mustMarshal(Message{Version: 2, Type: 3, SDP: "v=0"}), 64, "version 2"},
		"no SDP":           {mustMarshal(Message{Version: 1, Type: 3}), 64, "no SDP"},
		"an unknown key":   {mustMarshal(map[int]any{1: 1, 2: 3, 3: "v=0", 4: "x"}), 64, "unknown field"},
		"not canonical":    {append([]byte{0xa3, 0x01, 0x01, 0x02, 0x18, 0x03}, good[5:]...), 64, "canonical"},
		"truncated":        {good[:len(good)-1], 64, "EOF"},
		"not a map at all": {[]byte{0x01}, 64, "cannot unmarshal"},
	} {
		if _, err := Decode(c.b, c.max); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := Encode(1, "v=0\r\n", 1024)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b, 1024)
		if err != nil {
			return
		}
		again, err := Encode(m.Type, m.SDP, 1024)
		if err != nil || string(again) != string(b) {
			t.Fatalf("decoded %+v from %x, which encodes as %x (%v)", m, b, again, err)
		}
	})
}
