#!/usr/bin/env bash
# The pictures of README "Your first LED volume", each made by volym itself
# (`volym render --view stage|preview|single`), kept small in docs/tutorial/.
#   scripts/tutorial-pictures.sh [BUILD_DIR]      (default: build)
set -eu
cd "$(dirname "$0")/.."
B=$(realpath "${1:-build}")
OUT=docs/tutorial
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$OUT"
export SDL_VIDEODRIVER=offscreen
SIZE=640x360
volym() { "$B/volym" "$@" --quiet; }

# 1-2. The demo's move, 3 s in: the single-screen window and the preview window.
volym demo --frames 75 --out "$T/demo" --view single --view preview --stage-size 960x540
cp "$T/demo/single-000074.png" "$OUT/demo-single.png"
cp "$T/demo/preview-000074.png" "$OUT/demo-preview.png"

# 3. A simulated tracker, recorded as a take: 10 s of its orbit, the path.
"$B/volym-track" record --from osc://127.0.0.1:9123 --out "$T/take.jsonl" --seconds 11 \
    >/dev/null 2>&1 &
rec=$!
sleep 0.5
"$B/volym-track" sim --to osc://127.0.0.1:9123 --move orbit --seconds 10 >/dev/null
wait "$rec"
volym render --take "$T/take.jsonl" --frames 250 --scene builtin:grid --view stage \
    --stage-size $SIZE --out "$T/sim"
cp "$T/sim/stage-000249.png" "$OUT/sim-orbit.png"

# 4. The frustum follows the camera: two poses, the same view.
volym render --scene builtin:grid --pose -1,0.6,1.5,-15,0,0 --fov 40 --view stage \
    --stage-size $SIZE --out "$T/left"
volym render --scene builtin:grid --pose 1,0.6,1.5,15,0,0 --fov 40 --view stage \
    --stage-size $SIZE --out "$T/right"
cp "$T/left/stage-000000.png" "$OUT/frustum-left.png"
cp "$T/right/stage-000000.png" "$OUT/frustum-right.png"

# 5. Overscan 10 % and 40 %, over the camera's shoulder.
python3 - configs/default-curved.json "$T/overscan.json" <<'PYEOF'
import json, sys
stage = json.load(open(sys.argv[1]))
stage["frustum"]["overscan"] = 0.4
json.dump(stage, open(sys.argv[2], "w"), indent=2)
PYEOF
volym render --scene builtin:grid --pose 0,0.6,1.5,0,0,0 --fov 40 --view stage \
    --stage-view camera --stage-size $SIZE --out "$T/os10"
volym render --stage "$T/overscan.json" --scene builtin:grid --pose 0,0.6,1.5,0,0,0 --fov 40 \
    --view stage --stage-view camera --stage-size $SIZE --out "$T/os40"
cp "$T/os10/stage-000000.png" "$OUT/overscan-10.png"
cp "$T/os40/stage-000000.png" "$OUT/overscan-40.png"

# 6. A 65-inch TV as the wall (configs/tv-65in-4k.json).
volym render --stage configs/tv-65in-4k.json --scene builtin:grid --pose 0.1,0.6,1.35,-2,-2,0 \
    --fov 25 --view stage --stage-size $SIZE --out "$T/tv"
cp "$T/tv/stage-000000.png" "$OUT/tv.png"

ls -l "$OUT"
echo "tutorial pictures in $OUT/"
