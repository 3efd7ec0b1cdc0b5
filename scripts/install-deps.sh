#!/bin/sh
# Install the Debian 12 packages volym needs to build, run and test, if any
# are missing. Idempotent: with everything present it changes nothing.
# Runs apt-get as root, or through sudo.
set -eu

PACKAGES="
gcc libc6-dev meson ninja-build pkg-config python3
libsdl2-dev libglew-dev libgl1-mesa-dri libegl-mesa0 libegl1
libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
liblo-dev liblo-tools libcbor-dev libjansson-dev libcglm-dev libstb-dev libassimp-dev libapriltag-dev
clang libclang-rt-14-dev ffmpeg xvfb xauth libglx-mesa0 xdotool x11-apps
"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-deps: these packages are missing and I am not root (no sudo either):$missing" >&2
    exit 1
fi
echo "install-deps: installing$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
