package crdt

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// longestEmoji is one emoji of MaxEmojiLen bytes: 👍, six more joined to
// it, then three ❤.
var longestEmoji = "👍" + strings.Repeat("\u200d👍", 6) + strings.Repeat("\u200d❤", 3)

// TestCheckEmoji: one emoji of any shape Unicode has — with variation
// selector, skin tone, keycap, flag, subdivision flag or ZWJ sequence — is
// accepted; text, several emoji and broken sequences are not.
func TestCheckEmoji(t *testing.T) {
	for _, s := range []string{
		"👍", "❤️", "❤", "🎉", "✅", "☕", "↔️", "‼️", "〽️", "©️", "™️",
		"👍🏽", "1️⃣", "#️⃣", "*⃣", "🇧🇷", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "👩‍💻", "❤️‍🔥", "👨‍👩‍👧‍👦", "🏳️‍🌈",
		"🫩", // Unicode 16, newer than this code may know
		"ℹ️", "👩🏻‍❤️‍💋‍👨🏼", longestEmoji,
	} {
		if err := CheckEmoji(s); err != nil {
			t.Errorf("%q (%+q) refused: %v", s, s, err)
		}
	}
	for _, s := range []string{
		"", "a", "ok", "1", "!", "!!", "<3", " 👍", "👍 ", "👍👍", "🎉🎉🎉", "👍\n",
		"🇧", "🇧🇷🇧", "🏽", "👍🏽🏽", "\u200d👍", "👍\u200d", "👩\u200d\u200d💻", "1\ufe0f",
		"🏴\U000e0067", "é", "\ufe0f", "\u20e3", "👍a", longestEmoji + "\u200d👍",
	} {
		if err := CheckEmoji(s); err == nil {
			t.Errorf("%q (%+q) accepted", s, s)
		}
	}
}

// FuzzCheckEmoji: the emoji check never panics, and what it accepts is
// short, valid UTF-8 and free of spaces and ASCII letters.
func FuzzCheckEmoji(f *testing.F) {
	for _, s := range []string{"👍", "1️⃣", "🇧🇷", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "👩‍💻", "a", "👍👍", "\u200d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckEmoji(s) != nil {
			return
		}
		if len(s) > MaxEmojiLen || !utf8.ValidString(s) || strings.ContainsAny(s, " abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			t.Fatalf("accepted %+q", s)
		}
	})
}

// TestReactionIsOneEmoji: a reaction op's body carries one emoji (a keycap
// is accepted) or a run the earlier rule accepted, so logs holding such old
// reactions stay valid; text is malformed.
func TestReactionIsOneEmoji(t *testing.T) {
	target := make([]byte, 32)
	for e, ok := range map[string]bool{"1️⃣": true, "🇧🇷": true, "👍": true, "👍👍": true, "!!": true, "+1": false, "ok": false, "👍 👍": false} {
		err := (&ReactionBody{Target: target, Emoji: e, On: true}).check()
		if (err == nil) != ok {
			t.Errorf("reaction %q: %v", e, err)
		}
	}
}
