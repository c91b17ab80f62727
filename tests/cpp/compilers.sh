#!/usr/bin/env bash
# depot.hpp with both C++ compilers (the CMake targets use only the configured one):
#  1. every public header, C and C++, compiles with -Wall -Wextra -Werror -pedantic, and
#     docs/cpp.md's example with -fno-exceptions;
#  2. test_handles.cpp and docs/cpp.md's example build under ASan+UBSan against the build's
#     libdepot.a and run clean (a leak or a sanitizer report fails).
# Usage: compilers.sh SOURCE_DIR BUILD_DIR. Exits 77 (skip) if g++ or clang++ is missing.
set -euo pipefail
src=$1
build=$2
for c in g++ clang++ gcc clang; do
    command -v "$c" >/dev/null || { echo "no $c: skipped"; exit 77; }
done
tmp=$(mktemp -d /tmp/depot-cpp-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

inc=(-I"$src/include" -I"$build/include")
strict=(-Wall -Wextra -Werror -pedantic)
{
    for h in "$src"/include/depot/*.h; do echo "#include <depot/$(basename "$h")>"; done
    echo 'int main(void) { return dp_handle_is_null(DP_NULL_HANDLE) ? 0 : 1; }'
} > "$tmp/headers.c"
{
    echo '#include <depot/depot.hpp>'
    cat "$tmp/headers.c"
} > "$tmp/headers.cpp"
bash "$src/tests/cpp/extract_example.sh" "$src/docs/cpp.md" > "$tmp/example.cpp"

privreqs=$(PKG_CONFIG_PATH="$build" pkg-config --print-requires-private depot | tr '\n' ' ')
libs=("$build/libdepot.a" ${privreqs:+$(pkg-config --libs $privreqs)} -lpthread -lm)
san=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g)

for cc in gcc clang; do
    echo "-- $cc: C headers, -std=c11 -pedantic"
    "$cc" -std=c11 "${strict[@]}" -fsyntax-only "${inc[@]}" "$tmp/headers.c"
done
for cxx in g++ clang++; do
    echo "-- $cxx: C headers and depot.hpp, -std=c++17 -pedantic"
    "$cxx" -std=c++17 "${strict[@]}" -fsyntax-only "${inc[@]}" "$tmp/headers.cpp"
    "$cxx" -std=c++17 "${strict[@]}" -fno-exceptions -fsyntax-only "${inc[@]}" "$tmp/example.cpp"
    echo "-- $cxx: test_handles under ASan+UBSan"
    "$cxx" -std=c++17 "${strict[@]}" -Wshadow "${san[@]}" "${inc[@]}" \
        "$src/tests/cpp/test_handles.cpp" "${libs[@]}" $(pkg-config --libs cmocka) \
        -o "$tmp/test_handles_$cxx"
    "$tmp/test_handles_$cxx"
    echo "-- $cxx: docs/cpp.md example under ASan+UBSan, run from another folder"
    "$cxx" -std=c++17 "${strict[@]}" "${san[@]}" "${inc[@]}" "$tmp/example.cpp" "${libs[@]}" \
        -o "$tmp/example_$cxx"
    (cd "$tmp" && "$tmp/example_$cxx" "$src/examples/assets") | tee "$tmp/out" |
        grep -q "leaked assets: 0" || { cat "$tmp/out"; exit 1; }
done
echo "C++ compilers test passed"
