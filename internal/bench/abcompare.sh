#!/usr/bin/env bash
# abcompare.sh compares arbor's own rows between two commits, alternating
# the old and the new binary round by round so that both see the same
# machine (a busy or throttled machine slows both alike), then runs
# benchstat old new.
#
#   ./abcompare.sh 37cd6a0            # that commit against the work tree
#   ROUNDS=6 BENCH=Restart ./abcompare.sh HEAD~3
set -euo pipefail
cd "$(dirname "$0")"
old=${1:?usage: abcompare.sh OLD-COMMIT}
ROUNDS=${ROUNDS:-10}
BENCH=${BENCH:-'(Start|CancelTree)/./impl=ours|(Restart|RestartLogged|RestartStorm|IdleMemory)/impl=ours'}
export PATH="$PATH:$(go env GOPATH)/bin"
command -v benchstat >/dev/null || go install golang.org/x/perf/cmd/benchstat@latest

tmp=$(mktemp -d "${TMPDIR:-/tmp}/arbor-ab-XXXXXX")
git worktree add -q --detach "$tmp/old" "$old"
trap 'git worktree remove --force "$tmp/old"' EXIT
(cd "$tmp/old/internal/bench" && go test -c -o "$tmp/old.test" .)
go test -c -o "$tmp/new.test" .
for i in $(seq "$ROUNDS"); do
	echo "round $i of $ROUNDS" >&2
	(cd "$tmp/old/internal/bench" && "$tmp/old.test" -test.run '^$' -test.bench "$BENCH" -test.benchmem -test.count 1 >>"$tmp/old.txt")
	"$tmp/new.test" -test.run '^$' -test.bench "$BENCH" -test.benchmem -test.count 1 >>"$tmp/new.txt"
done
echo "results in $tmp/old.txt and $tmp/new.txt" >&2
benchstat "$tmp/old.txt" "$tmp/new.txt"
