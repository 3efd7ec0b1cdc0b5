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
# tracked DIR GARBAGE CAMERA [VOLYM_ARGS...]: one tracked frame into DIR (stderr in
# DIR.err). volym listens on a port it picks (port 0) and logs it; once it does,
# freed_send sends camera CAMERA at $POSE, after GARBAGE malformed datagrams.
tracked() {
    local dir=$1 garbage=$2 cam=$3 port="" pid
    shift 3
    render --tracking freed://127.0.0.1:0 --out "$dir" "$@" 2>"$dir.err" &
    pid=$!
    for _ in $(seq 100); do
        port=$(sed -n 's/.*listening on UDP port \([0-9]*\).*/\1/p' "$dir.err")
        [ -n "$port" ] && break
        sleep 0.1
    done
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
has "$T/tr.err" "0 other camera, dropped: 0 bad length, 0 bad type, 0 bad checksum"

echo "# e. --camera 2 ignores camera 1 and keeps the fixed pose"
tracked "$T/cam2" 0 1 --camera 2
has "$T/cam2.err" "no tracking sample from freed://127.0.0.1:0"
grep -qE " 0 samples, [1-9][0-9]* other camera" "$T/cam2.err" || fail "cam2: camera 1 not counted as other camera"
same "$T/cam2/wall-000000.png" "$T/default/wall-000000.png"

echo "# f. malformed datagrams are counted and change nothing"
tracked "$T/garbage" 1000 1
has "$T/garbage.err" "dropped: 334 bad length, 333 bad type, 333 bad checksum"
same "$T/garbage/wall-000000.png" "$T/fixed/wall-000000.png"

echo "# g. the demo without a display"
mkdir "$T/demo"
(cd "$T/demo" && DISPLAY= WAYLAND_DISPLAY= SDL_VIDEODRIVER=offscreen \
    "$VOLYM" demo --frames 2 >out 2>err) || fail "demo failed"
size_is "$T/demo/volym-demo/wall-000000.png" 1920x1080
[ -e "$T/demo/volym-demo/wall-000002.png" ] && fail "demo wrote more than --frames 2"
[ "$(grep -c "volym-demo/" "$T/demo/out")" = 1 ] || fail "demo: not one stdout line saying where the files are"

if [ "$failures" -ne 0 ]; then
    echo "test_cli: $failures check(s) failed" >&2
    exit 1
fi
echo "test_cli: all checks passed"
