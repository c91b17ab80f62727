#!/usr/bin/env bash
# sdl_viewer.sh <example_sdl_viewer> <source dir> — runs examples/sdl_viewer.c under Xvfb
# (a real X server without a screen; SDL2 makes a GLX context there, Mesa llvmpipe draws)
# for 30 frames over four committed images (PNG with alpha, PNG RGB, baseline JPEG,
# lossless WebP with alpha) and lets it check its own last frame (--check: the first and
# middle texel of every image read back from the window where the grid puts them).
# Then hot reload: a second run (--expect-reload) shows the images, this script replaces
# rgba_4x4.png with other pixels (rgb_3x2.png's, renamed over it), and the viewer checks the
# first frame after the reload against the new data; no reload within 3,000 frames fails.
# Exit 77 (skipped) when xvfb-run is not installed.
set -euo pipefail
bin="${1:?usage: sdl_viewer.sh <example_sdl_viewer> <source dir>}"
src="${2:?usage: sdl_viewer.sh <example_sdl_viewer> <source dir>}"
if ! command -v xvfb-run >/dev/null; then
    echo "sdl_viewer: xvfb-run (xvfb, xauth) not installed: skipped"
    exit 77
fi
dir="$(mktemp -d "${TMPDIR:-/tmp}/depot-sdl.XXXXXX")"
trap 'rm -rf "$dir"' EXIT
for f in rgba_4x4.png rgb_3x2.png jpeg_baseline_16x16.jpg webp_lossless_alpha_16x16.webp; do
    cp "$src/tests/data/$f" "$dir/"
done
# -a: a free display number; the screen is larger than the 512x512 window.
xvfb-run -a -s "-screen 0 640x640x24" "$bin" --frames 30 --check "$dir"

log="$dir/reload.log"
xvfb-run -a -s "-screen 0 640x640x24" "$bin" --frames 3000 --check --expect-reload "$dir" \
    >"$log" 2>&1 &
viewer=$!
for _ in $(seq 600); do # up to 60 s for the first complete frame on a loaded machine
    grep -q "all 4 images shown" "$log" && break
    kill -0 "$viewer" 2>/dev/null || break
    sleep 0.1
done
cp "$src/tests/data/rgb_3x2.png" "$dir/incoming.tmp"
mv "$dir/incoming.tmp" "$dir/rgba_4x4.png" # one rename: the watcher never sees half a file
status=0
wait "$viewer" || status=$?
cat "$log"
exit "$status"
