#!/usr/bin/env bash
# The volym CLI end to end: render output files and determinism, config and
# usage errors, FreeD over loopback driving the camera, the headless demo.
#   test_cli.sh VOLYM FREED_SEND     (meson sets SDL_VIDEODRIVER=offscreen)
set -u
VOLYM=$(realpath "$1")
SEND=$(realpath "$2")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
# expect DESC CMD...: CMD must succeed.
expect() { local d=$1; shift; "$@" || fail "$d"; }
same() { cmp -s "$1" "$2" || fail "$1 and $2 differ"; }
differ() { ! cmp -s "$1" "$2" || fail "$1 and $2 are identical"; }
# has FILE TEXT: FILE contains the fixed string TEXT.
has() { grep -qF -- "$2" "$1" || { fail "$1 lacks '$2'"; sed 's/^/    /' "$1" >&2; }; }

# png_size FILE: "WxH" from the IHDR chunk, or "not-png".
png_size() {
    [ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" = 89504e470d0a1a0a ] || { echo not-png; return; }
    local b=($(od -An -tu1 -j16 -N8 "$1"))
    echo "$(( b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3] ))x$(( b[4] << 24 | b[5] << 16 | b[6] << 8 | b[7] ))"
}
size_is() { [ "$(png_size "$1")" = "$2" ] || fail "$1 is $(png_size "$1"), expected a $2 PNG"; }

render() { "$VOLYM" render --scene builtin:grid --camera-size 320x180 --view camera "$@"; }

echo "# a. render writes the named files, deterministically"
for d in d1 d2; do
    expect "render into $d" render --pose 0.3,0.4,1.5,10,-3,2 --fov 50 --frames 2 \
        --out "$T/$d" --view reference 2>"$T/$d.err"
done
files="camera-000000.png camera-000001.png reference-000000.png reference-000001.png wall-000000.png wall-000001.png"
[ "$(ls "$T/d1" | xargs)" = "$files" ] || fail "d1 holds '$(ls "$T/d1" | xargs)', expected '$files'"
for f in $files; do
    case $f in
        wall*) size_is "$T/d1/$f" 1920x1080 ;;  # the built-in stage's one output
        *) size_is "$T/d1/$f" 320x180 ;;
    esac
    same "$T/d1/$f" "$T/d2/$f"
done

echo "# b. another pose, another wall"
expect "render at another pose" render --pose 0.3,0.4,1.5,14,-3,2 --out "$T/b" 2>"$T/b.err"
differ "$T/d1/wall-000000.png" "$T/b/wall-000000.png"

echo "# c. stage config errors name the file and where"
cat >"$T/ok.json" <<'EOF'
{
  "name": "cli-test",
  "rate": "25",
  "outputs": [ { "name": "wall", "width": 64, "height": 32 } ],
  "sections": [
    { "name": "s", "canvas": [0, 0], "panel_mm": [500, 500], "panel_px": [32, 32],
      "grid": [2, 1], "position": [-0.5, 3, 1.5] }
  ]
}
EOF
sed 's/"rate": "25",/"rate": "25",,/' "$T/ok.json" >"$T/syntax.json"
sed 's/"grid": \[2, 1\],/"grid": [2, 1], "bogus": 1,/' "$T/ok.json" >"$T/unknown.json"
expect "valid stage renders" render --stage "$T/ok.json" --out "$T/ok" 2>"$T/ok.err"
size_is "$T/ok/wall-000000.png" 64x32
# stage_error NAME FILE TEXT: --stage FILE fails, says TEXT, in one line naming FILE.
stage_error() {
    render --stage "$2" --out "$T/$1" 2>"$T/$1.err" && fail "$1: --stage $2 exited 0"
    has "$T/$1.err" "$3"
    [ "$(grep -cF -- "$2" "$T/$1.err")" = 1 ] || fail "$1: not exactly one error line names $2"
}
stage_error syntax "$T/syntax.json" "$T/syntax.json:3:"
grep -qE "syntax\.json:3:[0-9]+: " "$T/syntax.err" || fail "syntax: no FILE:LINE:COLUMN in the message"
stage_error unknown "$T/unknown.json" "\$.sections[0]: unknown key 'bogus'"
stage_error missing "$T/nope.json" "cannot read $T/nope.json"

echo "# d. usage errors"
# usage_error DESC TEXT ARGS...: volym ARGS fails and says TEXT.
usage_error() {
    local d=$1 text=$2; shift 2
    "$VOLYM" "$@" >"$T/usage.out" 2>"$T/usage.err" && fail "$d: exited 0"
    has "$T/usage.err" "$text"
}
usage_error "unknown option" "unknown option '--bogus'" render --bogus
usage_error "five-number pose" "expected six numbers" render --pose 1,2,3,4,5
usage_error "bad camera size" "expected WxH" render --camera-size 320by180
usage_error "unknown scene" "unknown scene 'builtin:nope'" render --scene builtin:nope --out "$T/nope"
usage_error "pose and tracking" "give one" render --pose 0,0,1,0,0,0 --tracking freed://:0
expect "--help exits 0" "$VOLYM" render --help >"$T/help.out" 2>&1
has "$T/help.out" "--pose X,Y,Z,PAN,TILT,ROLL"

echo "# e. FreeD over loopback drives the camera"
# A pose FreeD carries exactly: metres in 1/64 mm, degrees in 1/32768.
POSE="0.5 0.25 1.5 12.5 -4 0"
# listening_port LOG: the UDP port volym logs it listens on (waits up to 10 s).
listening_port() {
    local port=""
    for _ in $(seq 100); do
        port=$(sed -n 's/.*listening on UDP port \([0-9]*\).*/\1/p' "$1")
        [ -n "$port" ] && break
        sleep 0.1
    done
    echo "$port"
}
# tracked DIR GARBAGE CAMERA [VOLYM_ARGS...]: one tracked frame into DIR (stderr in
# DIR.err). volym listens on a port it picks (port 0) and logs it; once it does,
# freed_send sends camera CAMERA at $POSE, after GARBAGE malformed datagrams.
tracked() {
    local dir=$1 garbage=$2 cam=$3 port pid
    shift 3
    render --tracking freed://127.0.0.1:0 --out "$dir" "$@" 2>"$dir.err" &
    pid=$!
    port=$(listening_port "$dir.err")
    if [ -z "$port" ]; then
        fail "$dir: volym never said which UDP port it listens on"
    else
        "$SEND" --garbage "$garbage" 127.0.0.1 "$port" "$cam" $POSE 50 2 || fail "$dir: freed_send failed"
    fi
    wait "$pid" || fail "$dir: tracked render failed"
}
expect "render at the FreeD pose" render --pose "$(echo $POSE | tr ' ' ,)" --out "$T/fixed" 2>"$T/fixed.err"
expect "render at a pose 1/4 degree off" render --pose 0.5,0.25,1.5,12.75,-4,0 --out "$T/off" 2>"$T/off.err"
expect "render at the default pose" render --pose 0,0,1.5,0,0,0 --out "$T/default" 2>"$T/default.err"
tracked "$T/tr" 0 1
same "$T/tr/wall-000000.png" "$T/fixed/wall-000000.png"
same "$T/tr/camera-000000.png" "$T/fixed/camera-000000.png"
differ "$T/tr/wall-000000.png" "$T/off/wall-000000.png"
has "$T/tr.err" "0 other camera"
grep -q "dropped" "$T/tr.err" && fail "tr: datagrams dropped"

