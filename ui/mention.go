package ui

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
)

// maxSuggestions is how many members the @ picker offers.
const maxSuggestions = 6

// mentionQuery finds an @name being typed at byte offset cursor of text:
// the offset of the '@' and what follows it up to the cursor. The '@'
// starts the text or follows a space; what follows has no line break.
func mentionQuery(text string, cursor int) (at int, query string, ok bool) {
	if cursor > len(text) {
		return 0, "", false
	}
	i := strings.LastIndexByte(text[:cursor], '@')
	if i < 0 {
		return 0, "", false
	}
	if i > 0 {
		r, _ := utf8.DecodeLastRuneInString(text[:i])
		if !unicode.IsSpace(r) && !strings.ContainsRune("([\"'", r) {
			return 0, "", false
		}
	}
	q := text[i+1 : cursor]
	if strings.ContainsAny(q, "\n@") || utf8.RuneCountInString(q) > 40 || strings.HasPrefix(q, " ") {
		return 0, "", false
	}
	return i, q, true
}

// suggest returns the members whose name, or a word of it, starts with q
// (ignoring case), the local member left out, at most maxSuggestions.
func suggest(members map[string]api.Member, self, q string) []api.Member {
	q = strings.ToLower(q)
	var out []api.Member
	for _, m := range members {
		if m.PeerID == self || m.Name == "" {
			continue
		}
		name := strings.ToLower(m.Name)
		match := strings.HasPrefix(name, q)
		for _, w := range strings.Fields(name) {
			match = match || strings.HasPrefix(w, q)
		}
		if match {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b api.Member) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.PeerID, b.PeerID)
	})
	return out[:min(len(out), maxSuggestions)]
}

// cursorOffset is the entry's cursor as a byte offset into its text.
// The entry counts its cursor's rows as shown, wrapped lines each a row;
// CursorTextOffset maps them back to the text.
func cursorOffset(e *widget.Entry) int {
	runes := e.CursorTextOffset()
	for i := range e.Text {
		if runes == 0 {
			return i
		}
		runes--
	}
	return len(e.Text)
}

// mentionPicker offers the members matching an @name being typed in the
// composer; Up and Down choose, Enter or Tab inserts "@Name " ("@Name"
// before punctuation), Esc closes.
// It shows in the compose area above the entry, not in a pop-up: a
// pop-up would take the keyboard from the composer.
type mentionPicker struct {
	c       *composer
	box     *fyne.Container
	matches []api.Member
	sel     int
	at      int // byte offset of the '@' being completed
	end     int // byte offset of the cursor
	// inserting: pick is typing the name in; the picker stays shut.
	inserting bool
}

func newMentionPicker(c *composer) *mentionPicker {
	p := &mentionPicker{c: c, box: container.NewVBox()}
	p.box.Hide()
	return p
}

func (c *composer) updateMentions() {
	p := c.picker
	at, q, ok := mentionQuery(c.Text, cursorOffset(&c.Entry))
	var matches []api.Member
	if ok && c.a != nil {
		matches = suggest(c.a.memberIndex(), c.a.self.PeerID, q)
	}
	if len(matches) == 0 || p.inserting || complete(matches, q, c.Text[at+1+len(q):]) {
		p.close()
		return
	}
	p.matches, p.at, p.end = matches, at, at+1+len(q)
	p.sel = min(p.sel, len(matches)-1)
	p.show()
}

func (p *mentionPicker) show() {
	p.box.Objects = nil
	for i, m := range p.matches {
		b := widget.NewButton("@"+m.Name, func() { p.pick(i) })
		b.Alignment = widget.ButtonAlignLeading
		b.Importance = widget.LowImportance
		if i == p.sel {
			b.Importance = widget.HighImportance
		}
		p.box.Add(b)
	}
	p.box.Show()
	p.box.Refresh()
}

func (p *mentionPicker) open() bool { return p.box.Visible() && len(p.matches) > 0 }

func (p *mentionPicker) close() {
	p.matches = nil
	p.sel = 0
	if p.box.Visible() {
		p.box.Hide()
	}
}

// move changes the highlighted suggestion.
func (p *mentionPicker) move(d int) {
	p.sel = (p.sel + d + len(p.matches)) % len(p.matches)
	p.show()
}

// pick replaces the @name being typed with suggestion i.
func (p *mentionPicker) pick(i int) {
	if i < 0 || i >= len(p.matches) {
		return
	}
	c := p.c
	name := p.matches[i].Name
	if !startsWithPunct(c.Text[p.end:]) {
		name += " "
	}
	query := utf8.RuneCountInString(c.Text[p.at+1 : p.end])
	p.close()
	// Through the entry's own keys, so its cursor (which counts wrapped
	// rows) ends after the name.
	p.inserting = true
	for range query {
		c.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
	}
	for _, r := range name {
		c.Entry.TypedRune(r)
	}
	p.inserting = false
	if c.a != nil {
		c.a.focus(c)
	}
}

// startsWithPunct reports whether s starts with punctuation that ends a
// mention ("@Alice!"), which a picked name gets no space before.
func startsWithPunct(s string) bool {
	return s != "" && strings.ContainsRune(".,!?;:", rune(s[0]))
}

// complete reports whether query q is a whole member's name followed by a
// space, or by punctuation in the text after the cursor: the mention is
// done (just picked, or typed out), even though a longer name ("Alice
// Smith" after "Alice ") still matches.
func complete(matches []api.Member, q, after string) bool {
	name, ok := strings.CutSuffix(q, " ")
	if !ok && !startsWithPunct(after) {
		return false
	}
	for _, m := range matches {
		if strings.EqualFold(m.Name, name) {
			return true
		}
	}
	return false
}
