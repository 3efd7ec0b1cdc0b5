#!/usr/bin/env bash
# volym-track end to end over loopback: sim -> probe for each protocol,
# record -> replay -> probe, export to CSV and Nuke .chan, usage errors.
#   test_track_tool.sh VOLYM_TRACK
# Receivers listen on port 0 and log the port they got, so parallel runs
# never collide.
set -u
VT=$(realpath "$1")
T=$(mktemp -d)
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; rm -rf "$T"' EXIT
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
# has FILE TEXT: FILE contains the fixed string TEXT.
has() { grep -qF -- "$2" "$1" || { fail "$1 lacks '$2'"; sed 's/^/    /' "$1" >&2; }; }
# check WHAT ARGS...: the python checks below, failing with their message.
check() { python3 "$T/check.py" "$@" || fail "check $*"; }

cat >"$T/check.py" <<'EOF'
"""Checks on volym-track output; exits 1 with a message on failure."""
import json, math, sys

def lines(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]

def fail(msg):
    sys.exit(msg)

def near(a, b, tol, what):
    if abs(a - b) > tol:
        fail(f"{what}: {a} is not {b} (+-{tol})")

def move(path, name, n, camera):
    """probe --json lines of a sim move: n samples, plausible poses."""
    s, n, camera = lines(path), int(n), int(camera)
    if len(s) != n:
        fail(f"{path}: {len(s)} samples, expected {n}")
    keys = ["t", "camera", "x", "y", "z", "pan", "tilt", "roll"]
    for i, o in enumerate(s):
        if list(o)[:8] != keys:
            fail(f"{path}:{i + 1}: keys {list(o)}")
        if o["camera"] != camera:
            fail(f"{path}:{i + 1}: camera {o['camera']}")
        if i and o["t"] <= s[i - 1]["t"]:
            fail(f"{path}:{i + 1}: t does not increase")
        x, y, z, pan, tilt, roll = (o[k] for k in keys[2:])
        if name == "dolly":
            near(x, 0, 1e-3, "dolly x"); near(z, 1.5, 1e-3, "dolly z")
            if not -1e-3 <= y <= 2.001: fail(f"dolly y {y}")
            near(pan, 0, 1e-3, "dolly pan"); near(tilt, 0, 1e-3, "dolly tilt")
        elif name == "orbit":
            near(math.hypot(x, y - 1), 1.5, 2e-3, "orbit radius"); near(z, 1.5, 1e-3, "orbit z")
            near(pan, math.degrees(math.atan2(-x, 4 - y)), 0.05, "orbit pan (aimed at the wall)")
            near(roll, 0, 1e-3, "orbit roll")
        elif name == "pan":
            near(x, 0, 1e-3, "pan x"); near(y, 0.5, 1e-3, "pan y"); near(z, 1.5, 1e-3, "pan z")
            if abs(pan) > 30.01: fail(f"pan {pan}")
            near(tilt, 0, 1e-3, "pan tilt")
        elif name == "handheld":
            near(x, 0, 0.05, "handheld x"); near(y, 1, 0.05, "handheld y"); near(z, 1.5, 0.05, "handheld z")
            near(roll, 0, 2, "handheld roll")
    if name == "pan" and max(abs(o["pan"]) for o in s) < 5:
        fail("pan: the camera did not turn")
    if name == "dolly" and max(o["y"] for o in s) < 0.01:
        fail("dolly: the camera did not move")

def field(path, key, value):
    """Every line has key == value (within 1e-3)."""
    for o in lines(path):
        if key not in o or abs(o[key] - float(value)) > 1e-3:
            fail(f"{path}: {key} is {o.get(key)}, expected {value}")

