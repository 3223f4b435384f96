package supervisor

import "github.com/arbor-go/arbor/internal/oneline"

// oneLine returns s with its control characters escaped (see
// oneline.Escape): the one-line texts of the supervisor's errors pass what
// they carry of user text (errors' texts, panic values) through it when
// they are read. Paths need not be, their names being printable. A text
// without control characters is returned as it is, without allocating.
func oneLine(s string) string { return oneline.Escape(s) }