echo "# e. --camera 2 is not driven by camera 1 and keeps the fixed pose"
tracked "$T/cam2" 0 1 --camera 2
has "$T/cam2.err" "no tracking sample within 5 s"
same "$T/cam2/wall-000000.png" "$T/default/wall-000000.png"

echo "# f. malformed datagrams are counted and change nothing"
tracked "$T/garbage" 1000 1
has "$T/garbage.err" "dropped: 334 bad length, 333 bad type, 333 bad checksum"
same "$T/garbage/wall-000000.png" "$T/fixed/wall-000000.png"

echo "# g. OSC over loopback from a real OSC client (oscsend, liblo-tools)"
# osc DIR MESSAGES...: one tracked frame into DIR; each message is an
# "ADDRESS TYPES ARGS..." string sent with oscsend, in order, repeatedly
# until the render is done.
osc() {
    local dir=$1 port pid
    shift
    render --tracking osc://127.0.0.1:0 --out "$dir" 2>"$dir.err" &
    pid=$!
    port=$(listening_port "$dir.err")
    [ -n "$port" ] || fail "$dir: volym never said which UDP port it listens on"
    while kill -0 "$pid" 2>/dev/null; do
        for m in "$@"; do
            # shellcheck disable=SC2086
            oscsend 127.0.0.1 "$port" $m 2>/dev/null
        done
        sleep 0.05
    done
    wait "$pid" || fail "$dir: OSC-tracked render failed"
}
# Every value here is exact in a 32-bit OSC float, so the frame must equal
# the one rendered at the same --pose.
osc "$T/osc" "/volym/pose iffffff 1 0.5 0.25 1.5 12.5 -4 0"
same "$T/osc/wall-000000.png" "$T/fixed/wall-000000.png"
has "$T/osc.err" "0 other camera"
# ZIG SIM (ARKit axes: Y up, -Z forward): ARKit (0.5, 1.5, -0.25) is stage
# (0.5, 0.25, 1.5); the identity quaternion looks along -Z, stage +Y.
expect "render at the phone's pose" render --pose 0.5,0.25,1.5,0,0,0 --out "$T/level" 2>"$T/level.err"
osc "$T/zig" "/ZIGSIM/1/arkitposition fff 0.5 1.5 -0.25" "/ZIGSIM/1/arkitrotation ffff 0 0 0 1"
same "$T/zig/wall-000000.png" "$T/level/wall-000000.png"
# Wrong arity and an unknown address are counted and dropped; the good
# messages still drive the camera.
osc "$T/oscbad" "/volym/pose iff 1 2 3" "/volym/nothing i 1" "/volym/pose iffffff 1 0.5 0.25 1.5 12.5 -4 0"
grep -qE "dropped: [1-9][0-9]* wrong OSC arguments, [1-9][0-9]* unknown OSC address" "$T/oscbad.err" \
    || fail "oscbad: wrong arguments and unknown address not counted: $(grep datagrams "$T/oscbad.err")"
same "$T/oscbad/wall-000000.png" "$T/fixed/wall-000000.png"

echo "# g. two trackers at once: --camera 2 follows OSC camera 2, not FreeD camera 1"
render --tracking freed://127.0.0.1:0 --tracking osc://127.0.0.1:0 --camera 2 --out "$T/two" 2>"$T/two.err" &
pid=$!
ports=""
for _ in $(seq 100); do
    ports=$(sed -n 's/.*listening on UDP port \([0-9]*\).*/\1/p' "$T/two.err" | tr '\n' ' ')
    [ "$(echo $ports | wc -w)" = 2 ] && break
    sleep 0.1
done
read -r freed_port osc_port <<<"$ports"
if [ -n "${osc_port:-}" ]; then
    "$SEND" 127.0.0.1 "$freed_port" 1 0.5 0.25 1.5 12.75 -4 0 50 1 &
    send_pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        oscsend 127.0.0.1 "$osc_port" /volym/pose iffffff 2 0.5 0.25 1.5 12.5 -4 0 2>/dev/null
        sleep 0.05
    done
    wait "$send_pid"
else
    fail "two: volym did not say both UDP ports"
fi
wait "$pid" || fail "two: render with two trackers failed"
same "$T/two/wall-000000.png" "$T/fixed/wall-000000.png"
[ "$(grep -c "tracker .*: .* datagrams" "$T/two.err")" = 2 ] || fail "two: not one counter line per tracker"

echo "# h. render --take: poses interpolated from a recorded take, identical every time"
printf '%s\n' '{"t": 0.0, "camera": 1, "x": 0.0, "y": 0.0, "z": 1.5, "pan": 0.0, "tilt": 0.0, "roll": 0.0}' \
    '{"t": 0.08, "camera": 1, "x": 0.5, "y": 0.0, "z": 1.5, "pan": 10.0, "tilt": 0.0, "roll": 0.0}' >"$T/take.jsonl"
expect "render a take" render --take "$T/take.jsonl" --frames 3 --out "$T/take1" 2>"$T/take1.err"
expect "render it again" render --take "$T/take.jsonl" --frames 3 --out "$T/take2" 2>"$T/take2.err"
for f in wall-000000 wall-000001 wall-000002 camera-000001; do
    same "$T/take1/$f.png" "$T/take2/$f.png"
done
# 25 fps: frame 1 is t = 0.04 s, half way between the two samples.
expect "render the half-way pose" render --pose 0.25,0,1.5,5,0,0 --out "$T/half" 2>"$T/half.err"
same "$T/take1/wall-000001.png" "$T/half/wall-000000.png"
differ "$T/take1/wall-000000.png" "$T/take1/wall-000001.png"
printf '{"t": 0, "camera": 1, "x": 0}\n' >"$T/bad.jsonl"
usage_error "take missing keys" "bad.jsonl:1:" render --take "$T/bad.jsonl" --out "$T/badtake"
usage_error "take outside render" "render --take" run --take "$T/take.jsonl"

echo "# i. the demo without a display"
mkdir "$T/demo"
(cd "$T/demo" && DISPLAY= WAYLAND_DISPLAY= SDL_VIDEODRIVER=offscreen \
    "$VOLYM" demo --frames 2 >out 2>err) || fail "demo failed"
size_is "$T/demo/volym-demo/wall-000000.png" 1920x1080
[ -e "$T/demo/volym-demo/wall-000002.png" ] && fail "demo wrote more than --frames 2"
[ "$(grep -c "volym-demo/" "$T/demo/out")" = 1 ] || fail "demo: not one stdout line saying where the files are"

echo "# j. plates and model scenes"
# pixel PNG X Y: "R G B" of one pixel (decoded with ffmpeg).
pixel() {
    local w=${4:-1920}
    ffmpeg -loglevel error -i "$1" -f rawvideo -pix_fmt rgb24 - 2>/dev/null |
        od -An -tu1 -j $(( ($3 * w + $2) * 3 )) -N3 | xargs
}
# is_colour DESC PNG X Y R G B [TOL]: that pixel within TOL (3) of R G B.
is_colour() {
    local got tol=$(( ${8:-3} * ${8:-3} )); got=$(pixel "$2" "$3" "$4")
    set -- "$1" "$5" "$6" "$7" $got
    [ $# -eq 7 ] && [ $(( ($2 - $5) * ($2 - $5) > tol || ($3 - $6) * ($3 - $6) > tol ||
                          ($4 - $7) * ($4 - $7) > tol )) = 0 ] || fail "$1: pixel is '${*:5}', expected $2 $3 $4"
}
ffmpeg -loglevel error -f lavfi -i "color=c=0x3366cc:size=128x64:rate=25" -frames:v 10 \
    -c:v mpeg4 -q:v 2 -pix_fmt yuv420p -y "$T/blue.mp4" || fail "making blue.mp4"
