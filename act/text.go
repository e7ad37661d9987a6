package act

import "strings"

// lines normalises the line endings of a text that may hold several
// lines: CRLF (Windows) and lone CR (old Mac) become LF, the only line
// break crdt takes, so text pasted from anywhere is sent rather than
// refused for a control character.
func lines(s string) string {
	if !strings.ContainsRune(s, '\r') {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}