def same_poses(take, probe, speed, offset="0"):
    """probe lines from `offset` on are the take's poses (the first pass:
    all of them, with the take's timing / speed)."""
    a, b, speed, offset = lines(take), lines(probe)[int(offset):], float(speed), int(offset)
    if len(b) < (1 if offset else len(a)):
        fail(f"{probe}: {len(b)} samples after {offset}, take has {len(a)}")
    for i, (p, q) in enumerate(zip(a, b)):
        for k in ["x", "y", "z", "pan", "tilt", "roll"]:
            near(q[k], p[k], 2e-4, f"sample {i + 1} {k}")
    if not offset:
        span_take = (a[-1]["t"] - a[0]["t"]) / speed
        near(b[-1]["t"] - b[0]["t"], span_take, 0.05 + 0.05 * span_take, "replayed duration")

def csv(path, take):
    rows = [l.rstrip("\n").split(",") for l in open(path)]
    if rows[0] != "t,camera,x,y,z,pan,tilt,roll,fov,zoom,focus".split(","):
        fail(f"{path}: header {rows[0]}")
    s = lines(take)
    if len(rows) != len(s) + 1:
        fail(f"{path}: {len(rows) - 1} rows for {len(s)} samples")
    for r, o in zip(rows[1:], s):
        if len(r) != 11: fail(f"{path}: row {r}")
        near(float(r[2]), o["x"], 1e-9, "csv x"); near(float(r[5]), o["pan"], 1e-9, "csv pan")
        if (r[9] != "") != ("zoom" in o): fail(f"{path}: zoom cell {r[9]!r}")

def chan(path, take, fps):
    s, fps = lines(take), float(fps)
    rows = [[float(v) for v in l.split()] for l in open(path)]
    frames = math.floor((s[-1]["t"] - s[0]["t"]) * fps + 1e-9) + 1
    if len(rows) != frames:
        fail(f"{path}: {len(rows)} frames, expected {frames}")
    for i, r in enumerate(rows):
        if r[0] != i + 1 or len(r) not in (7, 8) or len(r) != len(rows[0]):
            fail(f"{path}: line {i + 1}: {r}")
    first, r = s[0], rows[0]
    near(r[1], first["x"], 1e-5, "chan tx"); near(r[2], first["z"], 1e-5, "chan ty")
    near(r[3], -first["y"], 1e-5, "chan tz")
    near(r[4], first["tilt"], 1e-4, "chan rx"); near(r[5], -first["pan"], 1e-4, "chan ry")
    near(r[6], 0, 1e-4, "chan rz")

globals()[sys.argv[1]](*sys.argv[2:])
EOF

# listen NAME ARGS...: run volym-track ARGS in the background (NAME.out,
# NAME.err) until it logs its UDP port; sets PORT and PID.
listen() {
    local name=$1
    shift
    PORT=""
    timeout 20 "$VT" "$@" >"$T/$name.out" 2>"$T/$name.err" &
    PID=$!
    PIDS+=("$PID")
    for _ in $(seq 250); do
        PORT=$(sed -n 's/.*listening on UDP port \([0-9]*\).*/\1/p' "$T/$name.err")
        [ -n "$PORT" ] && return 0
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.02
    done
    fail "$name: never said which UDP port it listens on"
    sed 's/^/    /' "$T/$name.err" >&2
    return 1
}
# finish NAME: wait for the background command; it must exit 0.
finish() { wait "$PID" || { fail "$1 exited $?"; sed 's/^/    /' "$T/$1.err" >&2; }; }

# sim_probe NAME SCHEME MOVE N [SIM_ARGS...]: probe --json --count N while sim
# sends MOVE at 200 Hz to 127.0.0.1 (or $HOST); the probe's lines are left in
# NAME.out.
sim_probe() {
    local name=$1 scheme=$2 move=$3 n=$4 host=${HOST:-127.0.0.1}
    shift 4
    listen "$name" probe --json --count "$n" --seconds 10 --from "$scheme://$host:0" || return
    "$VT" sim --to "$scheme://$host:$PORT" --move "$move" --rate 200 --seconds 1 "$@" \
        >"$T/$name.sim" 2>&1 &
    local sim=$!
    finish "$name"
    kill -INT "$sim" 2>/dev/null
    wait "$sim" || fail "$name: sim exited $?"
}

