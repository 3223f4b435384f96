#!/usr/bin/env bash
# compare.sh runs the benchmarks of this module COUNT times (default 10)
# and prints one benchstat table per benchmark, with the implementations
# as columns and each compared with the first column (the baseline).
#
#   COUNT=5 ./compare.sh            # raw results in a temporary file
#   OUT=new.txt BENCH=Restart ./compare.sh
#   ./compare.sh -show old.txt      # only print the tables of a saved run
set -euo pipefail
cd "$(dirname "$0")"

export PATH="$PATH:$(go env GOPATH)/bin"
if ! command -v benchstat >/dev/null; then
	go install golang.org/x/perf/cmd/benchstat@latest
fi

if [[ "${1:-}" == "-show" ]]; then
	out=$2
else
	out=${OUT:-$(mktemp "${TMPDIR:-/tmp}/arbor-bench-XXXXXX.txt")}
	go test -run '^$' -bench "${BENCH:-.}" -benchmem -count "${COUNT:-10}" -timeout 60m | tee "$out"
	echo "results saved in $out"
fi

# Each benchmark gets its own table so that its first implementation is the
# baseline of the ratios.
table() { # name, implementations in column order
	local name=$1
	shift
	if grep -q "^Benchmark$name/" "$out"; then
		echo
		echo "== $name (baseline: $1) =="
		benchstat -filter ".name:$name" -col "/impl@($*)" "$out"
	fi
}
table Start raw raw-ctx errgroup oklog suture ours ours-concurrent
table Restart central suture ours
table RestartLogged suture ours ours-unlimited ours-slog
table RestartStorm central suture ours
table CancelTree raw errgroup oklog suture ours ours-ordered
table IdleMemory raw raw-ctx errgroup oklog suture ours ours-concurrent
# BenchmarkDepth has no implementations to compare: one table of its rows.
if grep -q "^BenchmarkDepth/" "$out"; then
	echo
	echo "== Depth (B/level, ns/level-ready, ns/level-stop by depth) =="
	benchstat -filter ".name:Depth" "$out"
fi
