#!/usr/bin/env bash
# Installs the Debian packages that depot's build and test suite need, when any is missing.
# Run as root it installs them with apt-get; otherwise it prints the exact command and fails.
# Usage: scripts/deps.sh [--check]   (--check only reports, never installs)
set -euo pipefail

packages=(
    build-essential cmake pkg-config python3
    clang libclang-rt-14-dev          # libFuzzer target and its runtime
    libcmocka-dev                     # unit tests
    libpng-dev libcjson-dev libcurl4-openssl-dev
    libturbojpeg0-dev libwebp-dev     # JPEG and WebP in the image type
    libsndfile1-dev                   # the sound type (WAV, FLAC, Ogg Vorbis)
    libzstd-dev libxxhash-dev         # pack files (zstd entries, xxHash index and checksums), zstd KTX2 textures
    libegl-dev libgl-dev libegl-mesa0 libgl1-mesa-dri   # headless OpenGL (render tests)
    libvulkan-dev mesa-vulkan-drivers  # Vulkan backend; lavapipe runs its tests headless
    vulkan-validationlayers glslang-tools   # the Vulkan tests' validation layer and shaders
    spin                              # model check of the pool's free list
    graphviz                          # dependency graphs in reports
    chromium                          # headless browser test of the HTML report
    nginx-light                       # the http disk cache tests run against a real nginx
    libsdl2-dev xvfb xauth            # examples/sdl_viewer.c, run under Xvfb by its test
    pingus-data frozen-bubble-data    # 4,128 real PNGs for `depot-bench real` (make bench)
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "${1:-}" = "--check" ]; then
    echo "deps.sh: missing packages: ${missing[*]}" >&2
    exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing packages: ${missing[*]}" >&2
    echo "deps.sh: run as root:  apt-get update && $cmd" >&2
    exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd
