#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it. Stops at the first failing stage.
#  1. ASan+UBSan build: every test, with the lifetime sanitizer on (dp_desc.debug_lifetimes,
#     on by default in this build); any sanitizer report fails the test.
#  2. TSan build: the threaded tests (label "threads").
#  3. clang libFuzzer build: the registry fuzz target for 200,000 runs (about 20 s), the
#     pack reader target and the KTX2 container parser for 1,000,000 each (about 10 s each)
#     and the glTF reader for 400,000.
#  4. Plain -Werror build: every test, then every test program again with each new thread
#     started late (label threads-late, tests/README.md), the install/consumer test and the
#     SPIN model; its ctest summary is the last thing printed.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
# The ASan build arms the lifetime sanitizer by default (docs/diagnostics.md); a setting
# left in the caller's shell must not turn it off for the suite.
unset DEPOT_DEBUG_LIFETIMES

stage() { echo; echo "==== $* ===="; }

stage "ASan+UBSan build"
cmake -S . -B build-asan -DDEPOT_SANITIZE=address -DDEPOT_WERROR=ON -DDEPOT_BENCH=OFF \
      -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$JOBS"
(cd build-asan && ctest --output-on-failure -j"$JOBS")

stage "TSan build (threaded tests)"
cmake -S . -B build-tsan -DDEPOT_SANITIZE=thread -DDEPOT_WERROR=ON -DDEPOT_BENCH=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-tsan -j"$JOBS"
(cd build-tsan && ctest --output-on-failure -L threads)

if [ -d fuzz ] && command -v clang >/dev/null; then
    stage "libFuzzer (clang)"
    CC=clang cmake -S . -B build-fuzz -DDEPOT_FUZZ=ON -DDEPOT_TESTS=OFF -DDEPOT_BENCH=OFF \
          -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build build-fuzz -j"$JOBS"
    bash fuzz/run.sh build-fuzz 200000
fi

stage "plain build: full suite, install test, model check"
cmake -S . -B build -DDEPOT_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$JOBS"
(cd build && ctest --output-on-failure -j"$JOBS")
