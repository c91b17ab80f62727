#!/usr/bin/env bash
# `depot demo --vulkan` on the example scenes: every scene loads, its images get Vulkan
# textures (the demo fails otherwise), the validation layer reports nothing up to and
# including the device's destruction, and nothing leaks. Exit 77 only without a Vulkan device.
# Usage: demo_vulkan.sh <depot binary> <source dir>
set -uo pipefail
depot=$1
src=$2
tmp=$(mktemp -d /tmp/depot-demo-vk-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$depot" demo --vulkan --frames 5 --scenes "$src/examples/assets" --report "$tmp/r.html" \
    >"$tmp/out" 2>&1
rc=$?
if grep -q "no Vulkan physical device\|no Vulkan driver\|no Vulkan device" "$tmp/out"; then
    echo "SKIP: $(grep -m1 'vulkan' "$tmp/out")"
    exit 77
fi
cat "$tmp/out"
[ $rc -eq 0 ] || { echo "FAIL: depot demo --vulkan exited $rc"; exit 1; }
grep -q "^render: Vulkan, headless .*VK_LAYER_KHRONOS_validation on" "$tmp/out" || { echo "FAIL: not on Vulkan with validation"; exit 1; }
grep -q "^vulkan: 0 validation message(s)" "$tmp/out" || { echo "FAIL: validation messages"; exit 1; }
grep -q "dp_destroy: 0 leaked -> clean" "$tmp/out" || { echo "FAIL: leak check"; exit 1; }
echo "demo --vulkan passed"
