#!/usr/bin/env bash
# volym-calib end to end: layout (flat, curved, ceiling, --add-to, refusals),
# check, pattern, survey (a known displacement with noise and an outlier),
# tracker-align (a synthetic take), camera (photos volym renders of the
# apriltag pattern on a displaced wall), and the error messages.
#   test_calib.sh VOLYM_CALIB VOLYM
# Python makes the inputs and checks the outputs against numbers computed
# here by hand, not by volym's own code.
set -u
VC=$(realpath "$1")
VOLYM=$(realpath "$2")
CONFIGS=${VOLYM_SOURCE_ROOT:-$(dirname "$0")/..}/configs
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
# has FILE TEXT: FILE contains the fixed string TEXT.
has() { grep -qF -- "$2" "$1" || { fail "$1 lacks '$2'"; sed 's/^/    /' "$1" >&2; }; }
# check WHAT ARGS...: the python checks below, failing with their message.
check() { python3 "$T/check.py" "$@" || fail "check $*"; }
# ok DESC ARGS...: volym-calib ARGS exits 0 (stdout in $T/ok.out, stderr in $T/ok.err).
ok() {
    local d=$1
    shift
    "$VC" "$@" >"$T/ok.out" 2>"$T/ok.err" || { fail "$d: exited $?"; sed 's/^/    /' "$T/ok.err" >&2; }
}

cat >"$T/check.py" <<'EOF'
"""Inputs for and checks on volym-calib; exits 1 with a message on failure."""
import json, math, random, sys
import xml.etree.ElementTree as ET

def load(path):
    with open(path) as f:
        return json.load(f)

def fail(msg):
    sys.exit(msg)

def near(a, b, tol, what):
    if not abs(a - b) <= tol:
        fail(f"{what}: {a} is not {b} (+-{tol})")

def near3(a, b, tol, what):
    for k in range(3):
        near(a[k], b[k], tol, f"{what}[{k}]")

# The stage convention (ARCHITECTURE.md): R = Rz(-pan) Rx(tilt) Ry(roll),
# its columns right, forward, up.
def rot(pan, tilt, roll):
    p, t, r = (math.radians(v) for v in (-pan, tilt, roll))
    rz = [[math.cos(p), -math.sin(p), 0], [math.sin(p), math.cos(p), 0], [0, 0, 1]]
    rx = [[1, 0, 0], [0, math.cos(t), -math.sin(t)], [0, math.sin(t), math.cos(t)]]
    ry = [[math.cos(r), 0, math.sin(r)], [0, 1, 0], [-math.sin(r), 0, math.cos(r)]]
    mul = lambda a, b: [[sum(a[i][k] * b[k][j] for k in range(3)) for j in range(3)] for i in range(3)]
    return mul(mul(rz, rx), ry)

def apply(R, v, t=(0, 0, 0), s=1.0):
    return [s * sum(R[i][k] * v[k] for k in range(3)) + t[i] for i in range(3)]

def transpose(R):
    return [[R[j][i] for j in range(3)] for i in range(3)]

