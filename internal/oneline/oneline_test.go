package oneline

import (
	"fmt"
	"strings"
	"testing"
)

func TestOneLineEscapesControlCharactersOnly(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"dial tcp: connection refused", "dial tcp: connection refused"},
		{`a \n b "q" ünï 日本`, `a \n b "q" ünï 日本`},
		{"bad\xffbyte", "bad\xffbyte"},
		{"a\nb", `a\nb`},
		{"\r\n\t", `\r\n\t`},
		{"nul\x00 esc\x1b del\x7f", `nul\x00 esc\x1b del\x7f`},
		{"next line\u0085 ls\u2028 ps\u2029", `next line\u0085 ls\u2028 ps\u2029`},
		{"ünï\nbad\xff\n", "ünï\\nbad\xff\\n"},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A text without control characters costs a scan and nothing else: no
// allocation, the same string back.
func TestOneLineAllocatesNothingForAPlainText(t *testing.T) {
	plain := strings.Repeat("dial tcp 10.0.0.1:5432: connection refused; ünïcode ", 20)
	if allocs := testing.AllocsPerRun(100, func() {
		if Escape(plain) != plain {
			t.Fatal("plain text changed")
		}
	}); allocs != 0 {
		t.Errorf("Escape of a plain text allocates %v times, want 0", allocs)
	}
}

func ExampleEscape() {
	fmt.Println(Escape("nil map\nin decider"))
	fmt.Println(Escape("dial tcp: connection refused"))
	// Output:
	// nil map\nin decider
	// dial tcp: connection refused
}
