package supervisor

import (
	"bytes"
	"runtime/pprof"
	"strconv"
)

// Limits of the stacks in a stuck report: one goroutine profile is taken
// per report, whatever the number of stuck children, and the stacks kept
// from it are capped per child and in total.
const (
	maxStuckStack = 8 << 10  // bytes of stack kept per stuck child
	maxStuckTotal = 1 << 20  // bytes of stack kept per report
	maxProfile    = 64 << 20 // bytes of goroutine profile read at most
)

// fillStacks fills in the stacks of the stuck children in report, from one
// goroutine profile, matching each goroutine to its child by its pprof
// label. Stacks beyond the caps are left out, and the report says so.
func fillStacks(report []StuckChild) {
	if len(report) == 0 {
		return
	}
	index := make(map[string]int, len(report))
	for i, st := range report {
		if st.Stack == "" {
			index[st.Path] = i
		}
	}
	if len(index) == 0 {
		return
	}
	var buf bytes.Buffer
	w := &capWriter{w: &buf, left: maxProfile}
	_ = pprof.Lookup("goroutine").WriteTo(w, 1)
	prefix := []byte("# labels: {")
	key := []byte(strconv.Quote(pathLabel) + ":")
	total := 0
	omitted := 0
	for _, rec := range bytes.Split(buf.Bytes(), []byte("\n\n")) {
		for _, line := range bytes.Split(rec, []byte("\n")) {
			if !bytes.Contains(line, prefix) {
				continue
			}
			path, ok := labelValue(line, key)
			if !ok {
				break
			}
			i, want := index[path]
			if !want {
				break
			}
			if len(rec) > maxStuckStack {
				rec = append(rec[:maxStuckStack:maxStuckStack], "\n...(stack cut)"...)
			}
			if total+len(rec) > maxStuckTotal {
				omitted++
				break
			}
			total += len(rec)
			report[i].Stack += string(rec) + "\n\n"
			break
		}
	}
	if omitted > 0 || w.left == 0 {
		for i := range report {
			if report[i].Stack == "" {
				report[i].Stack = "(stack left out: the report's size limit was reached)"
			}
		}
	}
}

// labelValue returns the value of the label whose quoted key and colon is
// key, in a "# labels: {...}" line.
func labelValue(line, key []byte) (string, bool) {
	i := bytes.Index(line, key)
	if i < 0 {
		return "", false
	}
	rest := line[i+len(key):]
	// The value is a Go-quoted string: find its end.
	if len(rest) == 0 || rest[0] != '"' {
		return "", false
	}
	for j := 1; j < len(rest); j++ {
		switch rest[j] {
		case '\\':
			j++
		case '"':
			v, err := strconv.Unquote(string(rest[:j+1]))
			return v, err == nil
		}
	}
	return "", false
}

// capWriter writes at most left bytes, then discards the rest.
type capWriter struct {
	w    *bytes.Buffer
	left int
}

func (c *capWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) > c.left {
		p = p[:c.left]
	}
	c.w.Write(p)
	c.left -= len(p)
	return n, nil
}
