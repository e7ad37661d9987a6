package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// How the CLI writes counts, durations, times and sizes for people, and
// reads them back from flags. Sizes follow one convention in and out:
// KB, MB, GB and TB are powers of 1000, KiB, MiB, GiB and TiB powers of
// 1024, as their names say; sizes are printed in the binary units (a
// file of 2 GiB is "2 GiB", never "2.1 GB") by crdt.SizeText, as the
// desktop app prints them.

// plural is n and the noun, singular for one: "1 question", "2 questions".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// durationText is a duration for people: whole days as days ("2 days"),
// else Go's form without its zero tail ("36h", "1h30m", "45s").
func durationText(d time.Duration) string {
	const day = 24 * time.Hour
	if d >= day && d%day == 0 {
		return plural(int(d/day), "day", "days")
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// whenText is a date and time for people in the local zone, with the
// year when it is not the current one: "Thu Dec 10 19:00",
// "Fri Jan 1 2027 09:00".
func whenText(t, now time.Time) string {
	t = t.Local()
	if t.Year() != now.Local().Year() {
		return t.Format("Mon Jan 2 2006 15:04")
	}
	return t.Format("Mon Jan 2 15:04")
}

// localLayouts are the date-time forms a time flag takes in the local
// zone, beside RFC 3339 and a duration from now.
var localLayouts = []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"}

// parseTime reads a time flag: a duration from now (48h), RFC 3339
// (2026-12-01T18:00:00Z), or a local date and time (2026-12-01 18:00, or
// a date alone for its midnight).
func parseTime(flagName, v string, now time.Time) (time.Time, error) {
	v = strings.TrimSpace(v)
	if d, err := time.ParseDuration(v); err == nil {
		return now.Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, v, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usagef("--%s %q: want a duration from now (48h), a local date and time (2026-12-01 18:00) or RFC 3339 (2026-12-01T18:00:00Z)", flagName, v)
}

// sizeUnits are the units sizes are read in, longest suffix first.
var sizeUnits = []struct {
	suffix string
	n      int64
}{
	{"TIB", 1 << 40}, {"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10},
	{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1},
}

// parseBytes reads a size from 1 byte to max: a whole number with an
// optional unit, KB/MB/GB/TB (powers of 1000) or KiB/MiB/GiB/TiB (powers
// of 1024), in any case; a bare number is bytes.
func parseBytes(v string, max int64) (int64, error) {
	s := strings.ToUpper(strings.TrimSpace(v))
	mult := int64(1)
	for _, u := range sizeUnits {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(rest), u.n
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > max/mult {
		return 0, fmt.Errorf("%q is not a size from 1 byte to %s (e.g. 500MB, 20GiB; MB = 10^6 bytes, MiB = 2^20)", v, crdt.SizeText(max))
	}
	return n * mult, nil
}