echo "# a. sim -> probe over each protocol"
sim_probe freed freed dolly 60 --zoom 4660 --focus 4095
check move "$T/freed.out" dolly 60 1
check field "$T/freed.out" zoom 4660
check field "$T/freed.out" focus 4095
sim_probe osc osc orbit 60 --camera 3 --fov 42
check move "$T/osc.out" orbit 60 3
check field "$T/osc.out" fov 42
sim_probe otrk opentrackio pan 60 --segment 200
check move "$T/otrk.out" pan 60 1
# Segmented: every sample took several datagrams, and none was lost.
last=$(grep "datagrams" "$T/otrk.err" | tail -1)
d=$(echo "$last" | sed -n 's/.* \([0-9]*\) datagrams.*/\1/p')
s=$(echo "$last" | sed -n 's/.* \([0-9]*\) samples.*/\1/p')
[ -n "$d" ] && [ -n "$s" ] && [ "$d" -ge $((2 * s)) ] || fail "opentrackio: not segmented: '$last'"
echo "$last" | grep -q "dropped" && fail "opentrackio: datagrams dropped: '$last'"
# The same as CBOR payloads.
sim_probe cbor opentrackio dolly 60 --format cbor --segment 200
check move "$T/cbor.out" dolly 60 1
last=$(grep "datagrams" "$T/cbor.err" | tail -1)
echo "$last" | grep -qE "dropped|lost" && fail "opentrackio CBOR: '$last'"
# A multicast group as host: the probe joins it, sim sends to it.
HOST=239.135.1.7 sim_probe mcast opentrackio pan 60
check move "$T/mcast.out" pan 60 1
sim_probe hand osc handheld 40
check move "$T/hand.out" handheld 40 1
has "$T/hand.sim" "sim: sent"

echo "# b. probe without --json: human lines, a status line with the error counters"
listen human probe --count 30 --seconds 10 --from freed://127.0.0.1:0
printf 'short' >"/dev/udp/127.0.0.1/$PORT"
printf 'not freed either' >"/dev/udp/127.0.0.1/$PORT"
"$VT" sim --to "freed://127.0.0.1:$PORT" --move pan --rate 100 --seconds 0.5 >/dev/null 2>&1
finish human
[ "$(grep -c '^t .* camera 1 .* pan ' "$T/human.out")" = 30 ] || fail "probe: not 30 human sample lines"
grep -qE '^# [0-9.]+ Hz, interval sd [0-9.]+ ms, max [0-9.]+ ms; ' "$T/human.out" ||
    fail "probe: no rate/jitter status line"
has "$T/human.out" "dropped: 2 bad length"

echo "# c. probe --camera: other cameras are counted, not printed"
listen other probe --json --camera 1 --seconds 0.4 --from osc://127.0.0.1:0
"$VT" sim --to "osc://127.0.0.1:$PORT" --camera 2 --rate 100 --seconds 0.2 >/dev/null 2>&1
finish other
[ -s "$T/other.out" ] && fail "probe --camera 1 printed camera 2"
grep -qE " 0 samples, 20 other camera" "$T/other.err" || fail "probe --camera: 20 other camera not counted"

echo "# d. record at 1 kHz (stopped by Ctrl-C), replay into probe, loop"
listen rec record --from freed://127.0.0.1:0 --out "$T/take.jsonl"
"$VT" sim --to "freed://127.0.0.1:$PORT" --move orbit --rate 1000 --seconds 0.5 >/dev/null 2>&1
sleep 0.1
kill -INT "$PID"
finish rec
n=$(grep -c . "$T/take.jsonl")
[ "$n" = 500 ] || fail "record: $n samples in the take, expected all 500"
has "$T/rec.err" "record: $n samples recorded to $T/take.jsonl"
check move "$T/take.jsonl" orbit "$n" 1

