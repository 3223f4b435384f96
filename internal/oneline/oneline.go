// Package oneline escapes the control characters of a text, so that a text
// made of it stays on one line.
package oneline

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape returns s with its control characters escaped, so that a text
// made of it stays on one line: "\n", "\r" and "\t" as those two-character
// escapes, other C0 and C1 controls and DEL as "\x1b" or "\u0085", and the
// Unicode line and paragraph separators as "\u2028" and "\u2029". A text
// without any is returned as it is, without allocating: only a text that
// holds one pays for more than the scan. Backslashes are not escaped, so
// that a text without control characters never changes.
//
// The one-line texts of the supervisor's errors pass the user's parts
// (errors' texts, panic values) through it when they are read, and daemon
// its STATUS= lines.
func Escape(s string) string {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			return escapeFrom(s, i)
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if lineBreaking(r) {
			return escapeFrom(s, i)
		}
		i += n
	}
	return s
}

// lineBreaking reports whether r, a rune at or above utf8.RuneSelf, is one
// oneLine escapes.
func lineBreaking(r rune) bool {
	return r == '\u2028' || r == '\u2029' || unicode.IsControl(r)
}

// escapeFrom returns s with the control characters from i on escaped (s[:i]
// has none).
func escapeFrom(s string, i int) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
		case r >= utf8.RuneSelf && lineBreaking(r):
			b.WriteString(`\u`)
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte(hex[(r>>shift)&0xf])
			}
		default:
			b.WriteString(s[i : i+n]) // as it is, even an invalid byte
		}
		i += n
	}
	return b.String()
}