for mode in wall equirect flat; do
    expect "plate in $mode mode" "$VOLYM" render --plate "$T/blue.mp4" --plate-mode $mode \
        --pose 0,0,1.5,0,0,0 --out "$T/plate-$mode" 2>"$T/plate-$mode.err"
done
# The default wall fills canvas rows 0..799: its centre shows the plate in
# every mode (the flat screen is in front of the camera).
for mode in wall equirect flat; do
    is_colour "$mode mode" "$T/plate-$mode/wall-000000.png" 960 400 51 102 204
done
# Wall mode is untracked: another pose, the same canvas.
expect "wall mode, another pose" "$VOLYM" render --plate "$T/blue.mp4" --plate-mode wall \
    --pose 1,1,1.2,20,5,0 --out "$T/plate-wall2" 2>/dev/null
same "$T/plate-wall/wall-000000.png" "$T/plate-wall2/wall-000000.png"
has "$T/plate-wall.err" "frames decoded, 0 decode errors, 0 shown late"

# Other codecs and formats: 10-bit ProRes 4:2:2 and HEVC (16-bit textures),
# VP9, HAP (RGB(A) from its DXT blocks), a float EXR still (converted by
# libswscale).
codecs="prores_ks:yuv422p10le:mov libvpx-vp9:yuv420p:webm libx265:yuv420p10le:mp4 hap:rgb0:mov"
for c in $codecs; do
    IFS=: read -r enc fmt ext <<<"$c"
    ffmpeg -loglevel error -f lavfi -i "color=c=0x3366cc:size=64x32:rate=25" -frames:v 5 \
        -c:v "$enc" -pix_fmt "$fmt" -x265-params log-level=error -y "$T/codec.$ext" 2>/dev/null ||
        ffmpeg -loglevel error -f lavfi -i "color=c=0x3366cc:size=64x32:rate=25" -frames:v 5 \
            -c:v "$enc" -pix_fmt "$fmt" -y "$T/codec.$ext" || fail "making a $enc clip"
    expect "$enc plate" "$VOLYM" render --plate "$T/codec.$ext" --plate-mode wall --frames 2 \
        --out "$T/codec-$enc" 2>"$T/codec-$enc.err"
    # HAP stores DXT1 blocks: 5-6-5 bits a colour, so up to 8 off.
    is_colour "$enc ($fmt)" "$T/codec-$enc/wall-000001.png" 960 400 51 102 204 $([ "$enc" = hap ] && echo 8)
done
ffmpeg -loglevel error -f lavfi -i "color=c=0x3366cc:size=64x32" -frames:v 1 -c:v exr \
    -pix_fmt gbrpf32le -y "$T/still.exr" || fail "making an EXR"
expect "EXR still plate" "$VOLYM" render --plate "$T/still.exr" --plate-mode wall --out "$T/exr" \
    2>"$T/exr.err"
is_colour "EXR still" "$T/exr/wall-000000.png" 960 400 51 102 204
has "$T/exr.err" "gbrpf32le"

# A still image, an image sequence (frame n of the stage shows image n at
# the sequence's default 25 fps) and a live MPEG-TS stream over UDP.
ffmpeg -loglevel error -f lavfi -i "color=c=0xcc3333:size=64x32" -frames:v 1 -y "$T/still.png"
expect "still PNG plate" "$VOLYM" render --plate "$T/still.png" --plate-mode wall --frames 2 \
    --out "$T/still" 2>/dev/null
is_colour "still PNG, frame 1" "$T/still/wall-000001.png" 960 400 204 51 51
for i in 0 1 2; do
    ffmpeg -loglevel error -f lavfi -i "color=c=0x$((2 + i * 3))0$((2 + i * 3))0$((2 + i * 3))0:size=64x32" \
        -frames:v 1 -y "$T/seq$i.png"
done
expect "image sequence plate" "$VOLYM" render --plate "$T/seq%d.png" --plate-mode wall --frames 3 \
    --out "$T/seq" 2>/dev/null
for i in 0 1 2; do
    v=$(( (2 + i * 3) * 16 ))
    is_colour "image sequence, frame $i" "$T/seq/wall-00000$i.png" 960 400 $v $v $v
done
# In point, loop, hold and speed through the program: each stage frame
# shows the image the frame clock says (images 0, 1, 2 are grey 32, 80, 128).
grey() { local v; v=$(pixel "$1" 960 400); echo $(( (${v%% *} - 8) / 48 )); }
plays() {   # DESC "EXPECTED GREYS" ARGS...
    local d=$1 want=$2 got=""; shift 2
    rm -rf "$T/seqplay"
    "$VOLYM" render --plate "$T/seq%d.png" --plate-mode wall --frames 4 --out "$T/seqplay" "$@" \
        2>/dev/null || fail "$d: render failed"
    for i in 0 1 2 3; do got="$got $(grey "$T/seqplay/wall-00000$i.png")"; done
    [ "${got# }" = "$want" ] || fail "$d: frames show '${got# }', expected '$want'"
}
plays "loop from the in point" "1 2 1 2" --plate-in 1
plays "hold at the out point" "0 1 2 2" --plate-once
plays "out point" "0 1 0 1" --plate-out 2
plays "half speed" "0 0 1 1" --plate-speed 1/2

port=$(( 20000 + RANDOM % 20000 ))
ffmpeg -loglevel error -re -f lavfi -i "color=c=0x33cc66:size=128x64:rate=25" -t 20 -c:v mpeg2video \
    -f mpegts "udp://127.0.0.1:$port?pkt_size=1316" &
streamer=$!
expect "UDP stream plate" timeout 20 "$VOLYM" render --plate "udp://127.0.0.1:$port" --plate-mode wall \
    --frames 2 --out "$T/udp" 2>"$T/udp.err"
kill $streamer 2>/dev/null; wait $streamer 2>/dev/null
is_colour "UDP stream" "$T/udp/wall-000001.png" 960 400 51 204 102
# A stream that stops after a second: 5 s later volym says it broke, keeps
# its last good frame and runs on to the end. Nothing on the port at all:
# after 10 s one message and the fallback pattern, not a hang.
ffmpeg -loglevel error -re -f lavfi -i "color=c=0x33cc66:size=128x64:rate=25" -t 1 -c:v mpeg2video \
    -f mpegts "udp://127.0.0.1:$((port + 1))?pkt_size=1316" &
streamer=$!
expect "run on through a broken stream" timeout -k 5 30 "$VOLYM" run --headless --frames 200 \
    --plate "udp://127.0.0.1:$((port + 1))" --plate-mode wall 2>"$T/udp-broken.err"
wait $streamer 2>/dev/null
has "$T/udp-broken.err" "the stream is broken (no data for 5 s), keeping its last good frame"
has "$T/udp-broken.err" "200 frames shown"
has "$T/udp-broken.err" "the stream broke, its last good frame was held"
timeout -k 5 30 "$VOLYM" render --plate "udp://127.0.0.1:$((port + 2))" --out "$T/udp-none" 2>"$T/udp-none.err" &&
    fail "render from a silent UDP port exited 0"
has "$T/udp-none.err" "cannot open: nothing arrived in 10 s"

