package main

import (
	"math"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestFormat: counts agree with their nouns, durations drop their zero
// tails and whole days read as days, times carry a year only when it is
// not this one, sizes print in the binary units they are.
func TestFormat(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{plural(0, "question", "questions"), "0 questions"},
		{plural(1, "question", "questions"), "1 question"},
		{plural(2, "question", "questions"), "2 questions"},
		{durationText(48 * time.Hour), "2 days"},
		{durationText(24 * time.Hour), "1 day"},
		{durationText(36 * time.Hour), "36h"},
		{durationText(90 * time.Minute), "1h30m"},
		{durationText(time.Hour), "1h"},
		{durationText(45 * time.Second), "45s"},
		{durationText(0), "0s"},
		{crdt.SizeText(1), "1 byte"},
		{crdt.SizeText(512), "512 bytes"},
		{crdt.SizeText(2 << 30), "2 GiB"},
		{crdt.SizeText(1536 << 10), "1.5 MiB"},
		{crdt.SizeText(10e9), "9.3 GiB"},
		{crdt.SizeText(300e6), "286.1 MiB"}, // as the app says it
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.Local)
	if got := whenText(time.Date(2026, 12, 10, 19, 0, 0, 0, time.Local), now); got != "Thu Dec 10 19:00" {
		t.Errorf("this year's time: %q", got)
	}
	if got := whenText(time.Date(2199, 12, 10, 19, 0, 0, 0, time.Local), now); got != "Tue Dec 10 2199 19:00" {
		t.Errorf("a later year's time: %q", got)
	}
}

// TestParseTime: a time flag takes a duration from now, RFC 3339 or a
// local date and time, and names the forms when it gets something else.
func TestParseTime(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"48h":                  now.Add(48 * time.Hour),
		"2026-12-10T19:00:00Z": time.Date(2026, 12, 10, 19, 0, 0, 0, time.UTC),
		"2026-12-10 19:00":     time.Date(2026, 12, 10, 19, 0, 0, 0, time.Local),
		"2026-12-10T19:00":     time.Date(2026, 12, 10, 19, 0, 0, 0, time.Local),
		"2026-12-10":           time.Date(2026, 12, 10, 0, 0, 0, 0, time.Local),
	} {
		if got, err := parseTime("starts", in, now); err != nil || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "tomorrow", "10/12/2026", "2026-13-01"} {
		if _, err := parseTime("starts", bad, now); err == nil {
			t.Errorf("parseTime(%q) took it", bad)
		}
	}
}

// TestParseBytes: units mean what their names say, KB..TB powers of
// 1000 and KiB..TiB powers of 1024, in any case, within the bound.
func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"500MB": 500e6, "500MiB": 500 << 20, "20gb": 20e9, "20GiB": 20 << 30, "1TB": 1e12, "1tib": 1 << 40, "4000B": 4000, "4000": 4000, "5 kib": 5 << 10} {
		if got, err := parseBytes(in, math.MaxInt64); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "-5MB", "1.5GB", "5XB", "MB", "9999999999TB"} {
		if _, err := parseBytes(bad, math.MaxInt64); err == nil {
			t.Errorf("parseBytes(%q) took it", bad)
		}
	}
}
