package ui

import (
	"net/url"
	"slices"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// span is a stretch of a message's text shown differently.
type span struct {
	from, to int // byte offsets
	kind     spanKind
}

type spanKind int

const (
	spanMention spanKind = iota + 1 // @Name of a member
	spanMatch                       // the search term
	spanLink                        // http(s) URL
)

// bodySegments turns a message's text into rich-text segments: mentions
// of members (the @Name the node turned into a mention) in bold colour,
// search matches in bold, and web links clickable. The text wraps as one
// paragraph; its newlines are kept.
func bodySegments(text string, mentions []string, query string) []widget.RichTextSegment {
	var spans []span
	for _, name := range mentions {
		if name == "" {
			continue
		}
		needle := "@" + name
		for at := 0; ; {
			i := strings.Index(text[at:], needle)
			if i < 0 {
				break
			}
			spans = append(spans, span{at + i, at + i + len(needle), spanMention})
			at += i + len(needle)
		}
	}
	for _, l := range findLinks(text) {
		spans = append(spans, span{l[0], l[1], spanLink})
	}
	if q := strings.TrimSpace(query); q != "" {
		lower, lq := strings.ToLower(text), strings.ToLower(q)
		if len(lower) == len(text) { // offsets line up (no case change alters length)
			for at := 0; ; {
				i := strings.Index(lower[at:], lq)
				if i < 0 {
					break
				}
				spans = append(spans, span{at + i, at + i + len(lq), spanMatch})
				at += i + len(lq)
			}
		}
	}
	slices.SortFunc(spans, func(a, b span) int {
		if a.from != b.from {
			return a.from - b.from
		}
		return b.to - a.to
	})
	var segs []widget.RichTextSegment
	plain := func(s string) {
		if s != "" {
			segs = append(segs, &widget.TextSegment{Text: s, Style: widget.RichTextStyleInline})
		}
	}
	at := 0
	for _, s := range spans {
		if s.from < at {
			continue // overlaps one already shown
		}
		plain(text[at:s.from])
		part := text[s.from:s.to]
		switch s.kind {
		case spanMention:
			segs = append(segs, &widget.TextSegment{Text: part, Style: widget.RichTextStyle{Inline: true, ColorName: theme.ColorNamePrimary, TextStyle: fyne.TextStyle{Bold: true}}})
		case spanMatch:
			segs = append(segs, &widget.TextSegment{Text: part, Style: widget.RichTextStyle{Inline: true, ColorName: theme.ColorNameWarning, TextStyle: fyne.TextStyle{Bold: true}}})
		case spanLink:
			if u, err := url.Parse(part); err == nil {
				segs = append(segs, &widget.HyperlinkSegment{Text: part, URL: u})
			} else {
				plain(part)
			}
		}
		at = s.to
	}
	plain(text[at:])
	if len(segs) == 0 {
		segs = append(segs, &widget.TextSegment{Text: "", Style: widget.RichTextStyleInline})
	}
	return segs
}

// findLinks returns the byte ranges of http and https URLs in text.
func findLinks(text string) [][2]int {
	var out [][2]int
	for at := 0; at < len(text); {
		i := strings.Index(text[at:], "http")
		if i < 0 {
			break
		}
		start := at + i
		rest := text[start:]
		if !strings.HasPrefix(rest, "http://") && !strings.HasPrefix(rest, "https://") ||
			(start > 0 && !unicode.IsSpace(rune(text[start-1])) && !strings.ContainsRune("([<\"'", rune(text[start-1]))) {
			at = start + 4
			continue
		}
		end := start
		for end < len(text) && !unicode.IsSpace(rune(text[end])) && !strings.ContainsRune("<>\"", rune(text[end])) {
			end++
		}
		for end > start && strings.ContainsRune(".,;:!?)]'", rune(text[end-1])) {
			end-- // trailing punctuation is the sentence's, not the link's
		}
		if end-start > len("https://") {
			out = append(out, [2]int{start, end})
		}
		at = max(end, start+4)
	}
	return out
}

// richString is the text a rich text shows.
func richString(rt *widget.RichText) string {
	var b strings.Builder
	for _, s := range rt.Segments {
		b.WriteString(s.Textual())
	}
	return b.String()
}

// initials are up to two letters of a name, for an avatar.
func initials(name string) string {
	var out []rune
	for _, w := range strings.Fields(name) {
		for _, r := range w {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				out = append(out, unicode.ToUpper(r))
				break
			}
		}
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// ellipsize cuts s to at most n runes, on one line.
func ellipsize(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// clampLines is s for a wrapped label that must not grow without bound:
// runs of blank lines become one, and past maxLines lines or maxRunes
// characters it ends with "…". Descriptions may hold up to 1 KB of line
// breaks, which would otherwise make a header taller than the screen.
func clampLines(s string, maxLines, maxRunes int) string {
	var lines []string
	for line := range strings.SplitSeq(strings.TrimSpace(s), "\n") {
		line = strings.TrimSpace(line)
		if line != "" || (len(lines) > 0 && lines[len(lines)-1] != "") {
			lines = append(lines, line)
		}
	}
	cut := len(lines) > maxLines
	lines = lines[:min(len(lines), maxLines)]
	r := []rune(strings.TrimSpace(strings.Join(lines, "\n")))
	if len(r) > maxRunes {
		r, cut = r[:maxRunes-1], true
	}
	if cut {
		return strings.TrimSpace(string(r)) + "…"
	}
	return string(r)
}