# Bad media: one message, the fallback pattern (magenta squares) where
# the plate would be, render exits 1; a running show goes on.
printf 'not a video at all\n' >"$T/broken.mp4"
head -c $(( $(stat -c %s "$T/blue.mp4") / 2 )) "$T/blue.mp4" >"$T/cut.mp4"   # no index
for bad in /nonexistent/plate.mp4 "$T/broken.mp4" "$T/cut.mp4"; do
    "$VOLYM" render --plate "$bad" --out "$T/bad" 2>"$T/bad.err" && fail "render --plate $bad exited 0"
    [ "$(grep -c "media.*plate $bad" "$T/bad.err")" = 1 ] || fail "$bad: not one message naming it"
    grep -v '^\[' "$T/bad.err" && fail "$bad: lines that are not volym's (FFmpeg's own log)"
    has "$T/bad.err" "fallback pattern"
    size_is "$T/bad/wall-000000.png" 1920x1080
    n=0
    for x in 100 300 500 700 900 1100 1300 1500; do
        [ "$(pixel "$T/bad/wall-000000.png" $x 400)" = "255 0 255" ] && n=$((n + 1))
    done
    [ $n -ge 2 ] || fail "$bad: no fallback pattern on the wall"
done
expect "run goes on without its plate" "$VOLYM" run --headless --frames 3 \
    --plate /nonexistent/plate.mp4 2>"$T/run-bad.err"
has "$T/run-bad.err" "3 frames shown"

# A model scene: an OBJ box written here, in front of the plate.
printf 'mtllib box.mtl\nusemtl red\nv -1 0 -6\nv 1 0 -6\nv 1 3 -6\nv -1 3 -6\nvn 0 0 1\nf 1//1 2//1 3//1\nf 1//1 3//1 4//1\n' >"$T/box.obj"
printf 'newmtl red\nKd 0.9 0.1 0.1\n' >"$T/box.mtl"
expect "OBJ scene over a plate" "$VOLYM" render --scene "$T/box.obj" --plate "$T/blue.mp4" \
    --pose 0,0,1.5,0,0,0 --out "$T/obj" 2>"$T/obj.err"
pix=$(pixel "$T/obj/wall-000000.png" 960 500)
set -- $pix
[ "${1:-0}" -gt 120 ] && [ "${3:-255}" -lt 80 ] || fail "OBJ scene: wall centre is '$pix', expected the red quad"
is_colour "plate beside the model" "$T/obj/wall-000000.png" 300 100 51 102 204
expect "placed 3 m to the right" "$VOLYM" render --scene "$T/box.obj" --scene-place 3,0,0 \
    --plate "$T/blue.mp4" --pose 0,0,1.5,0,0,0 --out "$T/obj2" 2>/dev/null
is_colour "moved model uncovers the plate" "$T/obj2/wall-000000.png" 960 500 51 102 204
usage_error "missing model" "nothing.glb" render --scene "$T/nothing.glb" --out "$T/nomodel"
expect "run falls back to builtin:grid" "$VOLYM" run --headless --frames 2 \
    --scene "$T/nothing.glb" 2>"$T/run-model.err"
has "$T/run-model.err" "showing builtin:grid instead"

usage_error "plate mode" "expected equirect|flat|wall" render --plate x --plate-mode cube
usage_error "plate speed" "--plate-speed" render --plate x --plate-speed 0
usage_error "plate rotate" "YAW,PITCH,ROLL" render --plate x --plate-rotate 1,2
usage_error "scene place" "X,Y,Z" render --scene-place 1,2
usage_error "plate in/out" "must come after" render --plate x --plate-in 10 --plate-out 5

echo "# k. run --stats: a JSON line a frame with exact targets and drop-frame timecode"
sed 's/"rate": "25"/"rate": "29.97"/' "$T/ok.json" >"$T/ntsc.json"
expect "run with --stats" "$VOLYM" run --headless --stage "$T/ntsc.json" --scene builtin:grid \
    --frames 30 --stats "$T/stats.jsonl" --timecode "00:00:59;20" 2>"$T/stats.err"
has "$T/stats.err" "[stats] 30 frames, "
has "$T/stats.err" "frame time p50 "
python3 - "$T/stats.jsonl" <<'PY' || fail "stats.jsonl is not what it should be"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 30, len(lines)
prev = -1
for r in lines:
    n = r["frame"]
    assert n > prev and r["dropped_before"] == n - prev - 1, r
    prev = n
    assert r["target_ns"] == n * 1001 * 10**9 // 30000, r          # exact 29.97 frame times
    assert r["target_ns"] <= r["start_ns"] <= r["render_end_ns"] <= r["present_ns"], r
    assert r["pose_age_ms"] is None and r["late"] in (True, False), r
    # 00:00:59;20 + n frames at 30 labels a second, ;00 and ;01 of minute 1 skipped
    f = 59 * 30 + 20 + n
    want = "00:00:59;%02d" % (f - 59 * 30) if f < 60 * 30 else "00:01:%02d;%02d" % divmod(f - 60 * 30 + 2, 30)
    assert r["timecode"] == want, (r["timecode"], want)
PY
usage_error "bad timecode" "not a label drop-frame skips" run --headless --stage "$T/ntsc.json" \
    --frames 1 --timecode "00:01:00;00"
usage_error "stats file" "cannot write /nonexistent/stats.jsonl" run --headless --frames 1 \
    --stats /nonexistent/stats.jsonl

echo "# l. render --out FILE: a video file that decodes back with its count, rate and timecode"
# probe FILE: one line per stream: "title frames rate", and the timecode ffprobe finds.
probe() {
    ffprobe -v error -count_frames -show_entries \
        stream=index,nb_read_frames,r_frame_rate:stream_tags=title,handler_name,timecode:format_tags=timecode \
        -of compact=p=0:nk=0 "$1" | tr '[:upper:]' '[:lower:]'
}
expect "render to mkv" "$VOLYM" render --stage "$T/ntsc.json" --scene builtin:grid --frames 12 \
    --camera-size 64x36 --view camera --timecode "01:00:00;00" --out "$T/take.mkv" 2>"$T/mkv.err"
probe "$T/take.mkv" >"$T/mkv.probe"
has "$T/mkv.probe" "nb_read_frames=12"
has "$T/mkv.probe" "r_frame_rate=30000/1001"
has "$T/mkv.probe" "timecode=01:00:00;00"
[ "$(grep -c nb_read_frames=12 "$T/mkv.probe")" = 2 ] || fail "take.mkv: expected the wall and the camera streams, 12 frames each"
# FFV1 is lossless: frame 5 of the file is the PNG render writes for frame 5, pixel for pixel.
expect "render PNGs" "$VOLYM" render --stage "$T/ntsc.json" --scene builtin:grid --frames 6 \
    --camera-size 64x36 --out "$T/take-png" 2>/dev/null
ffmpeg -v error -i "$T/take.mkv" -map 0:0 -vf "select=eq(n\,5)" -frames:v 1 -pix_fmt rgb24 -f rawvideo "$T/f5.rgb"
ffmpeg -v error -i "$T/take-png/wall-000005.png" -pix_fmt rgb24 -f rawvideo "$T/p5.rgb"
same "$T/f5.rgb" "$T/p5.rgb"
expect "render to mp4" "$VOLYM" render --scene builtin:grid --frames 5 --timecode 10:00:00:00 \
    --out "$T/take.mp4" 2>"$T/mp4.err"
