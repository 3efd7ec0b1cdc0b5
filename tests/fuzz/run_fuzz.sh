#!/usr/bin/env bash
# Fuzzes the tracking parsers (FreeD, OSC, OpenTrackIO) with libFuzzer.
#
#   run_fuzz.sh OUTDIR SOURCE_ROOT SECONDS
#
# For each target: builds its seed writer and writes a corpus of valid
# messages into OUTDIR/seeds-NAME, builds the fuzzer with ASan and UBSan
# (UB aborts instead of being reported and skipped), runs it for SECONDS
# seconds, and fails if any target fails. Each target is linked with only
# the engine sources it needs, so the fuzzers do not depend on SDL or GL.
# Fails when clang or libFuzzer is missing: scripts/install-deps.sh installs them.
set -euo pipefail

if [ $# -ne 3 ]; then
    echo "usage: $0 OUTDIR SOURCE_ROOT SECONDS" >&2
    exit 2
fi
out=$1
src=$2
seconds=$3
cc=${FUZZ_CC:-clang}

mkdir -p "$out"
if ! command -v "$cc" > /dev/null ||
   ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
     "$cc" -x c -fsanitize=fuzzer - -o "$out/probe" 2> /dev/null; then
    echo "run_fuzz: $cc with libFuzzer is not available: install clang and" \
         "libclang-rt-14-dev (./scripts/install-deps.sh does)" >&2
    exit 1
fi

read -r -a deps <<< "$(pkg-config --cflags --libs liblo jansson libcbor)"
cflags=(-std=c11 -g -O1 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$src/engine")
sanitize=(-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)

declare -A parser=(
    [freed]=engine/track/freed.c
    [osc]=engine/track/osc.c
    [opentrackio]="engine/track/opentrackio.c engine/track/opentrackio_message.c
                   engine/track/opentrackio_cbor.c"
)

status=0
for name in freed osc opentrackio; do
    sources=("$src/tests/fuzz/fuzz_$name.c" "$src/engine/core/core.c" "$src/engine/core/timecode.c")
    for f in ${parser[$name]}; do
        sources+=("$src/$f")
    done
    seeds=$out/seeds-$name
    corpus=$out/corpus-$name
    rm -rf "$seeds" "$corpus"
    mkdir -p "$seeds" "$corpus"

    "$cc" "${cflags[@]}" -DFUZZ_SEEDS "${sources[@]}" "${deps[@]}" -lm -lpthread \
        -o "$out/seeds_$name"
    "$out/seeds_$name" "$seeds"
    "$cc" "${cflags[@]}" "${sanitize[@]}" "${sources[@]}" "${deps[@]}" -lm -lpthread \
        -o "$out/fuzz_$name"

    # New inputs go to corpus-NAME; the seeds directory is only read.
    if "$out/fuzz_$name" -max_total_time="$seconds" -timeout=5 -print_final_stats=1 \
           -artifact_prefix="$out/$name-" "$corpus" "$seeds" > "$out/$name.log" 2>&1; then
        echo "fuzz_$name: ok, $(grep -Eo 'stat::number_of_executed_units: *[0-9]+' \
            "$out/$name.log" | grep -Eo '[0-9]+$') runs, $(ls "$seeds" | wc -l) seeds"
    else
        echo "fuzz_$name: FAILED (log: $out/$name.log, crash input: $out/$name-*)"
        tail -n 40 "$out/$name.log"
        status=1
    fi
done
exit $status
