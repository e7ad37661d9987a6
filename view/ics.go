package view

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/umbrella-p2p/umbrella/api"
)

// ICS returns event e as an iCalendar file (RFC 5545) for a member's
// calendar: one VEVENT with the event's id as its UID, its start and end
// in UTC, and a reminder at each of ReminderLeads, as the app gives them. community names the community in the description; stamp is when
// the file is made (DTSTAMP). Text is escaped (backslash, semicolon,
// comma, newline) and lines are folded at 75 octets without splitting a
// character, each ending in CRLF.
func ICS(e api.CalendarEvent, community string, stamp time.Time) []byte {
	var b strings.Builder
	line := func(name, value string) { foldLine(&b, name+":"+value) }
	const utc = "20060102T150405Z"
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//Umbrella//Umbrella community messenger//EN")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	line("BEGIN", "VEVENT")
	line("UID", e.ID.String()+"@umbrella")
	line("DTSTAMP", stamp.UTC().Format(utc))
	line("DTSTART", e.Starts.UTC().Format(utc))
	line("DTEND", e.Ends().UTC().Format(utc))
	line("SUMMARY", escapeText(e.Title))
	if e.Where != "" {
		line("LOCATION", escapeText(e.Where))
		if strings.HasPrefix(e.Where, "https://") || strings.HasPrefix(e.Where, "http://") {
			line("URL", e.Where)
		}
	}
	desc := e.Text
	if community != "" {
		desc = strings.TrimSpace(desc + "\n\n" + community + " on Umbrella")
	}
	if desc != "" {
		line("DESCRIPTION", escapeText(desc))
	}
	if e.ByName != "" {
		line("ORGANIZER;CN="+paramValue(e.ByName), "urn:umbrella:"+e.By)
	}
	for _, lead := range ReminderLeads {
		line("BEGIN", "VALARM")
		line("ACTION", "DISPLAY")
		line("DESCRIPTION", escapeText(e.Title))
		line("TRIGGER", fmt.Sprintf("-PT%dM", int(lead/time.Minute)))
		line("END", "VALARM")
	}
	line("END", "VEVENT")
	line("END", "VCALENDAR")
	return []byte(b.String())
}

// escapeText escapes a TEXT value (RFC 5545 §3.3.11): backslash,
// semicolon and comma get a backslash, a newline becomes \n, and other
// control characters are dropped.
func escapeText(s string) string {
	var b strings.Builder
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 && r != '\t' || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// paramValue makes a parameter value (RFC 5545 §3.1): quoted, without
// the characters a quoted value may not hold.
func paramValue(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '"' || r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	return `"` + s + `"`
}

// foldLine writes content line l folded at 75 octets (RFC 5545 §3.1):
// a continuation starts with a space, and no character is split.
func foldLine(b *strings.Builder, l string) {
	const width = 75
	first := true
	for len(l) > 0 {
		n := width
		if !first {
			n = width - 1 // the leading space counts
			b.WriteByte(' ')
		}
		if n >= len(l) {
			n = len(l)
		} else {
			for n > 0 && !utf8.RuneStart(l[n]) {
				n--
			}
		}
		b.WriteString(l[:n])
		b.WriteString("\r\n")
		l = l[n:]
		first = false
	}
}