probe "$T/take.mp4" >"$T/mp4.probe"
has "$T/mp4.probe" "nb_read_frames=5"
has "$T/mp4.probe" "r_frame_rate=25/1"
has "$T/mp4.probe" "timecode=10:00:00:00"
# On a terminal (script(1) gives it one) a progress bar; in a pipe, none.
script -qec "'$VOLYM' render --scene builtin:grid --frames 5 --out '$T/tty.mkv'" /dev/null >"$T/tty.out"
has "$T/tty.out" "frame 5/5 [====================]"
has "$T/tty.out" "fps, 0:00 left"
grep -q "frame 5/5" "$T/mkv.err" && fail "a progress bar went into a pipe"
usage_error "ffv1 in mp4" "ffv1" render --scene builtin:grid --codec ffv1 --out "$T/x.mp4"
usage_error "codec" "expected ffv1|h264" render --codec vp9 --out "$T/x.mkv"

echo "# m. OSC control: oscsend drives a running volym, a stats query is answered"
# osc_port LOG: the control port volym logs (waits up to 10 s).
osc_port() {
    for _ in $(seq 100); do
        p=$(sed -n 's/.*OSC control on UDP [0-9.]*:\([0-9]*\).*/\1/p' "$1")
        [ -n "$p" ] && { echo "$p"; return; }
        sleep 0.1
    done
}
ffmpeg -loglevel error -f lavfi -i testsrc=size=64x36:rate=25 -frames:v 250 -c:v mpeg4 -y "$T/ctl.mp4"
"$VOLYM" run --headless --stage "$T/ok.json" --plate "$T/ctl.mp4" --plate-mode wall \
    --frames 150 --control 0 --stats "$T/ctl.jsonl" 2>"$T/ctl.err" &
vpid=$!
cport=$(osc_port "$T/ctl.err")
oscdump -L 47123 >"$T/ctl.dump" 2>&1 &
dpid=$!
if [ -z "$cport" ]; then
    fail "volym never said where its OSC control listens"
else
    sleep 0.5
    oscsend localhost "$cport" /volym/plate/pause
    sleep 0.5
    oscsend localhost "$cport" /volym/stats i 47123
    sleep 0.5
    oscsend localhost "$cport" /volym/stats i 47123
    oscsend localhost "$cport" /volym/plate/seek f 6.0
    oscsend localhost "$cport" /volym/plate/play
    oscsend localhost "$cport" /volym/scene s builtin:grid
    oscsend localhost "$cport" /volym/overscan f 0.3
    oscsend localhost "$cport" /volym/card/rect sffff key 0 0 10 10
    oscsend localhost "$cport" /volym/plate/open s "$T/nope.mp4"
    oscsend localhost "$cport" /volym/nonsense i 1
    oscsend localhost "$cport" /volym/overscan s big
    sleep 0.5
    oscsend localhost "$cport" /volym/stats i 47123
    oscsend localhost "$cport" /volym/plate/open s "$T/blue.mp4"
fi
wait "$vpid" || fail "run with --control failed"
sleep 0.3
kill "$dpid" 2>/dev/null
wait "$dpid" 2>/dev/null
has "$T/ctl.err" "OSC control on UDP 127.0.0.1:"
has "$T/ctl.err" "now showing builtin:grid"
has "$T/ctl.err" "plate $T/nope.mp4 did not open: $T/ctl.mp4 plays on"
has "$T/ctl.err" "now playing $T/blue.mp4"
has "$T/ctl.err" "1 unknown, 1 malformed"
python3 - "$T/ctl.dump" <<'PY' || fail "the stats answers are not what they should be"
import sys
rows = [l.split() for l in open(sys.argv[1]) if "/volym/stats" in l]
assert len(rows) == 3, rows
# /volym/stats hhhddddssdhi: frame dropped late fps p50 p99 age timecode clock phase plate_frame playing
plate = [int(r[-2]) for r in rows]
playing = [r[-1] for r in rows]
assert plate[0] == plate[1] and playing[:2] == ["0", "0"], rows     # paused: the plate holds
assert plate[2] >= 150 and playing[2] == "1", rows                  # sought to 6 s and playing
assert '"internal"' in rows[0], rows
PY
# A live stream has nothing to seek in: one message, it plays on.
ffmpeg -loglevel error -re -f lavfi -i "color=c=0x33cc66:size=128x64:rate=25" -t 8 -c:v mpeg2video \
    -f mpegts "udp://127.0.0.1:$((port + 3))?pkt_size=1316" &
streamer=$!
"$VOLYM" run --headless --stage "$T/ok.json" --plate "udp://127.0.0.1:$((port + 3))" \
    --plate-mode wall --frames 75 --control 0 2>"$T/live-seek.err" &
vpid=$!
cport=$(osc_port "$T/live-seek.err")
[ -n "$cport" ] && oscsend localhost "$cport" /volym/plate/seek f 2.0
wait "$vpid" || fail "run with a live stream and a seek failed"
kill $streamer 2>/dev/null; wait $streamer 2>/dev/null
has "$T/live-seek.err" "seek: udp://127.0.0.1:$((port + 3)) is a live stream, there is nothing to seek in"
has "$T/live-seek.err" "75 frames shown"

echo "# n. --clock tracker: frames lock to a simulated 50 Hz FreeD tracker"
# with_sim NAME FRAMES URL "SIM ARGS" [RUN ARGS...]: volym run takes FRAMES frames
# tracked from URL (stats in $T/NAME.jsonl) while volym-track sim sends to it.
with_sim() {
    local name=$1 frames=$2 url=$3 sim_args=$4 vpid spid
    shift 4
    "$VOLYM" run --headless --stage "$T/ok.json" --scene builtin:grid --frames "$frames" \
        --tracking "$url" --stats "$T/$name.jsonl" "$@" 2>"$T/$name.err" &
    vpid=$!
    sleep 0.3
    "$(dirname "$VOLYM")/volym-track" sim --to "$url" $sim_args >/dev/null 2>&1 &
    spid=$!
    wait "$vpid" || fail "$name: volym run failed"
    kill "$spid" 2>/dev/null
    wait "$spid" 2>/dev/null
}
with_sim lock 200 freed://127.0.0.1:47124 "--rate 50 --seconds 10" --clock tracker
python3 - "$T/lock.jsonl" <<'PY' || fail "the tracker clock did not lock"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 200, len(rows)
clocks = [r["clock"] for r in rows]
assert clocks[-1] == "tracker locked", clocks[-20:]
first = clocks.index("tracker locked")
assert first < 150, first                                   # locked within 6 s
assert all(abs(r["phase_error_ms"]) < 1.0 for r in rows[first:]), [r["phase_error_ms"] for r in rows[first:]]
PY
usage_error "clock without tracker" "no tracker 0 to lock to" run --headless --frames 1 --clock tracker

echo "# o. --timecode tracker: the label comes from OpenTrackIO"
with_sim tc 60 opentrackio://127.0.0.1:47125 "--rate 25 --seconds 6 --timecode 10:00:00:00" \
    --timecode tracker
python3 - "$T/tc.jsonl" <<'PY' || fail "the tracker's timecode did not reach the stats"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
tcs = [r["timecode"] for r in rows if r["timecode"].startswith("10:00:")]
assert len(tcs) > 30, [r["timecode"] for r in rows]
def frames(tc):
    h, m, s, f = map(int, tc.replace(";", ":").split(":"))
    return ((h * 60 + m) * 60 + s) * 25 + f