listen replay probe --json --count "$n" --seconds 10 --from osc://127.0.0.1:0
"$VT" replay "$T/take.jsonl" --to "osc://127.0.0.1:$PORT" --speed 2 >"$T/replay.sim" 2>&1 ||
    fail "replay exited $?"
finish replay
has "$T/replay.sim" "replay: sent $n samples"
check same_poses "$T/take.jsonl" "$T/replay.out" 2

listen loop probe --json --count $((n + 5)) --seconds 10 --from opentrackio://127.0.0.1:0
"$VT" replay "$T/take.jsonl" --to "opentrackio://127.0.0.1:$PORT" --loop --speed 4 >/dev/null 2>&1 &
rp=$!
finish loop
kill -INT "$rp"
wait "$rp" || fail "replay --loop: exited $? after Ctrl-C"
check same_poses "$T/take.jsonl" "$T/loop.out" 4 "$n"

echo "# e. export"
"$VT" export "$T/take.jsonl" --format csv 2>"$T/csv.err" || fail "export csv exited $?"
check csv "$T/take.csv" "$T/take.jsonl"
"$VT" export "$T/take.jsonl" --format chan --rate 50 2>"$T/chan.err" || fail "export chan exited $?"
check chan "$T/take.chan" "$T/take.jsonl" 50.0
"$VT" export "$T/take.jsonl" --format chan --out - >"$T/stdout.chan" 2>/dev/null || fail "export to stdout"
check chan "$T/stdout.chan" "$T/take.jsonl" 25.0

echo "# f. errors"
# exits CODE DESC TEXT ARGS...: volym-track ARGS exits CODE and says TEXT.
exits() {
    local want=$1 d=$2 text=$3 rc
    shift 3
    "$VT" "$@" >"$T/exit.out" 2>"$T/exit.err"
    rc=$?
    [ "$rc" = "$want" ] || fail "$d: exited $rc, expected $want"
    has "$T/exit.err" "$text"
}
# usage_error DESC TEXT ARGS...: exits 2 (a usage error) and says TEXT.
usage_error() { exits 2 "$@"; }
usage_error "no command" "usage: volym-track COMMAND"
usage_error "unknown command" "unknown command 'bogus'" bogus
usage_error "unknown option" "unknown option '--bogus'" sim --to freed://127.0.0.1:9 --bogus
usage_error "another command's option" "--to is not an option of probe" probe --to x
usage_error "missing --to" "--to URL is required" sim
usage_error "bad move" "--move: expected orbit|dolly|pan|handheld, got 'spin'" sim --to x --move spin
usage_error "bad rate" "--rate: expected a number" sim --to x --rate fast
usage_error "bad fps" "--rate: expected a frame rate" export "$T/take.jsonl" --format chan --rate 0
usage_error "zoom alone" "--zoom and --focus go together" sim --to x --zoom 5
usage_error "no take" "expected volym-track replay FILE" replay --to x
usage_error "two takes" "unexpected argument" export a b --format csv
usage_error "missing argument" "--count needs an argument" probe --from x --count
usage_error "format of FreeD" "--format is OpenTrackIO's payload encoding" \
    sim --to freed://127.0.0.1:9 --format cbor
usage_error "bad format" "--format: expected json|cbor, got 'otp'" \
    sim --to opentrackio://127.0.0.1:9 --format otp
# runtime DESC TEXT ARGS...: exits 1 (a runtime error) and says TEXT.
runtime() { exits 1 "$@"; }
printf '{"t": 0, "camera": 1, "x": 0, "y": 0, "z": 0, "pan": 0, "tilt": 0, "roll": 0}\n{"t": 1}\n' >"$T/bad.jsonl"
runtime "malformed take" "$T/bad.jsonl:2: expected a JSON object with numbers t, camera" \
    export "$T/bad.jsonl" --format csv
