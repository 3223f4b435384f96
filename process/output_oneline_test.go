//go:build linux

package process_test

import (
	"slices"
	"testing"
)

// A log entry's message is one line whatever the program writes: a line
// ended by "\r\n" loses its "\r", and the control characters inside a line
// (a carriage return that would overwrite the line on a terminal, an
// escape sequence, a NUL) are escaped as "\r", "\x1b", "\x00".
func TestOutputLineWithControlCharactersIsLoggedOnOneLine(t *testing.T) {
	p := shell(`printf 'dos line\r\nred \033[31mtext\033[0m\000 nul\rover\tand tab\n'`)
	var got []string
	for _, e := range runOnce(t, p) {
		got = append(got, e.Message)
	}
	want := []string{"dos line", `red \x1b[31mtext\x1b[0m\x00 nul\rover\tand tab`}
	if !slices.Equal(got, want) {
		t.Errorf("messages %q, want %q", got, want)
	}
}