steps = [frames(b) - frames(a) for a, b in zip(tcs, tcs[1:])]
assert all(0 <= d <= 2 for d in steps), steps                # labels advance with the frames
assert frames(tcs[-1]) - frames(tcs[0]) >= len(tcs) - 5, (tcs[0], tcs[-1])
PY

echo "# o. OpenTrackIO from a sender written from the spec (tests/otrk_send.py), not volym's"
OTRK_SEND="$(dirname "$0")/otrk_send.py"
# otrk DIR JSON [VOLYM_ARGS...]: one frame tracked by an OpenTrackIO sample.
otrk() {
    local dir=$1 json=$2 port pid spid
    shift 2
    render --tracking opentrackio://127.0.0.1:0 --out "$dir" "$@" 2>"$dir.err" &
    pid=$!
    port=$(listening_port "$dir.err")
    if [ -z "$port" ]; then
        fail "$dir: volym never said which UDP port it listens on"
    else
        python3 "$OTRK_SEND" 127.0.0.1 "$port" "$json" 20 &
        spid=$!
    fi
    wait "$pid" || fail "$dir: OpenTrackIO-tracked render failed"
    [ -n "${spid:-}" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
    grep -q "dropped" "$dir.err" && fail "$dir: datagrams dropped: $(grep dropped "$dir.err")"
}
# otrk_sample X Y Z PAN TILT ROLL [LENS_JSON [STATIC_JSON]]
otrk_sample() {
    echo "{\"protocol\":{\"name\":\"OpenTrackIO\",\"version\":[1,0,1]},\"sourceNumber\":1,
      \"transforms\":[{\"id\":\"Camera\",\"translation\":{\"x\":$1,\"y\":$2,\"z\":$3},
      \"rotation\":{\"pan\":$4,\"tilt\":$5,\"roll\":$6}}]${7:+,\"lens\":$7}${8:+,\"static\":$8}}"
}
# Pan +30 in OpenTrackIO looks left (right-hand rule; README Conventions):
# volym's pan -30. Tilt and roll keep their sign.
otrk "$T/ot-pan" "$(otrk_sample 0.5 0.25 1.5 30 -4 2)"
expect "render at volym pan -30" render --pose 0.5,0.25,1.5,-30,-4,2 --out "$T/ot-pan-ref" 2>/dev/null
expect "render at volym pan +30" render --pose 0.5,0.25,1.5,30,-4,2 --out "$T/ot-pan-wrong" 2>/dev/null
same "$T/ot-pan/camera-000000.png" "$T/ot-pan-ref/camera-000000.png"
differ "$T/ot-pan/camera-000000.png" "$T/ot-pan-wrong/camera-000000.png"
# The entrance pupil 0.25 m ahead of the sensor is the projection centre:
# the camera at y 0.25 looking along +Y sees from y 0.5.
otrk "$T/ot-pupil" "$(otrk_sample 0.5 0.25 1.5 0 0 0 '{"entrancePupilOffset":0.25}')"
expect "render at the pupil" render --pose 0.5,0.5,1.5,0,0,0 --out "$T/ot-pupil-ref" 2>/dev/null
same "$T/ot-pupil/wall-000000.png" "$T/ot-pupil-ref/wall-000000.png"
# A projection offset shifts the frustum, with the sensor size from the
# static block; without a sensor size it is ignored, once said.
otrk "$T/ot-shift" "$(otrk_sample 0 0 1.5 0 0 0 '{"projectionOffset":{"x":3.6,"y":0}}' \
    '{"camera":{"activeSensorPhysicalDimensions":{"width":36,"height":24}}}')"
otrk "$T/ot-noshift" "$(otrk_sample 0 0 1.5 0 0 0 '{"projectionOffset":{"x":3.6,"y":0}}')"
has "$T/ot-noshift.err" "projection offset but no sensor size"
same "$T/ot-noshift/wall-000000.png" "$T/default/wall-000000.png"
differ "$T/ot-shift/wall-000000.png" "$T/default/wall-000000.png"
# A distortion overscan factor of 1.5 raises the stage's 10 % to 50 %:
# the wall is the one a stage asking for 50 % gives.
otrk "$T/ot-over" "$(otrk_sample 0 0 1.5 0 0 0 '{"distortion":[{"radial":[0,0],"overscan":1.2},{"radial":[0,0],"overscan":1.5}]}')"
has "$T/ot-over.err" "raises the inner frustum's overscan from 10 % to 50.0 %"
# The coefficients themselves are not applied: said once, not per sample.
[ "$(grep -c "distortion coefficients (lens.distortion, distortionOffset) are not applied" "$T/ot-over.err")" = 1 ] ||
    fail "ot-over: the unapplied distortion is not said exactly once"
sed 's/"rate": "25",/"rate": "25", "frustum": { "overscan": 0.5 },/' "$T/ok.json" >"$T/over50.json"
sed 's/"rate": "25",/"rate": "25", "frustum": { "overscan": 0.1 },/' "$T/ok.json" >"$T/over10.json"
otrk "$T/ot-over-stage" "$(otrk_sample 0 0 1.5 0 0 0 '{"distortion":[{"radial":[0,0],"overscan":1.5}]}')" \
    --stage "$T/over10.json"
expect "render with 50 % overscan" render --stage "$T/over50.json" --pose 0,0,1.5,0,0,0 --out "$T/ot-over-ref" 2>/dev/null
expect "render with 10 % overscan" render --stage "$T/over10.json" --pose 0,0,1.5,0,0,0 --out "$T/ot-over-10" 2>/dev/null
same "$T/ot-over-stage/wall-000000.png" "$T/ot-over-ref/wall-000000.png"
differ "$T/ot-over-stage/wall-000000.png" "$T/ot-over-10/wall-000000.png"

echo "# p. two outputs, two windows (on an X server, Xvfb); --clock vsync on a display that does not wait"
if command -v Xvfb >/dev/null; then
    cat >"$T/two.json" <<'EOF'
{
  "name": "two", "rate": "25",
  "outputs": [ { "name": "left", "width": 64, "height": 32, "display": 0 },
               { "name": "right", "width": 64, "height": 32, "display": 1 } ],
  "sections": [
    { "name": "l", "output": "left", "canvas": [0, 0], "panel_mm": [500, 500],
      "panel_px": [32, 32], "grid": [2, 1], "position": [-1, 3, 1.5] },
    { "name": "r", "output": "right", "canvas": [0, 0], "panel_mm": [500, 500],
      "panel_px": [32, 32], "grid": [2, 1], "position": [0, 3, 1.5] }
  ]
}
EOF
    Xvfb :87 -screen 0 640x480x24 -nolisten tcp >"$T/xvfb.log" 2>&1 &
    xpid=$!
    sleep 1.5
    DISPLAY=:87 SDL_VIDEODRIVER=x11 timeout -k 5 120 "$VOLYM" run --stage "$T/two.json" \
        --scene builtin:grid --frames 150 --clock vsync --stats "$T/two.jsonl" 2>"$T/two.err" \
        || fail "run with two windows failed"
    kill "$xpid"
    wait "$xpid" 2>/dev/null
    has "$T/two.err" "output left: a 64x32 window on display 0"
    has "$T/two.err" "output right: display 1 does not exist, using display 0"
    has "$T/two.err" "output right: a 64x32 window on display 0"
    has "$T/two.err" "does not wait for its vblank"
    python3 - "$T/two.jsonl" <<'PY' || fail "after the fallback frames do not run at 25 fps"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 150, len(rows)
steps = [(b["start_ns"] - a["start_ns"]) / 1e6 for a, b in zip(rows[100:], rows[101:])]
assert all(35 < d < 45 for d in steps), steps
PY
else
    echo "(no Xvfb: skipped; scripts/install-deps.sh installs it)"
fi

echo "# q. --pattern: test patterns on the wall; AprilTag markers with their stage positions"
expect "render --pattern apriltag" "$VOLYM" render --pattern apriltag --out "$T/pat" --view camera \
    --pose 0,0,1.25,0,0,0 --fov 90 --camera-size 960x540 2>"$T/pat.err"
files="camera-000000.png markers.json wall-000000.png"
[ "$(ls "$T/pat" | xargs)" = "$files" ] || fail "pat holds '$(ls "$T/pat" | xargs)', expected '$files'"
size_is "$T/pat/wall-000000.png" 1920x1080
size_is "$T/pat/camera-000000.png" 960x540
has "$T/pat.err" "showing the apriltag test pattern"
python3 - "$T/pat/markers.json" <<'PY' || fail "markers.json is not the default stage's 60 markers"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["family"] == "tag36h11", d["family"]
m = d["markers"]
assert [x["id"] for x in m] == list(range(60)), [x["id"] for x in m]
assert all(x["section"] == "main" and len(x["corners_px"]) == 4 and len(x["corners"]) == 4
           and all(len(c) == 3 for c in x["corners"]) and len(x["centre"]) == 3 for x in m)
assert m[13]["panel"] == [1, 1] and m[13]["corners_px"][3] == [176, 176], m[13]
assert all(0 <= c[2] <= 2.5 and 3 < c[1] < 4.1 for x in m for c in x["corners"])  # on the wall
PY
# The pattern replaces the scene: another scene, the same wall and camera picture.
expect "render --pattern apriltag over another scene" "$VOLYM" render --pattern apriltag \
    --scene builtin:grid --out "$T/pat2" --view camera --pose 0,0,1.25,0,0,0 --fov 90 \
    --camera-size 960x540 2>"$T/pat2.err"
same "$T/pat/wall-000000.png" "$T/pat2/wall-000000.png"
same "$T/pat/camera-000000.png" "$T/pat2/camera-000000.png"
expect "render --pattern grid" "$VOLYM" render --pattern grid --out "$T/patg" 2>"$T/patg.err"
[ ! -e "$T/patg/markers.json" ] || fail "the grid pattern wrote markers.json"
differ "$T/pat/wall-000000.png" "$T/patg/wall-000000.png"
expect "render --pattern apriltag into a video" "$VOLYM" render --pattern apriltag --out "$T/pat.mkv" \
    2>"$T/patv.err"
[ -s "$T/pat.markers.json" ] || fail "render --out pat.mkv wrote no pat.markers.json"
usage_error "unknown pattern" "--pattern: expected grid|crosshair|bars|apriltag, got 'nope'" \
    render --pattern nope
usage_error "pattern with bench" "--pattern works with run and render" bench --pattern grid
expect "run --headless --pattern grid" timeout -k 5 60 "$VOLYM" run --headless --pattern grid \
    --frames 5 2>"$T/patrun.err"
has "$T/patrun.err" "showing the grid test pattern"
has "$T/patrun.err" "5 frames shown"

echo "# r. --view stage: the volume from outside"
expect "render the stage view" render --view stage --stage-view top --stage-size 320x180 \
    --frames 2 --out "$T/sv" 2>"$T/sv.err"
size_is "$T/sv/stage-000001.png" 320x180
expect "render the orbit view" render --view stage --stage-size 320x180 --out "$T/sv-orbit" \
    2>"$T/sv-orbit.err"
differ "$T/sv/stage-000000.png" "$T/sv-orbit/stage-000000.png"    # --stage-view is honoured
usage_error "stage view" "expected top|front|orbit|camera" render --view stage --stage-view side

echo "# s. --view preview|single: the windows' pictures, headless"
expect "render the windows' pictures" "$VOLYM" render --pattern bars --view preview --view single \
    --view stage --stage-view camera --stage-size 640x360 --frames 2 --out "$T/win" 2>"$T/win.err"
files="preview-000000.png preview-000001.png single-000000.png single-000001.png stage-000000.png stage-000001.png wall-000000.png wall-000001.png"
[ "$(ls "$T/win" | xargs)" = "$files" ] || fail "win holds '$(ls "$T/win" | xargs)', expected '$files'"
for f in preview single stage; do size_is "$T/win/$f-000000.png" 640x360; done
differ "$T/win/stage-000000.png" "$T/win/preview-000000.png"     # the picture in picture, the overlay
# Single screen, 640x360: the 1920x1080 canvas fills the top-left 320x180, so
# canvas pixel (x, y) is at (x / 6, y / 6): the centre of each colour bar.
for k in 0 1 2 3 4 5 6; do
    x=$(( (2 * k + 1) * 1920 / 14 ))
    want=$(pixel "$T/win/wall-000000.png" "$x" 200)
    got=$(pixel "$T/win/single-000000.png" $(( x / 6 )) 33 640)
    [ "$want" = "$got" ] || fail "single screen: bar $k is '$got', the canvas's '$want'"
done
# The camera's path starts again where the camera jumps (a take that leaps
# 3 m at 1 s): from above, no path to the left of the middle, where the
# camera stood before the jump.
python3 - "$T/jump.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(101):
        t = i * 0.02
        f.write(json.dumps({"t": t, "camera": 1, "x": -1.5 if t < 1 else 1.5, "y": 0.5 + 0.3 * t,
                            "z": 1.5, "pan": 0, "tilt": 0, "roll": 0}) + "\n")
PY
expect "render a take that jumps" "$VOLYM" render --scene builtin:grid --take "$T/jump.jsonl" \
    --frames 50 --view stage --stage-view top --stage-size 640x360 --out "$T/jump" 2>"$T/jump.err"
ffmpeg -loglevel error -i "$T/jump/stage-000049.png" -f rawvideo -pix_fmt rgb24 -y "$T/jump.rgb"
python3 - "$T/jump.rgb" <<'PY' || fail "the path runs on across the jump"
import sys
img = open(sys.argv[1], "rb").read()
blue = lambda x, y: img[(y * 640 + x) * 3 + 2] - img[(y * 640 + x) * 3] > 40
assert not any(blue(x, y) for y in range(360) for x in range(320))        # none before it
assert any(blue(x, y) for y in range(360) for x in range(320, 640))       # some after it
PY
usage_error "no preview and single screen" "cannot go with --no-preview" run --no-preview --single-screen
usage_error "unknown view" "expected camera, reference, stage, preview or single" render --view side
expect "run --single-screen --headless" timeout -k 5 60 "$VOLYM" run --headless --single-screen \
    --frames 3 2>"$T/single-headless.err"
has "$T/single-headless.err" "there is no display, so nothing is shown"

echo "# t. the preview window on a display: keys and mouse reach it, it shows the stage (Xvfb)"
if command -v Xvfb >/dev/null && command -v xdotool >/dev/null && command -v xwd >/dev/null; then
    Xvfb :88 -screen 0 1280x800x24 -nolisten tcp >"$T/xvfb88.log" 2>&1 &
    xpid=$!
    sleep 1.5
    export DISPLAY=:88
    SDL_VIDEODRIVER=x11 timeout -k 5 90 "$VOLYM" run --stage "$T/ok.json" --scene builtin:grid \
        2>"$T/pv.err" &
    vpid=$!
    # wait_log TEXT: until volym has logged TEXT (at most 20 s).
    wait_log() {
        for _ in $(seq 200); do grep -qF -- "$1" "$T/pv.err" && return 0; sleep 0.1; done
        fail "the preview never logged '$1'"; sed 's/^/    /' "$T/pv.err" >&2
    }
    wid=$(timeout 20 xdotool search --sync --name 'volym: preview' | head -1)
    wait_log "Esc or q quits"
    sleep 1
    xdotool windowfocus --sync "$wid" key h t
    wait_log "view: top, zoom 1"
    has "$T/pv.err" "keys shown"
    sleep 0.5
    xwd -root -silent >"$T/pv.xwd"
    xdotool mousemove --window "$wid" 300 300 mousedown 1 mousemove --window "$wid" 420 330 mouseup 1
    wait_log "view: orbit, by the mouse"
    xdotool click 4 click 4 key c     # the wheel zooms in twice (1.15 each); c keeps the zoom
    wait_log "view: from camera, zoom 1.3"
    xdotool key q
    wait "$vpid" || fail "run with the preview did not quit cleanly on q"
    kill "$xpid"
    wait "$xpid" 2>/dev/null
    unset DISPLAY
    has "$T/pv.err" "preview: a 1280x720 window on display 0; h shows the keys"
    has "$T/pv.err" "frames shown"
    # The screen: the preview (stage-view background) with the key list in
    # a box at its centre (its text colour there).
    ffmpeg -loglevel error -i "$T/pv.xwd" -f rawvideo -pix_fmt rgb24 -y "$T/pv.rgb" ||
        fail "cannot read the screenshot"
    python3 - "$T/pv.rgb" <<'PY' || fail "the screenshot does not show the preview with its key list"
import sys
W, H = 1280, 800
img = open(sys.argv[1], "rb").read()
px = lambda x, y: tuple(img[(y * W + x) * 3:(y * W + x) * 3 + 3])
window = [(x, y) for y in range(40, 760) for x in range(1280)]   # 1280x720, centred
background = sum(px(x, y) == (0x12, 0x12, 0x18) for x, y in window[::7])
assert background > len(window[::7]) // 4, background
centre = [px(x, y) for y in range(330, 470) for x in range(440, 840)]
bright = sum(min(p) > 200 for p in centre)
assert bright > 200, bright
PY
else
    echo "(no Xvfb, xdotool or xwd: skipped; scripts/install-deps.sh installs them)"
fi

echo "# u. media that never fails silently: raw streams, pictures too large, files cut short"
# A raw H.264 stream (no container, no timestamps) of flat greys: source
# frame k has luma 16 + 4 k, so the wall says which frame it shows.
ffmpeg -loglevel error -f lavfi -i "color=black:size=64x32:rate=25,format=yuv420p,geq=lum='16+4*N':cb=128:cr=128" \
    -frames:v 10 -c:v libx264 -crf 12 -bf 3 -g 5 -y "$T/grey.h264" || fail "making grey.h264"
# shows DESC DIR "SOURCE FRAMES": DIR's walls, in order, show those source frames.
shows() {
    local got="" v k f
    for f in "$2"/wall-*.png; do
        v=$(pixel "$f" 960 400); v=${v%% *}
        got="$got $(( (v * 219 + 510) / 1020 ))"        # RGB grey (Y - 16) * 255 / 219
    done
    [ "${got# }" = "$3" ] || fail "$1: the wall shows source frames '${got# }', expected '$3'"
}
expect "raw H.264 plate" "$VOLYM" render --plate "$T/grey.h264" --plate-mode wall --frames 12 \
    --out "$T/raw" 2>"$T/raw.err"
shows "raw H.264 at the stage rate, looping" "$T/raw" "0 1 2 3 4 5 6 7 8 9 0 1"
has "$T/raw.err" "no timestamps (a raw stream): 10 frames counted"
has "$T/raw.err" "has no timestamps: playing it at 25/1 fps, the stage rate"
# The README's example: --plate-rate 50 on the 25 fps stage shows every other frame.
expect "raw H.264 at --plate-rate 50" "$VOLYM" render --plate "$T/grey.h264" --plate-rate 50 \
    --plate-mode wall --frames 6 --out "$T/raw50" 2>"$T/raw50.err"
shows "raw H.264 at --plate-rate 50" "$T/raw50" "0 2 4 6 8 0"
has "$T/raw50.err" "playing it at 50/1 fps, --plate-rate"
expect "--plate-rate on a file with timestamps" "$VOLYM" render --plate "$T/blue.mp4" --plate-rate 50 \
    --plate-mode wall --out "$T/rate-timed" 2>"$T/rate-timed.err"
has "$T/rate-timed.err" "--plate-rate 50 ignored: $T/blue.mp4 has timestamps (25/1 fps)"
usage_error "plate rate" "--plate-rate: expected a frame rate" render --plate x --plate-rate fast
# A 16384x16384 PNG (ffmpeg will not make one: written here, 1 bit a pixel)
# is over libavcodec's size limit: one error naming the file, what
# libavcodec said and the limit; render exits 1, run goes on without it.
python3 - "$T/huge.png" <<'PY'
import struct, sys, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
z = zlib.compressobj(9)
idat = b"".join(z.compress(b"\0" + b"\xff" * 2048) for _ in range(16384)) + z.flush()
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16384, 16384, 1, 0, 0, 0, 0)) +
                              chunk(b"IDAT", idat) + chunk(b"IEND", b""))
