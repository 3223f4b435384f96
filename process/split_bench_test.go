//go:build linux

package process

import (
	"context"
	"strconv"
	"testing"
)

// BenchmarkLongLineSplit writes a 1 MiB line without a newline in 32 KiB
// chunks (os/exec's copy buffer) to a stream whose pieces are LineMax
// bytes: the cost of cutting it must grow with the line, not with the
// line times the chunk.
func BenchmarkLongLineSplit(b *testing.B) {
	chunk := make([]byte, 32<<10)
	for i := range chunk {
		chunk[i] = 'a'
	}
	for _, lineMax := range []int{16, 4096} {
		b.Run("LineMax="+strconv.Itoa(lineMax), func(b *testing.B) {
			b.SetBytes(1 << 20)
			for b.Loop() {
				o := newOutput(context.Background(), lineMax, limiter{lines: -1})
				close(o.started)
				w := &streamWriter{o: o, stream: "stdout"}
				for range 32 {
					_, _ = w.Write(chunk)
				}
				w.flush()
				o.finish(0)
			}
		})
	}
}
