#!/bin/sh
# The calibration walk-through on a simulated lab: the real wall is the
# built-in one moved 10 cm and turned 2 degrees; volym renders what cameras
# film of its AprilTag pattern, a "survey" measures its markers with 1 mm of
# noise (one mistyped). volym-calib then finds the real wall both ways.
# Writes the README's pictures into docs/calib/ (small files, kept in git).
#
#   scripts/calib-example.sh [BUILD_DIR]      (default: build)
set -eu

build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/docs/calib"
work=${TMPDIR:-/tmp}/volym-calib-example
calib="$build/volym-calib"
volym="$build/volym"
[ -x "$calib" ] || { echo "calib-example: $calib not found (build first)" >&2; exit 1; }
mkdir -p "$out" "$work"
export SDL_VIDEODRIVER=offscreen

# The real wall, which the stage file does not know about yet.
python3 - "$root/configs/default-curved.json" "$work/real.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
sec = s["sections"][0]
sec["position"] = [sec["position"][0] + 0.10, sec["position"][1] + 0.05, sec["position"][2] - 0.03]
sec["rotation"][0] += 2.0
json.dump(s, open(sys.argv[2], "w"), indent=2)
EOF

echo "1. check the stage file"
"$calib" check --stage "$root/configs/default-curved.json"

echo "2. the AprilTag pattern, and photos of the real wall from three known poses"
"$calib" pattern --stage "$root/configs/default-curved.json" --kind apriltag --out "$work/pattern"
photos=""
for pose in 0,0,1.5,0,0,0 -1,0.5,1.4,-12,3,0 1,0.3,1.7,10,-2,1; do
    "$volym" render --stage "$work/real.json" --pattern apriltag --view camera --pose "$pose" \
        --fov 60 --quiet --out "$work/photo-$pose"
    photos="$photos --photo $work/photo-$pose/camera-000000.png@$pose,60"
done

echo "3. survey: the tag centres of the real wall measured with 1 mm noise, tag:18 mistyped"
python3 - "$work/pattern/markers.json" "$work/real.json" "$work/survey.csv" <<'EOF'
import json, math, random, sys
nominal = json.load(open(sys.argv[1]))["markers"]
real = json.load(open(sys.argv[2]))["sections"][0]
# the real wall is the nominal one turned 2 degrees about its top-left corner, then moved
corner0 = [p - d for p, d in zip(real["position"], (0.10, 0.05, -0.03))]
a = math.radians(-2.0)          # pan +2: clockwise seen from above
random.seed(7)
with open(sys.argv[3], "w") as f:
    f.write("label,x,y,z\n")
    for m in nominal[::3]:
        x, y, z = (c - o for c, o in zip(m["centre"], corner0))
        x, y = x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a)
        p = [x + corner0[0] + 0.10, y + corner0[1] + 0.05, z + corner0[2] - 0.03]
        p = [c + random.gauss(0, 0.001) for c in p]
        if m["id"] == 18:
            p[2] += 0.05
        f.write("tag:%d,%.4f,%.4f,%.4f\n" % (m["id"], *p))
EOF
"$calib" survey --stage "$root/configs/default-curved.json" --points "$work/survey.csv" \
    --out "$work/surveyed.json" --svg "$out/survey.svg"

echo "4. camera fit from the photos"
# shellcheck disable=SC2086
"$calib" camera --stage "$root/configs/default-curved.json" $photos --out "$work/fitted.json" \
    --svg "$out/camera.svg"

# Small pictures for the README.
ffmpeg -loglevel error -y -i "$work/pattern/wall-apriltag.png" -vf scale=480:-1 "$out/pattern.png"
ffmpeg -loglevel error -y -i "$work/photo-1,0.3,1.7,10,-2,1/camera-000000.png" -vf scale=480:-1 \
    "$out/photo.png"
echo "calib-example: pictures in $out, the rest in $work"
