#!/bin/sh
# volym against ffmpeg's v360 filter on the same 360 plate, both sides in
# one run, end to end with decoding; prints frames per second and ratios.
#
#   scripts/bench-plate.sh [BUILD_DIR]        (default: build)
#
# (a) static camera: volym reprojecting a 3840x1920 H.264 equirect plate
#     onto a 1920x1080 canvas vs `ffmpeg -vf v360=e:flat` to 1920x1080;
# (b) moving camera, a new pose every frame: ffmpeg's v360 is sent a new
#     yaw every frame (sendcmd), so it rebuilds its pixel map every frame;
#     volym works each wall pixel's direction out per frame anyway;
# (c) a 3840x2160 H.264 plate decoded and shown (wall mode), and the same
#     played in real time at the stage's 25 fps for 10 s (looping), with the
#     frames dropped and the plate frames shown late.
# Test media are made once with ffmpeg (libx264) into $BENCH_DIR.
set -eu

build=${1:-build}
frames=${FRAMES:-100}
dir=${BENCH_DIR:-${TMPDIR:-/tmp}/volym-bench-plate}
volym="$build/volym"
[ -x "$volym" ] || { echo "bench-plate: $volym not found (build first: meson setup $build && ninja -C $build)" >&2; exit 1; }
command -v ffmpeg >/dev/null || { echo "bench-plate: ffmpeg not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
mkdir -p "$dir"

make_clip() {   # size file
    [ -s "$2" ] && return 0
    echo "bench-plate: making $2 ($1, H.264, $((frames + 10)) frames)"
    ffmpeg -loglevel error -f lavfi -i "testsrc2=size=$1:rate=25" -frames:v $((frames + 10)) \
        -c:v libx264 -preset veryfast -pix_fmt yuv420p -y "$2"
}
eq="$dir/equirect-3840x1920.mp4"
uhd="$dir/uhd-3840x2160.mp4"
make_clip 3840x1920 "$eq"
make_clip 3840x2160 "$uhd"

now() { date +%s.%N; }
fps() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / (b - a) }'; }

# The same view as volym's default camera: 50 degrees wide, 16:9.
v360="v360=input=e:output=flat:h_fov=50:v_fov=29.4:w=1920:h=1080"
awk -v n="$frames" 'BEGIN { for (i = 0; i < n; i++) printf "%.3f v360 yaw %.2f;\n", i / 25.0, (i % 50) * 0.7 }' \
    > "$dir/yaw.cmd"

t0=$(now)
ffmpeg -loglevel error -i "$eq" -frames:v "$frames" -vf "$v360" -f null -
t1=$(now)
ffmpeg -loglevel error -i "$eq" -frames:v "$frames" -vf "sendcmd=f=$dir/yaw.cmd,$v360" -f null -
t2=$(now)
ff_static=$(fps "$frames" "$t0" "$t1")
ff_moving=$(fps "$frames" "$t1" "$t2")

out=$("$volym" bench plate --plate "$eq" --frames "$frames" --quiet)
field_fps() { awk -v what="$1" '$0 ~ what { for (i = 2; i <= NF; i++) if ($i == "fps") print $(i - 1) }'; }
vl_static=$(echo "$out" | field_fps "static camera")
vl_moving=$(echo "$out" | field_fps "moving camera")
out4k=$("$volym" bench plate --plate "$uhd" --plate-mode wall --frames "$frames" --quiet)
vl_4k=$(echo "$out4k" | field_fps "static camera")
run4k=$(SDL_VIDEODRIVER=offscreen "$volym" run --headless --plate "$uhd" --plate-mode wall \
        --frames 250 2>&1 | grep -E "frames shown|shown late" || true)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "bench-plate: $(nproc) cores; 3840x1920 H.264 equirect -> 1920x1080, $frames frames, decode included"
printf "  (a) static camera   volym %7s fps   ffmpeg v360 %7s fps   ratio %sx  (target >= 1.0)\n" \
    "$vl_static" "$ff_static" "$(ratio "$vl_static" "$ff_static")"
printf "  (b) moving camera   volym %7s fps   ffmpeg v360 %7s fps   ratio %sx  (target >= 20)\n" \
    "$vl_moving" "$ff_moving" "$(ratio "$vl_moving" "$ff_moving")"
echo "      where volym's time goes:"
echo "$out" | grep -E "decoding alone|without decoding" | sed 's/^ */        /'
printf "  (c) 3840x2160 H.264 plate, wall mode: %s fps decoded and shown  (target >= 24)\n" "$vl_4k"
echo "      real time at 25 fps: $(echo "$run4k" | sed 's/^.*volym: //' | tr '\n' ' ')"
