#!/bin/sh
# The frame clock under load: volym run headless at 25 fps on the built-in
# stage (one 1920x1080 canvas) with builtin:grid, for 10 minutes by
# default, writing --stats; prints the frames, the drops, late frames and
# the frame-interval spread (start to start of consecutive frames).
# Target (issue 5): 0 dropped and interval p99 - p50 <= 4 ms.
#
#   scripts/bench-clock.sh [BUILD_DIR] [SECONDS]   (default: build 600)
#
# CLOCK=tracker runs it locked to a simulated 50 Hz FreeD tracker
# (volym-track sim over loopback) instead of the internal clock.
set -eu

build=${1:-build}
seconds=${2:-600}
volym="$build/volym"
[ -x "$volym" ] || { echo "bench-clock: $volym not found (build first: meson setup $build && ninja -C $build)" >&2; exit 1; }
dir=${BENCH_DIR:-${TMPDIR:-/tmp}/volym-bench-clock}
mkdir -p "$dir"
stats="$dir/stats.jsonl"
frames=$((seconds * 25))

set -- run --headless --scene builtin:grid --frames "$frames" --stats "$stats"
if [ "${CLOCK:-internal}" = tracker ]; then
    port=${PORT:-47011}
    "$build/volym-track" sim --to "freed://127.0.0.1:$port" --rate 50 --seconds $((seconds + 10)) >/dev/null &
    sim=$!
    trap 'kill $sim 2>/dev/null' EXIT
    set -- "$@" --tracking "freed://127.0.0.1:$port" --clock tracker
fi
echo "bench-clock: $frames frames at 25 fps (${seconds} s), 1920x1080, builtin:grid, clock ${CLOCK:-internal}"
SDL_VIDEODRIVER=offscreen "$volym" "$@" 2>"$dir/log" || { cat "$dir/log" >&2; exit 1; }
grep -E "frames shown|\[stats\]" "$dir/log" || true

# The figures again from the per-frame lines (nearest-rank percentiles).
python3 - "$stats" <<'PY'
import json, math, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
iv = sorted((b["start_ns"] - a["start_ns"]) / 1e6 for a, b in zip(rows, rows[1:]))
pct = lambda p: iv[max(0, math.ceil(p / 100 * len(iv)) - 1)]
dropped = sum(r["dropped_before"] for r in rows)
late = sum(r["late"] for r in rows)
print("frames %d, dropped %d, late %d; frame interval p50 %.3f ms, p99 %.3f ms, "
      "p99 - p50 %.3f ms (target: 0 dropped, <= 4 ms)"
      % (len(rows), dropped, late, pct(50), pct(99), pct(99) - pct(50)))
PY
