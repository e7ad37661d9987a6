package crdt

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// A reaction is one emoji: one possible emoji sequence in the sense of
// Unicode TS #51 (ED-17a), at most MaxEmojiLen bytes. That is one or more
// elements joined by ZERO WIDTH JOINER, each element one of
//
//   - a keycap: 0-9, # or *, an optional VARIATION SELECTOR-16, then
//     COMBINING ENCLOSING KEYCAP;
//   - a flag: two regional indicators;
//   - a tag sequence: WAVING BLACK FLAG, one or more tag characters, then
//     CANCEL TAG (the flags of England, Scotland and Wales);
//   - a pictograph, with an optional variation selector and an optional
//     skin-tone modifier.
//
// A pictograph is any code point of the planes Unicode keeps for emoji
// (U+1F000 to U+1FFFD, assigned or not, as the Extended_Pictographic
// property reserves them), or a symbol of the Basic Multilingual Plane
// beyond ASCII (categories So and Sm, such as ❤ ✅ ☕ ⌛ ↔), or one of
// ‼ ⁉ ℹ 〰 〽. The rule is structural on purpose: it does not depend on
// which emoji a Unicode version has assigned, so nodes built with
// different versions of Go judge every reaction alike, and an emoji newer
// than the app is still accepted. Letters, digits outside keycaps,
// spaces, ASCII punctuation and runs of several emoji are refused.

const (
	zwj        = '\u200d'
	vs15       = '\ufe0e'
	vs16       = '\ufe0f'
	keycapMark = '\u20e3'
	blackFlag  = '\U0001f3f4'
	cancelTag  = '\U000e007f'
)

// CheckEmoji reports why s is not one emoji a reaction may carry, or nil.
func CheckEmoji(s string) error {
	if s == "" {
		return fmt.Errorf("emoji is empty")
	}
	if err := checkText("emoji", s, MaxEmojiLen, true); err != nil {
		return err
	}
	rs := []rune(s)
	for i := 0; ; {
		n := emojiElement(rs[i:])
		if n == 0 {
			return fmt.Errorf("emoji %q is not one emoji (at %U)", s, rs[i])
		}
		i += n
		if i == len(rs) {
			return nil
		}
		if rs[i] != zwj || i+1 == len(rs) {
			return fmt.Errorf("emoji %q is not one emoji (at %U)", s, rs[i])
		}
		i++
	}
}

// emojiElement returns how many runes at the start of rs make one element
// of an emoji ZWJ sequence, or 0 if rs does not start with one.
func emojiElement(rs []rune) int {
	at := func(i int) rune {
		if i < len(rs) {
			return rs[i]
		}
		return utf8.RuneError
	}
	switch r := at(0); {
	case r >= '0' && r <= '9' || r == '#' || r == '*':
		if at(1) == keycapMark {
			return 2
		}
		if at(1) == vs16 && at(2) == keycapMark {
			return 3
		}
		return 0
	case isRegionalIndicator(r):
		if isRegionalIndicator(at(1)) {
			return 2
		}
		return 0
	case r == blackFlag && isTag(at(1)):
		n := 1
		for isTag(at(n)) {
			n++
		}
		if at(n) != cancelTag {
			return 0
		}
		return n + 1
	case isPictograph(r):
		n := 1
		if at(n) == vs16 || at(n) == vs15 {
			n++
		}
		if isSkinTone(at(n)) {
			n++
		}
		return n
	}
	return 0
}

func isRegionalIndicator(r rune) bool { return r >= 0x1f1e6 && r <= 0x1f1ff }
func isTag(r rune) bool               { return r >= 0xe0020 && r <= 0xe007e }
func isSkinTone(r rune) bool          { return r >= 0x1f3fb && r <= 0x1f3ff }

// isPictograph reports whether r may stand as an emoji's base.
func isPictograph(r rune) bool {
	switch {
	case isRegionalIndicator(r) || isSkinTone(r):
		return false
	case r >= 0x1f000 && r <= 0x1fffd:
		return true
	case r < 0x80 || r > 0xffff:
		return false
	case r == 0x203c || r == 0x2049 || r == 0x2139 || r == 0x3030 || r == 0x303d:
		return true
	}
	return unicode.In(r, unicode.So, unicode.Sm)
}
