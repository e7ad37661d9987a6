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
	return splitEmoji(segs)
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
	return segmentsString(rt.Segments)
}

// segmentsString is the text of rich-text segments.
func segmentsString(segs []widget.RichTextSegment) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteString(s.Textual())
	}
	return b.String()
}

// wrapWords breaks inline text segments into lines of at most width
// (text of the given size), breaking at spaces, and returns them ready
// for a rich text: each break, and each newline of the text, is a
// segment "\n" of its own, in place of the spaces it breaks at.
//
// Fyne's rich text (2.7) wraps a segment that starts in the last few
// pixels of a line one character per line (fyne-io/fyne#6200), so a
// word after a bold @mention or a link ending a line came out as
// "a / n / d"; it also never wraps a link. Here no segment starts where
// its first word does not fit, and a segment "\n" alone starts the next
// line at full width.
func wrapWords(segs []widget.RichTextSegment, width, size float32) []widget.RichTextSegment {
	// atoms: links, and the words, space runs and newlines of texts.
	type atom struct {
		seg   int
		text  string
		w     float32
		space bool // a run of spaces; break marks one a line ends at
		brk   bool
		nl    bool
	}
	var atoms []atom
	for i, s := range segs {
		switch v := s.(type) {
		case *widget.TextSegment:
			for rest := v.Text; rest != ""; {
				r := rest[0]
				n := 1
				switch {
				case r == '\n':
				case r == ' ' || r == '\t':
					for n < len(rest) && (rest[n] == ' ' || rest[n] == '\t') {
						n++
					}
				default:
					for n < len(rest) && !strings.ContainsRune(" \t\n", rune(rest[n])) {
						n++
					}
				}
				a := atom{seg: i, text: rest[:n], space: r == ' ' || r == '\t', nl: r == '\n'}
				if !a.nl {
					a.w = fyne.MeasureText(a.text, segmentTextSize(v.Style, size), v.Style.TextStyle).Width
				}
				atoms = append(atoms, a)
				rest = rest[n:]
			}
		case *widget.HyperlinkSegment:
			atoms = append(atoms, atom{seg: i, text: v.Text, w: fyne.MeasureText(v.Text, size, fyne.TextStyle{}).Width})
		default:
			atoms = append(atoms, atom{seg: i})
		}
	}
	// Greedy: a word that would pass the edge moves to the next line. A
	// little slack, as Fyne measures a line's text whole, not word by word.
	limit := width - 0.5
	x := float32(0)
	space := -1 // the space run before the current word
	for i := 0; i < len(atoms); {
		switch {
		case atoms[i].nl:
			x, space = 0, -1
			i++
			continue
		case atoms[i].space:
			space = i
			i++
			continue
		}
		j, w := i, float32(0)
		for ; j < len(atoms) && !atoms[j].nl && !atoms[j].space; j++ {
			w += atoms[j].w
		}
		sw := float32(0)
		if space >= 0 {
			sw = atoms[space].w
		}
		if x > 0 && space >= 0 && x+sw+w > limit {
			atoms[space].brk = true
			x = w
		} else {
			x += sw + w
		}
		if w > limit {
			x = limit + 1 // Fyne breaks it; what follows starts a line
		}
		space, i = -1, j
	}
	// Rebuild the segments, cut at newlines and breaks.
	var out []widget.RichTextSegment
	for i := 0; i < len(atoms); {
		seg := atoms[i].seg
		s := segs[seg]
		ts, ok := s.(*widget.TextSegment)
		if !ok {
			out = append(out, s)
			i++
			continue
		}
		var b strings.Builder
		for ; i < len(atoms) && atoms[i].seg == seg; i++ {
			if atoms[i].nl || atoms[i].brk {
				if b.Len() > 0 {
					out = append(out, &widget.TextSegment{Text: b.String(), Style: ts.Style})
					b.Reset()
				}
				out = append(out, &widget.TextSegment{Text: "\n", Style: ts.Style})
				continue
			}
			b.WriteString(atoms[i].text)
		}
		if b.Len() > 0 {
			out = append(out, &widget.TextSegment{Text: b.String(), Style: ts.Style})
		}
	}
	if len(out) == 0 {
		return segs
	}
	return out
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
