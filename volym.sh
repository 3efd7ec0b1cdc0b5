#!/bin/sh
# The two Quickstart commands (see README.md):
#   ./volym.sh demo [volym options]   install what is missing, build, run the demo
#   ./volym.sh test [--sanitize]      install what is missing, build, run every test
# --sanitize builds into build-sanitize/ with AddressSanitizer and UBSan.
set -eu
here=$(pwd)
root=$(cd "$(dirname "$0")" && pwd)
cd "$root"

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
demo|test) ;;
*) echo "usage: ./volym.sh demo [volym options] | ./volym.sh test [--sanitize]" >&2; exit 2 ;;
esac

scripts/install-deps.sh

build=build
setup="-Dwerror=true"
if [ "$cmd" = test ] && [ "${1:-}" = "--sanitize" ]; then
    build=build-sanitize
    setup="$setup -Db_sanitize=address,undefined -Db_lundef=false"
fi
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" $setup >/dev/null
fi
ninja -C "$build" >/dev/null

if [ "$cmd" = demo ]; then
    cd "$here"
    exec "$root/$build/volym" demo "$@"
fi

status=0
meson test -C "$build" --print-errorlogs || status=$?
python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = 0
for line in open(sys.argv[1]):
    r = json.loads(line).get("result")
    if r in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif r != "SKIP":
        failed += 1
print(f"{passed} passed, {failed} failed")
PY
exit $status