runtime "missing take" "$T/none.jsonl" replay "$T/none.jsonl" --to freed://127.0.0.1:9
runtime "no such camera" "no samples of camera 9" export "$T/take.jsonl" --format chan --camera 9
runtime "bad URL" "nope://" sim --to nope://127.0.0.1:9 --seconds 0.1
"$VT" export --help >"$T/help.out" 2>&1 || fail "export --help exited $?"
has "$T/help.out" "--format csv|chan"

echo "# g. camdkit's example sample from a sender written from the spec, as JSON and as CBOR"
# The header and segmenting of the reference sender (opentrackio_sender.py:
# every datagram its own sequence number), Fletcher-16 as the spec's
# reference code sums it, CBOR by RFC 8949's rules: nothing of volym's.
cat >"$T/otrk_ref.py" <<'EOF'
import json, socket, struct, sys, time

def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << 8 * size:
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")

def cbor(v):
    if v is None: return b"\xf6"
    if v is True: return b"\xf5"
    if v is False: return b"\xf4"
    if isinstance(v, int): return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, float): return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        return head(3, len(b)) + b
    if isinstance(v, list): return head(4, len(v)) + b"".join(cbor(x) for x in v)
    return head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())

def fletcher16(data):
    s1 = s2 = 0
    for b in data:
        s1 = (s1 + b) & 0xFF
        s2 = (s2 + s1) & 0xFF
    return s2 << 8 | s1

host, port, path, fmt, count, piece = sys.argv[1:7]
sample = json.load(open(path))
payload = cbor(sample) if fmt == "cbor" else json.dumps(sample).encode()
encoding, piece, seq = (2 if fmt == "cbor" else 1), int(piece), 0
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(int(count)):
    for off in range(0, len(payload), piece):
        part = payload[off:off + piece]
        last = off + piece >= len(payload)
        h = b"OTrk" + struct.pack("!BBHIH", 0, encoding, seq, off, int(last) << 15 | len(part))
        sock.sendto(h + struct.pack("!H", fletcher16(h + part)) + part, (host, int(port)))
        seq = (seq + 1) & 0xFFFF
    time.sleep(0.005)
EOF
EXAMPLE="$(dirname "$(realpath "$0")")/data/opentrackio/complete_static_example.json"
for fmt in json cbor; do
    listen "ref_$fmt" probe --json --count 5 --seconds 10 --from opentrackio://127.0.0.1:0 || continue
    python3 "$T/otrk_ref.py" 127.0.0.1 "$PORT" "$EXAMPLE" "$fmt" 5 300 || fail "otrk_ref.py $fmt"
    finish "ref_$fmt"
    last=$(grep "datagrams" "$T/ref_$fmt.err" | tail -1)
    echo "$last" | grep -qE "dropped|lost" && fail "camdkit example as $fmt: '$last'"
    # 36 mm sensor, pinholeFocalLength 24.305; rawEncoders zoom 3000, focus 1000.
    check field "$T/ref_$fmt.out" fov "$(python3 -c 'import math; print(math.degrees(2 * math.atan(36 / 48.61)))')"
    check field "$T/ref_$fmt.out" zoom 3000
    check field "$T/ref_$fmt.out" focus 1000
    check field "$T/ref_$fmt.out" camera 1
done
# The CBOR samples are the JSON ones, field for field.
python3 - "$T/ref_json.out" "$T/ref_cbor.out" <<'EOF' || fail "camdkit example: CBOR and JSON differ"
import json, sys
a, b = ([{k: v for k, v in json.loads(l).items() if k != "t"} for l in open(p)] for p in sys.argv[1:])
sys.exit(0 if a == b and len(a) == 5 else f"{a} != {b}")
EOF

if [ "$failures" -ne 0 ]; then
    echo "test_track_tool: $failures check(s) failed" >&2
    exit 1
fi
echo "test_track_tool: all checks passed"