def section_pixel(sec, px, py):
    """Stage point of section pixel (px, py), walking the facets of a
    curved section as the stage model describes them (stage.h)."""
    cols = sec["grid"][0]
    pw, ph = sec["panel_px"]
    wm, hm = sec["panel_mm"][0] / 1000, sec["panel_mm"][1] / 1000
    yaw, pitch, roll = sec.get("rotation", [0, 0, 0])
    curve = sec.get("curve_deg", 0)
    col = min(max(int(px // pw), 0), cols - 1)
    pos = list(sec["position"])
    def axes(c):
        R = rot(yaw + 0, pitch, roll)
        right, fwd, up = [[R[i][j] for i in range(3)] for j in range(3)]
        a = math.radians(c * curve)
        r2 = [math.cos(a) * right[i] - math.sin(a) * fwd[i] for i in range(3)]
        return r2, up
    for c in range(col):
        r2, _ = axes(c)
        pos = [pos[i] + r2[i] * wm for i in range(3)]
    r2, up = axes(col)
    along = (px - col * pw) * wm / pw
    down = py * hm / ph
    return [pos[i] + r2[i] * along - up[i] * down for i in range(3)]

def corners(check_json, name, want):
    """check --json: section `name`'s corners are `want` (a JSON list)."""
    secs = {s["name"]: s for s in load(check_json)["sections"]}
    got = secs[name]["corners_m"]
    want = curved_corners() if want == "curved" else want
    for k, (g, w) in enumerate(zip(got, json.loads(want))):
        near3(g, w, 1e-6, f"{name} corner {k}")

def curved_corners():
    """A 3x2 wall of 500 mm panels, 10 degrees per column, top-left at
    (0, 4, 1), facing +Y: each column's right axis turns 10 degrees
    towards the viewer (-Y)."""
    x, y = 0.0, 4.0
    for c in range(3):
        a = math.radians(10 * c)
        x, y = x + 0.5 * math.cos(a), y - 0.5 * math.sin(a)
    return json.dumps([[0, 4, 1], [x, y, 1], [x, y, 0], [0, 4, 0]])

def stage_sections(path, *want):
    """The stage has these sections, in this order."""
    names = [s["name"] for s in load(path)["sections"]]
    if names != list(want):
        fail(f"{path}: sections {names}, expected {list(want)}")

def field(path, dotted, value, tol="0"):
    """A value in a JSON file: a.b.0.c == value (numbers within tol)."""
    v = load(path)
    for k in dotted.split("."):
        v = v[int(k)] if isinstance(v, list) else v[k]
    want = json.loads(value)
    if isinstance(want, (int, float)) and not isinstance(want, bool):
        near(v, want, float(tol), dotted)
    elif v != want:
        fail(f"{path}: {dotted} is {v!r}, expected {want!r}")

def png_size(path, w, h):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path}: not a PNG")
    got = (int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big"))
    if got != (int(w), int(h)):
        fail(f"{path}: {got[0]}x{got[1]}, expected {w}x{h}")

# The survey: the default stage moved by a known correction.
TRUE_T = [0.06, -0.08, 0.0]               # 10 cm
TRUE_PTR = [2.0, 0.3, -0.2]               # pan 2 degrees, a little tilt and roll
OUTLIER = "tag:17"

def make_survey(stage, markers, out):
    """Points of the stage (every 3rd tag's centre from markers.json and
    four section pixels computed here) displaced by TRUE_T / TRUE_PTR, 1 mm
    of noise on each axis (fixed seed) and OUTLIER 5 cm off."""
    rng = random.Random(6)
    sec = load(stage)["sections"][0]
    pts = [(f"tag:{m['id']}", m["centre"]) for m in load(markers)["markers"] if m["id"] % 3 == 2]
    for px, py in [(0, 0), (1920, 0), (960, 800), (320.5, 480.5)]:
        pts.append((f"{sec['name']}@{px:g}:{py:g}", section_pixel(sec, px, py)))
    R = rot(*TRUE_PTR)
    with open(out, "w") as f:
        f.write("# surveyed with a total station, metres\nlabel,x,y,z\n")
        for label, p in pts:
            q = apply(R, p, TRUE_T)
            q = [v + rng.gauss(0, 0.001) for v in q]
            if label == OUTLIER:
                q = [q[0] + 0.03, q[1] - 0.04, q[2]]
            name = f'"{label}"' if "@" in label else label
            f.write(f"{name}, {q[0]:.6f}, {q[1]:.6f},{q[2]:.6f}\n")
    print(len(pts))

def survey(report, n):
    r = load(report)
    near3(r["translation_m"], TRUE_T, 0.002, "translation_m")
    near3(r["rotation_deg"], TRUE_PTR, 0.05, "rotation_deg")
    near(r["scale"], 1, 0, "scale")
    if len(r["points"]) != int(n):
        fail(f"{len(r['points'])} points, expected {n}")
    flagged = [p["label"] for p in r["points"] if p["outlier"]]
    if flagged != [OUTLIER]:
        fail(f"outliers {flagged}, expected [{OUTLIER}]")
    out = [p for p in r["points"] if p["label"] == OUTLIER][0]
    near(out["residual_mm"], 50, 5, "the outlier's residual")
    # 1 mm of noise on each axis: a residual's RMS is about sqrt(3) mm.
    if not 0.8 < r["rms_mm"] < 2.5:
        fail(f"rms_mm {r['rms_mm']}")
    inl = [p["residual_mm"] for p in r["points"] if not p["outlier"]]
    near(r["max_mm"], max(inl), 1e-6, "max_mm")
    if r["worst"] == OUTLIER or r["worst"] not in [p["label"] for p in r["points"]]:
        fail(f"worst {r['worst']}")

def moved(before_check, after_check, report):
    """Every corner of the adjusted stage is where the fitted correction
    and where the true one put the nominal corner."""
    r = load(report)
    Rf, tf = rot(*r["rotation_deg"]), r["translation_m"]
    Rt = rot(*TRUE_PTR)
    b = {s["name"]: s for s in load(before_check)["sections"]}
    a = {s["name"]: s for s in load(after_check)["sections"]}
    if a.keys() != b.keys():
        fail(f"sections {list(a)} after, {list(b)} before")
    for name in b:
        for k, (cb, ca) in enumerate(zip(b[name]["corners_m"], a[name]["corners_m"])):
            near3(ca, apply(Rf, cb, tf), 1e-6, f"{name} corner {k} moved by the fit")
            near3(ca, apply(Rt, cb, TRUE_T), 0.004, f"{name} corner {k} moved by the truth")

def svg(path, n):
    root = ET.parse(path).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    for view in ("top", "front"):
        g = [e for e in root.iter(ns + "g") if e.get("id") == view]
        if len(g) != 1:
            fail(f"{path}: no group '{view}'")
        arrows = [e for e in g[0].iter(ns + "line") if e.get("class") == "residual"]
        if len(arrows) != int(n):
            fail(f"{path}: {view}: {len(arrows)} residual arrows, expected {n}")
        if not [e for e in g[0].iter(ns + "polygon") if e.get("class") == "before"]:
            fail(f"{path}: {view}: no 'before' outlines")
        if not [e for e in g[0].iter(ns + "polygon") if e.get("class") == "after"]:
            fail(f"{path}: {view}: no 'after' outlines")

# tracker-align: a tracker whose frame is turned and moved (and scaled).
TRK_PTR = [30.0, 1.5, -0.8]
TRK_T = [1.2, -0.4, 0.1]
STATIONS = [(0, 1, 1.5), (1.5, 2, 1.2), (-1.2, 2.5, 1.8), (0.5, 0.5, 0.8), (-0.8, 1.2, 2.2),
            (1.0, 3.0, 1.0)]

def make_take(take, points, scale, flip_x="0"):
    """100 Hz samples in raw tracker space: 2 s still at each station (0.5 mm
    noise), 1 s moving to the next; the points CSV gives each station's
    still window, 0.2 s inside it. flip_x 1: the tracker counts X the
    other way (its stage entry says axis_sign [-1, 1, 1])."""
    rng, s = random.Random(7), float(scale)
    sx = -1 if flip_x == "1" else 1
    Rt = transpose(rot(*TRK_PTR))
    raw = [[v / s for v in apply(Rt, [p[i] - TRK_T[i] for i in range(3)])] for p in STATIONS]
    raw = [[sx * q[0], q[1], q[2]] for q in raw]
    lines, rows, t = [], [], 0.0
    for k, q in enumerate(raw):
        nxt = raw[(k + 1) % len(raw)]
        for i in range(300):
            a = max(0.0, (i - 200) / 100)
            p = [q[j] + a * (nxt[j] - q[j]) + (rng.gauss(0, 0.0005) if a == 0 else 0) for j in range(3)]
            lines.append(json.dumps({"t": round(t, 3), "camera": 1, "x": p[0], "y": p[1], "z": p[2],
                                     "pan": 10, "tilt": 0, "roll": 0}))
            t += 0.01
        t0 = (k * 300) * 0.01
        rows.append(f"{t0 + 0.2:.2f},{t0 + 1.8:.2f},{STATIONS[k][0]},{STATIONS[k][1]},{STATIONS[k][2]}")
    open(take, "w").write("\n".join(lines) + "\n")
    open(points, "w").write("t_start,t_end,x,y,z\n" + "\n".join(rows) + "\n")

def tracker(report, stage, take, scale):
    s = float(scale)
    r = load(report)
    near3(r["translation_m"], TRK_T, 0.002, "translation_m")
    near3(r["rotation_deg"], TRK_PTR, 0.05, "rotation_deg")
    near(r["scale"], s, 1e-3, "scale")
    if len(r["points"]) != len(STATIONS) or any(p["outlier"] for p in r["points"]):
        fail(f"points {r['points']}")
    if not r["max_mm"] < 1.5:
        fail(f"max_mm {r['max_mm']}")
    trk = load(stage)["trackers"][0]
    tr = trk["transform"]
    near3(tr["offset"], TRK_T, 0.002, "stage transform.offset")
    near3(tr["rotation"], TRK_PTR, 0.05, "stage transform.rotation")
    near(tr.get("scale", 1), s, 1e-3, "stage transform.scale")
    # What volym will do with it (vl_tracker_apply): R (scale sign p) + offset.
    R = rot(*tr["rotation"])
    sign = tr.get("axis_sign", [1, 1, 1])
    samples = [json.loads(l) for l in open(take)]
    for k, st in enumerate(STATIONS):
        t0 = k * 3
        w = [x for x in samples if t0 + 0.2 <= x["t"] <= t0 + 1.8]
        mean = [sign[i] * sum(x[c] for x in w) / len(w) for i, c in enumerate("xyz")]
        near3(apply(R, mean, tr["offset"], tr.get("scale", 1)), st, 0.002, f"station {k} through the stage's tracker")

def check_summary(path, section, pixels, pitch, output, coverage):
    r = load(path)
    s = {x["name"]: x for x in r["sections"]}[section]
    if s["pixels"] != json.loads(pixels):
        fail(f"{section}: pixels {s['pixels']}")
    near(s["pitch_mm"][0], float(pitch), 1e-9, "pitch x")
    near(s["pitch_mm"][1], float(pitch), 1e-9, "pitch y")
    o = {x["name"]: x for x in r["outputs"]}[output]
    near(o["coverage_pct"], float(coverage), 0.01, f"{output} coverage")
    if r["problems"] or not r["ok"]:
        fail(f"problems {r['problems']}")

def total(path, pixels):
    near(load(path)["total_pixels"], float(pixels), 0, "total_pixels")

def markers(path, n):
    m = load(path)["markers"]
    if len(m) != int(n) or [x["id"] for x in m] != list(range(int(n))):
        fail(f"{path}: {len(m)} markers")

if __name__ == "__main__":
    globals()[sys.argv[1]](*sys.argv[2:])
EOF

PANEL=(--panel-mm 500x500 --panel-px 160x160)

echo "# a. layout: flat, curved, ceiling; each renders in volym; corners by hand"
ok "flat" layout --panel-mm 500x250 --panel-px 128x64 --grid 4x3 --position -1,3,2 \
    --output wall:1024x512 --rate 24000/1001 --out "$T/flat.json"
has "$T/ok.out" "wrote $T/flat.json"
ok "curved" layout "${PANEL[@]}" --grid 3x2 --curve 10 --position 0,4,1 --name arc --out "$T/curved.json"
ok "ceiling" layout "${PANEL[@]}" --grid 6x4 --position -1.5,2,3 --rotation 0,90,0 --name ceiling \
    --out "$T/ceiling.json"
for s in flat curved ceiling; do
    "$VOLYM" render --stage "$T/$s.json" --frames 1 --out "$T/render-$s" >"$T/render.log" 2>&1 ||
        { fail "volym render --stage $s.json exited $?"; sed 's/^/    /' "$T/render.log" >&2; }
    ok "check $s" check --stage "$T/$s.json" --json
    cp "$T/ok.out" "$T/$s.check.json"
done
check corners "$T/flat.check.json" main '[[-1,3,2],[1,3,2],[1,3,1.25],[-1,3,1.25]]'
check corners "$T/curved.check.json" arc curved
check corners "$T/ceiling.check.json" ceiling '[[-1.5,2,3],[1.5,2,3],[1.5,4,3],[-1.5,4,3]]'
check field "$T/flat.json" rate '"24000/1001"'
check field "$T/curved.json" outputs.0.name '"arc"'
check field "$T/curved.json" outputs.0.width 480
check field "$T/curved.json" outputs.0.height 320

echo "# b. layout --add-to: a second section, right of the first by default; refusals"
ok "add-to" layout "${PANEL[@]}" --grid 2x2 --position 1,3,2 --name side --output wall --add-to "$T/flat.json" \
    --out "$T/two.json"
check stage_sections "$T/two.json" main side
check field "$T/two.json" sections.1.canvas '[512, 0]'
check field "$T/two.json" sections.0.position '[-1, 3, 2]'
check field "$T/flat.json" sections.0.name '"main"'
stage_sections_count=$(python3 -c "import json; print(len(json.load(open('$T/flat.json'))['sections']))")
[ "$stage_sections_count" = 1 ] || fail "--add-to --out changed the stage it read"
"$VOLYM" render --stage "$T/two.json" --frames 1 --out "$T/render-two" >"$T/render.log" 2>&1 ||
    fail "volym render --stage two.json exited $?"
cp "$T/flat.json" "$T/inplace.json"
ok "in place" layout "${PANEL[@]}" --grid 1x1 --position 3,3,2 --name third --output wall \
    --canvas 0,192 --add-to "$T/inplace.json" --in-place
check stage_sections "$T/inplace.json" main third
# refused EXIT DESC TEXT ARGS...: volym-calib ARGS exits EXIT, says TEXT, writes no $T/refused.json.
refused() {
    local want=$1 d=$2 text=$3 rc
    shift 3
    rm -f "$T/refused.json"
    "$VC" "$@" >"$T/exit.out" 2>"$T/exit.err"
    rc=$?
    [ "$rc" = "$want" ] || fail "$d: exited $rc, expected $want"
    has "$T/exit.err" "$text"
    [ -e "$T/refused.json" ] && fail "$d: wrote a stage anyway"
}
refused 1 "overlap" "sections 'main' and 'over' overlap on output 'wall'" layout "${PANEL[@]}" --grid 1x1 \
    --position 0,0,0 --name over --output wall --canvas 500,100 --add-to "$T/flat.json" --out "$T/refused.json"
refused 1 "canvas too small" "does not fit output 'wall' (1024x512): it needs at least 1152x512" \
    layout "${PANEL[@]}" --grid 4x1 --position 0,0,0 --name big --output wall --add-to "$T/flat.json" \
    --out "$T/refused.json"
refused 1 "same name" "already has a section named 'main'" layout "${PANEL[@]}" --grid 1x1 \
    --position 0,0,0 --output wall --add-to "$T/flat.json" --out "$T/refused.json"
refused 2 "in place without add-to" "--in-place writes over the --add-to stage" layout "${PANEL[@]}" \
    --grid 1x1 --position 0,0,0 --in-place
refused 2 "bad grid" "--grid: expected COLSxROWS, 2 integers from 1 to 1024, got '12x'" layout \
    "${PANEL[@]}" --grid 12x --position 0,0,0 --out "$T/refused.json"
refused 2 "bad output size" "--output: expected NAME or NAME:WxH" layout "${PANEL[@]}" --grid 1x1 \
    --position 0,0,0 --output wall:big --out "$T/refused.json"

echo "# c. check: summaries, an overlapping stage, a broken one"
ok "check default" check --stage "$CONFIGS/default-curved.json" --json
cp "$T/ok.out" "$T/default.check.json"
check check_summary "$T/default.check.json" main '[1920, 800]' 3.125 wall 74.0740740
check total "$T/default.check.json" 1536000
ok "check wall-ceiling" check --stage "$CONFIGS/wall-ceiling.json" --json
cp "$T/ok.out" "$T/wc.check.json"
check check_summary "$T/wc.check.json" wall '[1280, 800]' 3.125 wall 49.3827160
check check_summary "$T/wc.check.json" ceiling '[960, 640]' 3.125 ceiling 29.6296296
check total "$T/wc.check.json" 1638400
ok "check text" check --stage "$CONFIGS/wall-ceiling.json"
has "$T/ok.out" "ceiling: 1920x1080, 1 section, 29.6 % of the canvas used"
has "$T/ok.out" "pitch 3.125 x 3.125 mm"
has "$T/ok.out" "total: 1638400 pixels"
python3 - "$T/two.json" "$T/overlap.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
s["sections"][1]["canvas"] = [400, 100]
json.dump(s, open(sys.argv[2], "w"))
EOF
refused 1 "overlapping stage" "sections 'main' and 'side' overlap on output 'wall'" check --stage "$T/overlap.json"
"$VC" check --stage "$T/overlap.json" --json >"$T/overlap.out" 2>/dev/null
check field "$T/overlap.out" ok false
printf '{"name": "x", "rate": "25", "outputs": [{"name": "a", "width": 10, "height": 10}], "sections": []}' \
    >"$T/broken.json"
refused 1 "broken stage" "broken.json: \$.sections: expected a non-empty array of sections" check --stage "$T/broken.json"

echo "# d. pattern"
ok "apriltag" pattern --stage "$CONFIGS/default-curved.json" --kind apriltag --out "$T/pat"
check png_size "$T/pat/wall-apriltag.png" 1920 1080
check markers "$T/pat/markers.json" 60
ok "grid" pattern --stage "$CONFIGS/wall-ceiling.json" --kind grid --out "$T/pat"
check png_size "$T/pat/wall-grid.png" 1920 1080
check png_size "$T/pat/ceiling-grid.png" 1920 1080
refused 2 "bad kind" "--kind: expected grid|crosshair|bars|apriltag, got 'stripes'" pattern --stage \
    "$CONFIGS/default-curved.json" --kind stripes --out "$T/pat"

echo "# e. survey: 10 cm / 2 degrees off, 1 mm noise, one 5 cm outlier"
n=$(python3 "$T/check.py" make_survey "$CONFIGS/default-curved.json" "$T/pat/markers.json" "$T/survey.csv")
"$VC" survey --stage "$CONFIGS/default-curved.json" --points "$T/survey.csv" --json --out "$T/surveyed.json" \
    --svg "$T/survey.svg" >"$T/survey.out" 2>"$T/survey.err" || { fail "survey exited $?"; cat "$T/survey.err" >&2; }
check survey "$T/survey.out" "$n"
ok "check surveyed" check --stage "$T/surveyed.json" --json
cp "$T/ok.out" "$T/surveyed.check.json"
check moved "$T/default.check.json" "$T/surveyed.check.json" "$T/survey.out"
check svg "$T/survey.svg" "$n"
has "$T/survey.err" "max"
has "$T/survey.err" "tag:17"
ok "survey text" survey --stage "$CONFIGS/default-curved.json" --points "$T/survey.csv" --out "$T/s2.json"
has "$T/ok.out" "outlier, not used"
has "$T/ok.out" "residuals: RMS"

echo "# f. tracker-align: a synthetic take in a turned, moved tracker frame"
python3 "$T/check.py" make_take "$T/take.jsonl" "$T/stations.csv" 1
"$VC" tracker-align --stage "$CONFIGS/tracked-freed-sony.json" --take "$T/take.jsonl" --points "$T/stations.csv" \
    --json --out "$T/aligned.json" --svg "$T/align.svg" >"$T/align.out" 2>"$T/align.err" ||
    { fail "tracker-align exited $?"; cat "$T/align.err" >&2; }
check tracker "$T/align.out" "$T/aligned.json" "$T/take.jsonl" 1
check field "$T/aligned.json" trackers.0.delay_ms 40
check field "$T/aligned.json" trackers.0.nodal_offset '[0, 0.12, 0.08]'
check svg "$T/align.svg" 6
grep -q "moved during" "$T/align.err" && fail "tracker-align: a still window reported as moving"
# A window that runs into the move to the next station is reported.
sed '2s/^[^,]*,[^,]*,/1.5,2.5,/' "$T/stations.csv" >"$T/moving.csv"
ok "tracker-align, a moving window" tracker-align --stage "$CONFIGS/tracked-freed-sony.json" \
    --take "$T/take.jsonl" --points "$T/moving.csv" --out "$T/moving.json"
has "$T/ok.err" "moving.csv:2: the tracked point moved during 1.5 .. 2.5 s"
python3 "$T/check.py" make_take "$T/take2.jsonl" "$T/stations2.csv" 1.05
"$VC" tracker-align --stage "$CONFIGS/tracked-freed-sony.json" --take "$T/take2.jsonl" --points "$T/stations2.csv" \
    --scale --json --out "$T/aligned2.json" >"$T/align2.out" 2>"$T/align2.err" ||
    { fail "tracker-align --scale exited $?"; cat "$T/align2.err" >&2; }
check tracker "$T/align2.out" "$T/aligned2.json" "$T/take2.jsonl" 1.05
# A tracker that counts X the other way: its axis_sign is kept and applied first.
python3 - "$CONFIGS/tracked-freed-sony.json" "$T/flipped.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
s["trackers"][0]["transform"] = {"axis_sign": [-1, 1, 1], "rotation": [5, 0, 0]}
json.dump(s, open(sys.argv[2], "w"))
EOF
python3 "$T/check.py" make_take "$T/take3.jsonl" "$T/stations3.csv" 1 1
"$VC" tracker-align --stage "$T/flipped.json" --take "$T/take3.jsonl" --points "$T/stations3.csv" \
    --json --out "$T/aligned3.json" >"$T/align3.out" 2>"$T/align3.err" ||
    { fail "tracker-align, X flipped, exited $?"; cat "$T/align3.err" >&2; }
check tracker "$T/align3.out" "$T/aligned3.json" "$T/take3.jsonl" 1
check field "$T/aligned3.json" trackers.0.transform.axis_sign '[-1, 1, 1]'

echo "# f2. tracker-align live: a FreeD sender plays the tracker, station by station"
# live.py play ERR OUT STOP MOVE CMD...: runs CMD (volym-calib --from freed://127.0.0.1:0)
# and plays a tracker whose frame is turned pan 30 degrees and moved (1.2, -0.4, 0.1):
# FreeD D1 at 50 Hz to the port it listens on, station k's point in that frame (1 mm
# noise) from its prompt on; Enter 0.2 s after each prompt, but stdin closed at station
# STOP + 1; station MOVE (1-based, 0: none) slides 10 cm/s once Enter is pressed. Exits
# with CMD's status (124 when it ran past 20 s).
cat >"$T/live.py" <<'EOF'
import json, math, random, re, socket, subprocess, sys, threading, time

LIVE_PAN, LIVE_T = 30.0, [1.2, -0.4, 0.1]
STATIONS = [(0, 1, 1.5), (1.5, 2, 1.2), (-1.2, 2.5, 1.8), (0.5, 0.5, 0.8), (-0.8, 1.2, 2.2),
            (1.0, 3.0, 1.0)]

sys.path.insert(0, __import__("os").path.dirname(__file__))
from check import rot           # the stage convention, as check.py writes it

def to_stage(R, v, t):
    return [sum(R[i][k] * v[k] for k in range(3)) + t[i] for i in range(3)]

def raw(k):
    """Station k in the tracker's frame: R^T (stage - t)."""
    R, d = rot(LIVE_PAN, 0, 0), [STATIONS[k][i] - LIVE_T[i] for i in range(3)]
    return [sum(R[k2][i] * d[k2] for k2 in range(3)) for i in range(3)]

def freed_d1(cam, pan, tilt, roll, pos, zoom=0, focus=0):
    """FreeD D1 by the book: angles in 1/32768 degree, positions in 1/64 mm,
    signed 24-bit big-endian; checksum 0x40 minus the sum of bytes 0..27."""
    s24 = lambda v: (round(v) & 0xFFFFFF).to_bytes(3, "big")
    b = bytes([0xD1, cam]) + b"".join(s24(a * 32768) for a in (pan, tilt, roll))
    b += b"".join(s24(p * 64000) for p in pos) + s24(zoom) + s24(focus) + b"\0\0"
    return b + bytes([(0x40 - sum(b)) % 256])

def play(err, out, stop, move, *cmd):
    stop, move = int(stop), int(move)
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=open(out, "w"),
                            stderr=subprocess.PIPE, text=True)
    lock, st = threading.Lock(), {"port": None, "k": None, "since": 0, "enter": None}
    def read_stderr():
        with open(err, "w") as f:
            for line in proc.stderr:
                f.write(line)
                f.flush()
                m = re.search(r"listening on UDP port (\d+)", line)
                p = re.match(r"station (\d+) of \d+: put the camera", line)
                with lock:
                    if m:
                        st["port"] = int(m.group(1))
                    if p:
                        st.update(k=int(p.group(1)) - 1, since=time.monotonic(), enter=None)
    reader = threading.Thread(target=read_stderr)
    reader.start()
    sock, rng = socket.socket(socket.AF_INET, socket.SOCK_DGRAM), random.Random(11)
    start = tick = time.monotonic()
    while proc.poll() is None and tick - start < 20:
        now = time.monotonic()
        with lock:
            port, k, since, enter = st["port"], st["k"], st["since"], st["enter"]
            if k is not None and enter is None and now - since >= 0.2:
                st["enter"] = enter = now
                try:
                    if k < stop:
                        proc.stdin.write("\n")
                        proc.stdin.flush()
                    else:
                        proc.stdin.close()
                except (BrokenPipeError, ValueError):
                    pass
        if port and k is not None:
            p = [v + rng.gauss(0, 0.001) for v in raw(k)]
            if k + 1 == move and enter is not None:
                p[0] += 0.1 * (now - enter)
            sock.sendto(freed_d1(1, 12.5, -3.0, 0.5, p, 2000, 3000), ("127.0.0.1", port))
        tick += 0.02
        time.sleep(max(0.0, tick - time.monotonic()))
    if proc.poll() is None:
        proc.kill()
        proc.wait()
        reader.join()
        sys.exit(124)
    reader.join()
    sys.exit(proc.returncode)

def stations(path, n):
    with open(path, "w") as f:
        f.write("x,y,z\n" + "".join("%g,%g,%g\n" % s for s in STATIONS[:int(n)]))

def check(report, stage):
    """The fit recovers the tracker's frame (2 mm, 0.05 degrees) and the stage's
    tracker now maps every station's raw point onto the station."""
    r, s = json.load(open(report)), json.load(open(stage))
    def near(a, b, tol, what):
        if not all(abs(x - y) <= tol for x, y in zip(a, b)):
            sys.exit(f"{what}: {a}, expected {b} (+-{tol})")
    near(r["translation_m"], LIVE_T, 0.002, "translation_m")
    near(r["rotation_deg"], [LIVE_PAN, 0, 0], 0.05, "rotation_deg")
    near([r["scale"]], [1], 0, "scale")
    if [p["label"] for p in r["points"]] != ["station %d" % (k + 1) for k in range(len(STATIONS))]:
        sys.exit(f"points {[p['label'] for p in r['points']]}")
    if not r["max_mm"] < 2:
        sys.exit(f"max_mm {r['max_mm']}")
    tr = s["trackers"][0]["transform"]
    near(tr["offset"], LIVE_T, 0.002, "stage transform.offset")
    near(tr["rotation"], [LIVE_PAN, 0, 0], 0.05, "stage transform.rotation")
    R = rot(*tr["rotation"])
    for k, want in enumerate(STATIONS):
        near(to_stage(R, raw(k), tr["offset"]), want, 0.002, f"station {k + 1} through the stage's tracker")

globals()[sys.argv[1]](*sys.argv[2:])
EOF
python3 "$T/live.py" stations "$T/live.csv" 6
# The stage's tracker holds an old, wrong transform: the samples must not go through it.
python3 - "$CONFIGS/tracked-freed-sony.json" "$T/realign.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
s["trackers"][0]["transform"] = {"rotation": [5, 0, 0], "offset": [0.3, 0, 0]}
json.dump(s, open(sys.argv[2], "w"))
EOF
LIVE=(tracker-align --stage "$T/realign.json" --from freed://127.0.0.1:0 --hold 0.5 --points "$T/live.csv")
python3 "$T/live.py" play "$T/live.err" "$T/live.out" 6 0 "$VC" "${LIVE[@]}" --json --out "$T/live.json" ||
    { fail "tracker-align --from exited $?"; sed 's/^/    /' "$T/live.err" >&2; }
python3 "$T/live.py" check "$T/live.out" "$T/live.json" || fail "tracker-align --from: the fit"
check field "$T/live.json" trackers.0.delay_ms 40
check field "$T/live.json" trackers.0.nodal_offset '[0, 0.12, 0.08]'
check field "$T/live.json" trackers.0.url '"freed://:52380"'
has "$T/live.err" "station 1 of 6: put the camera at 0, 1, 1.5 and hold it still, then press Enter"
has "$T/live.err" "station 6 of 6: put the camera at 1, 3, 1 and hold it still, then press Enter"
grep -q "moved during" "$T/live.err" && fail "tracker-align --from: a still station reported as moving"
# stdin ends at station 3, and station 2 slides during its hold: reported, nothing written.
rm -f "$T/stopped.json"
python3 "$T/live.py" play "$T/stopped.err" "$T/stopped.out" 2 2 "$VC" "${LIVE[@]}" --out "$T/stopped.json"
rc=$?
[ "$rc" = 1 ] || fail "tracker-align --from, stdin closed at station 3: exited $rc, expected 1"
has "$T/stopped.err" "stopped at station 3 of 6"
has "$T/stopped.err" "station 2 of 6: the tracked point moved during the 0.5 s hold"
grep -q "station 1 of 6: the tracked point moved" "$T/stopped.err" && fail "a still station reported as moving"
[ -e "$T/stopped.json" ] && fail "tracker-align --from, stopped early: wrote a stage anyway"
# --camera 2 while the tracker sends camera 1: nothing to average, and the message says why.
python3 "$T/live.py" play "$T/cam2.err" "$T/cam2.out" 6 0 "$VC" "${LIVE[@]}" --hold 0.2 --camera 2 \
    --out "$T/cam2.json"
rc=$?
[ "$rc" = 1 ] || fail "tracker-align --from --camera 2: exited $rc, expected 1"
has "$T/cam2.err" "station 1 of 6: no samples of camera 2 from freed://127.0.0.1:0 in the 0.2 s hold"
grep -qE "\(so far: [1-9][0-9]* datagrams, 0 samples, [1-9][0-9]* other camera\)" "$T/cam2.err" ||
    fail "tracker-align --from --camera 2: the counters do not show the other camera"

echo "# g. errors"
# runtime DESC TEXT ARGS...: exits 1 (a runtime error) and says TEXT.
runtime() { refused 1 "$@"; }
usage_error() { refused 2 "$@"; }
S=(--stage "$CONFIGS/default-curved.json" --out "$T/refused.json")
printf 'label,x,y,z\ntag:0,1,2,3\ntag:1,1,2\n' >"$T/short.csv"
runtime "3 fields" "short.csv:3: expected 4 fields (label,x,y,z), got 3" survey "${S[@]}" --points "$T/short.csv"
printf 'tag:0,1,2,3\n# a comment\ntag:1, 1,  abc ,3\n' >"$T/nan.csv"
runtime "not a number" "nan.csv:3:12: expected a number for y (metres), got 'abc'" survey "${S[@]}" --points "$T/nan.csv"
printf 'tag:0,1,2,3\nfoo,1,2,3\ntag:2,0,0,0\n' >"$T/label.csv"
runtime "unknown label" "label.csv:2: unknown label 'foo' (expected tag:ID or SECTION@PX:PY)" survey "${S[@]}" \
    --points "$T/label.csv"
printf 'tag:0,1,2,3\ntag:999,1,2,3\ntag:2,0,0,0\n' >"$T/tag.csv"
runtime "unknown tag" "tag.csv:2: no marker 'tag:999' (the stage's apriltag pattern has tag:0 .. tag:59)" \
    survey "${S[@]}" --points "$T/tag.csv"
printf 'tag:0,1,2,3\nwall@1:2,1,2,3\ntag:2,0,0,0\n' >"$T/sec.csv"
runtime "unknown section" "sec.csv:2: unknown section 'wall' in label 'wall@1:2' (sections: main)" \
    survey "${S[@]}" --points "$T/sec.csv"
printf 'tag:0,1,2,3\nmain@1921:2,1,2,3\ntag:2,0,0,0\n' >"$T/px.csv"
runtime "pixel outside" "pixel 1921:2 is outside section 'main'" survey "${S[@]}" --points "$T/px.csv"
printf 'tag:0,1,2,3\ntag:1,1,2,3\n' >"$T/two.csv"
runtime "too few points" "two.csv: 2 points; a fit needs at least 3" survey "${S[@]}" --points "$T/two.csv"
printf 'tag:0,1,2,3\ntag:1,1,2,3\ntag:0,1,2,3\n' >"$T/dup.csv"
runtime "same label twice" "dup.csv:3: label 'tag:0' again (first on line 1)" survey "${S[@]}" --points "$T/dup.csv"
printf '\xef\xbb\xbflabel,x,y,z\ntag:0,0,0,0\ntag:1,1000,0,0\ntag:12,0,0,1000\n' >"$T/mm.csv"
ok "a spreadsheet's CSV (byte order mark, header) in millimetres" survey "${S[@]}" --points "$T/mm.csv"
has "$T/ok.err" "are the points in metres"
runtime "missing stage" "cannot read $T/none.json" survey --stage "$T/none.json" --points "$T/two.csv" \
    --out "$T/refused.json"
runtime "missing points" "cannot read $T/none.csv" survey "${S[@]}" --points "$T/none.csv"
A=(--stage "$CONFIGS/tracked-freed-sony.json" --out "$T/refused.json")
runtime "unreadable take" "cannot read take $T/none.jsonl" tracker-align "${A[@]}" --take "$T/none.jsonl" \
    --points "$T/stations.csv"
printf '{"t": 0, "camera": 1}\n' >"$T/bad.jsonl"
runtime "malformed take" "bad.jsonl:1:" tracker-align "${A[@]}" --take "$T/bad.jsonl" --points "$T/stations.csv"
printf '100,101,0,0,0\n' >"$T/late.csv"
runtime "empty window" "late.csv:1: no samples of camera 1 from 100 to 101 s" tracker-align "${A[@]}" \
    --take "$T/take.jsonl" --points "$T/late.csv"
runtime "no trackers" "has no trackers" tracker-align --stage "$CONFIGS/default-curved.json" \
    --out "$T/refused.json" --take "$T/take.jsonl" --points "$T/stations.csv"
runtime "tracker out of range" "has no tracker 3 (it has 1: 0 .. 0)" tracker-align "${A[@]}" --tracker 3 \
    --take "$T/take.jsonl" --points "$T/stations.csv"
L=(tracker-align "${A[@]}" --points "$T/live3.csv")
python3 "$T/live.py" stations "$T/live3.csv" 3
runtime "live: no sender" "station 1 of 3: no samples from freed://127.0.0.1:0 in the 0.2 s hold (so far: 0 datagrams" \
    "${L[@]}" --from freed://127.0.0.1:0 --hold 0.2 <<<""
has "$T/exit.err" "volym-track probe --from freed://127.0.0.1:0 shows what arrives"
runtime "live: stdin closed" "stopped at station 1 of 3: stdin ended before its Enter" "${L[@]}" \
    --from freed://127.0.0.1:0 </dev/null
printf '0,1,1\n1,2,1\n2,3,1\n' >"$T/line.csv"
runtime "live: stations in one line" "line.csv: the stations do not fix a rotation" tracker-align "${A[@]}" \
    --points "$T/line.csv" --from freed://127.0.0.1:0 </dev/null
grep -q "station 1 of" "$T/exit.err" && fail "live: a station asked for before the stations were checked"
runtime "live: bad URL" "tracker URL 'udp://:4000': unknown scheme 'udp'" "${L[@]}" --from udp://:4000 </dev/null
printf '0,1,1.5\n1.5,2\n' >"$T/live-short.csv"
runtime "live: a station of 2 numbers" "live-short.csv:2: expected 3 fields (x,y,z), got 2" tracker-align \
    "${A[@]}" --points "$T/live-short.csv" --from freed://127.0.0.1:0 </dev/null
usage_error "--from with --take" "--take and --from both give the samples; give one" "${L[@]}" \
    --take "$T/take.jsonl" --from freed://127.0.0.1:0
usage_error "neither --take nor --from" "give --take FILE (a recorded take) or --from URL" "${L[@]}"
usage_error "--hold with --take" "--hold is for --from" tracker-align "${A[@]}" --take "$T/take.jsonl" \
    --points "$T/stations.csv" --hold 2
usage_error "--hold out of range" "--hold: expected a number from 0.1 to 60, got '0.05'" "${L[@]}" \
    --from freed://127.0.0.1:0 --hold 0.05
"$VC" tracker-align --help >"$T/help.out" 2>&1 || fail "tracker-align --help exited $?"
has "$T/help.out" "transform at identity"
usage_error "no command" "usage: volym-calib COMMAND"
usage_error "unknown command" "unknown command 'bogus'" bogus
usage_error "missing --stage" "--stage FILE is required" check
usage_error "another command's option" "--take is not an option of survey" survey --take x
usage_error "missing argument" "--points needs an argument: CSV" survey --points
"$VC" survey --help >"$T/help.out" 2>&1 || fail "survey --help exited $?"
has "$T/help.out" "SECTION@PX:PY"

echo "# h. camera: photos of the apriltag pattern on a wall 10 cm and 2 degrees off the stage file"
# The real wall: the default one moved 10 cm / 5 cm / -3 cm and turned 2 degrees about its
# top-left corner. volym renders what cameras at three known poses film of it.
python3 - "$CONFIGS/default-curved.json" "$T/real.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
sec = s["sections"][0]
sec["position"] = [sec["position"][0] + 0.10, sec["position"][1] + 0.05, sec["position"][2] - 0.03]
sec["rotation"][0] += 2.0
json.dump(s, open(sys.argv[2], "w"))
EOF
photos=()
for pose in 0,0,1.5,0,0,0 -1,0.5,1.4,-12,3,0 1,0.3,1.7,10,-2,1; do
    d="$T/photo-$pose"
    "$VOLYM" render --stage "$T/real.json" --pattern apriltag --view camera --pose "$pose" \
        --fov 60 --out "$d" 2>"$d.err" || fail "rendering the photo from $pose"
    photos+=(--photo "$d/camera-000000.png@$pose,60")
done
ok "camera fit" camera --stage "$CONFIGS/default-curved.json" "${photos[@]}" --out "$T/fixed.json" \
    --json --svg "$T/camera.svg"
cp "$T/ok.out" "$T/camera.json"
ok "check the real wall" check --stage "$T/real.json" --json
cp "$T/ok.out" "$T/real-check.json"
ok "check the fitted wall" check --stage "$T/fixed.json" --json
cp "$T/ok.out" "$T/fixed-check.json"
python3 - "$T/camera.json" "$T/real-check.json" "$T/fixed-check.json" "$T/real.json" "$T/fixed.json" \
    "$T/camera.svg" <<'EOF' || fail "the camera fit did not find the real wall"
import json, math, sys
import xml.etree.ElementTree as ET
rep, real, fixed, real_s, fixed_s = (json.load(open(p)) for p in sys.argv[1:6])
for key in ("rms_mm", "max_mm", "translation_m", "rotation_deg", "reprojection_px", "sections"):
    assert key in rep, key
assert rep["tags"] >= 40, rep["tags"]
assert rep["reprojection_px"]["rms_before"] > 20 and rep["reprojection_px"]["rms"] < 1.0, rep["reprojection_px"]
worst = max(math.dist(a, b) for a, b in zip(real["sections"][0]["corners_m"], fixed["sections"][0]["corners_m"]))
assert worst < 0.005, "corners %.1f mm off" % (worst * 1000)              # within 5 mm
turn = [abs(a - b) for a, b in zip(real_s["sections"][0]["rotation"], fixed_s["sections"][0]["rotation"])]
assert max(turn) < 0.2, turn                                               # within 0.2 degrees
assert abs(rep["rotation_deg"][0] - 2.0) < 0.2, rep["rotation_deg"]
print("camera fit: corners within %.2f mm, angles within %.3f deg, %d tags, %.2f px rms"
      % (worst * 1000, max(turn), rep["tags"], rep["reprojection_px"]["rms"]))
ET.parse(sys.argv[6])
EOF
# The same with the poses from a take (a tracked camera): FILE@SECONDS.
python3 - "$T/poses.jsonl" <<'EOF'
import sys
poses = [(0, 0, 1.5, 0, 0, 0), (-1, 0.5, 1.4, -12, 3, 0), (1, 0.3, 1.7, 10, -2, 1)]
with open(sys.argv[1], "w") as f:
    for i, p in enumerate(poses):     # each pose held for a second
        for t in (i, i + 0.5):
            f.write('{"t": %g, "camera": 1, "x": %g, "y": %g, "z": %g, "pan": %g, "tilt": %g, '
                    '"roll": %g, "fov": 60}\n' % ((t,) + p))
EOF
ok "camera fit from a take" camera --stage "$CONFIGS/default-curved.json" --take "$T/poses.jsonl" \
    --photo "$T/photo-0,0,1.5,0,0,0/camera-000000.png@0.25" \
    --photo "$T/photo--1,0.5,1.4,-12,3,0/camera-000000.png@1.25" \
    --photo "$T/photo-1,0.3,1.7,10,-2,1/camera-000000.png@2.25" --out "$T/fixed-take.json" --json
python3 -c "
import json, sys
a, b = json.load(open('$T/camera.json')), json.load(open('$T/ok.out'))
assert all(abs(x - y) < 1e-6 for x, y in zip(a['rotation_deg'] + a['translation_m'], b['rotation_deg'] + b['translation_m'])), (a, b)
" || fail "the take's poses did not give the same fit as the given ones"

# Errors: a photo that is not a picture, a photo of no tags, a bad --photo.
echo "not a picture" >"$T/text.png"
"$VC" camera --stage "$CONFIGS/default-curved.json" --photo "$T/text.png@0,0,1.5,0,0,0" \
    --out "$T/x.json" >/dev/null 2>"$T/cam-bad.err" && fail "an unreadable photo was accepted"
has "$T/cam-bad.err" "photo $T/text.png: "
"$VOLYM" render --pattern grid --view camera --out "$T/grid" 2>/dev/null
"$VC" camera --stage "$CONFIGS/default-curved.json" --photo "$T/grid/camera-000000.png@0,0,1.5,0,0,0" \
    --out "$T/x.json" >/dev/null 2>"$T/cam-none.err" && fail "a photo without tags was accepted"
has "$T/cam-none.err" "too few tags: 0 found in 1 photo"
usage_error "bad --photo" "expected FILE@X,Y,Z,PAN,TILT,ROLL[,FOV] or FILE@SECONDS" camera \
    --stage x --out y --photo "a.png@1,2"
usage_error "photo at a time without a take" "give --take FILE" camera --stage x --out y \
    --photo "a.png@2.5"

if [ "$failures" -ne 0 ]; then
    echo "test_calib: $failures check(s) failed" >&2
    exit 1
fi
echo "test_calib: all checks passed"
