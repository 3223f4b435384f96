package supervisor

import (
	"bytes"
	"runtime/pprof"
	"strconv"
)

// stackOf returns the stacks of the goroutines labelled with path, as the
// goroutine profile prints them, or "" if none is found.
func stackOf(path string) string {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		return ""
	}
	want := []byte(strconv.Quote(pathLabel) + ":" + strconv.Quote(path))
	var out bytes.Buffer
	for _, rec := range bytes.Split(buf.Bytes(), []byte("\n\n")) {
		for _, line := range bytes.Split(rec, []byte("\n")) {
			if bytes.HasPrefix(line, []byte("# labels:")) && containsLabel(line, want) {
				out.Write(rec)
				out.WriteString("\n\n")
				break
			}
		}
	}
	return out.String()
}

// containsLabel reports whether a "# labels: {...}" line holds want as a
// whole key:value pair.
func containsLabel(line, want []byte) bool {
	for i := 0; ; {
		j := bytes.Index(line[i:], want)
		if j < 0 {
			return false
		}
		end := i + j + len(want)
		if end < len(line) && (line[end] == ',' || line[end] == '}') {
			return true
		}
		i = end
	}
}