PY
"$VOLYM" render --plate "$T/huge.png" --plate-mode wall --out "$T/huge" 2>"$T/huge.err" &&
    fail "render --plate huge.png exited 0"
[ "$(grep -c "error: plate $T/huge.png" "$T/huge.err")" = 1 ] || fail "huge.png: not one error naming it"
has "$T/huge.err" "Picture size 16384x16384 is invalid (it takes pictures up to (width + 128) x (height + 128) < 2^28 pixels, e.g. 16255x16255)"
has "$T/huge.err" "fallback pattern"
expect "run goes on without a picture too large" "$VOLYM" run --headless --frames 3 \
    --plate "$T/huge.png" 2>"$T/run-huge.err"
has "$T/run-huge.err" "Picture size 16384x16384 is invalid"
has "$T/run-huge.err" "3 frames shown"
# An MKV cut in half: its header promises 50 frames. Once, where it
# ended; the frames after it are missing, not late; render exits 0.
ffmpeg -loglevel error -f lavfi -i testsrc=size=64x36:rate=25 -frames:v 50 -c:v mpeg4 -g 10 \
    -y "$T/whole.mkv" || fail "making whole.mkv"
head -c $(( $(stat -c %s "$T/whole.mkv") / 2 )) "$T/whole.mkv" >"$T/half.mkv"
expect "a file cut short plays what there is" "$VOLYM" render --plate "$T/half.mkv" --plate-mode wall \
    --frames 60 --out "$T/half" 2>"$T/half.err"
[ "$(grep -c "the file ended at frame [0-9]* of the 50 it promised" "$T/half.err")" = 1 ] ||
    fail "half.mkv: not said once where it ended"
grep -qE "decode errors, 0 shown late; the file ended at frame [0-9]+ of 50, its last frame was held" "$T/half.err" ||
    fail "half.mkv: the summary does not say where it ended, or counts missing frames as late"

if [ "$failures" -ne 0 ]; then
    echo "test_cli: $failures check(s) failed" >&2
    exit 1
fi
echo "test_cli: all checks passed"
