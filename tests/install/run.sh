#!/usr/bin/env bash
# Installs depot from a finished build into a temporary prefix, then builds and runs a tiny
# consumer twice: once with pkg-config, once with CMake's find_package(depot). Also compiles
# the public headers as C++ to prove the extern "C" guards. Nothing runs with
# LD_LIBRARY_PATH: the installed library must be found through the rpath alone.
set -euo pipefail
src=$1
build=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/depot-install-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
libdir=$(ls -d "$tmp/prefix"/lib*/ | head -1)
libdir=${libdir%/}

echo "-- pkg-config consumer"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
flags=$(pkg-config --cflags --libs depot)
cc -std=c11 -Wall -Wextra -Werror "$here/consumer/main.c" $flags -o "$tmp/via_pc"
unset LD_LIBRARY_PATH
pc_libs=$(pkg-config --libs depot)
case "$pc_libs" in *"-rpath,$libdir"*) ;; *) echo "pkg-config --libs has no rpath: $pc_libs"; exit 1 ;; esac
"$tmp/via_pc" | grep -q "consumer ok"
# The static library, with its private dependencies (as shared libraries: Debian ships
# libcurl's own static dependencies only with their -dev packages).
privreqs=$(pkg-config --print-requires-private depot | tr '\n' ' ')
cc -std=c11 "$here/consumer/main.c" $(pkg-config --cflags depot) "$libdir/libdepot.a" \
   ${privreqs:+$(pkg-config --libs $privreqs)} -lpthread -lm -o "$tmp/via_pc_static"
"$tmp/via_pc_static" | grep -q "consumer ok"

echo "-- find_package consumer"
cmake -S "$here/consumer" -B "$tmp/cbuild" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cbuild" >/dev/null
"$tmp/cbuild/consumer" | grep -q "consumer ok"
"$tmp/cbuild/consumer_static" | grep -q "consumer ok"

echo "-- the README's first program"
awk '/^```c$/{f=1;next} /^```$/{f=0} f' "$src/README.md" > "$tmp/readme.c"
cc -std=c11 -Wall -Wextra -Werror "$tmp/readme.c" $(pkg-config --cflags --libs depot) -o "$tmp/readme"
# As documented: from the repository root without arguments, and from anywhere with the
# assets folder as argument; both with an empty environment.
(cd "$src" && env -i "$tmp/readme") | grep -q "hero: "
mkdir "$tmp/elsewhere"
(cd "$tmp/elsewhere" && env -i "$tmp/readme" "$src/examples/assets") > "$tmp/readme.out"
grep -q "hero: " "$tmp/readme.out" && grep -q "leaked assets: 0" "$tmp/readme.out"
# A wrong folder is named in the error, not a bare status.
if (cd "$tmp/elsewhere" && env -i "$tmp/readme") 2> "$tmp/readme.err"; then
    echo "the first program succeeded without its assets"; exit 1
fi
grep -q "examples/assets: DP_ERR_NOT_FOUND" "$tmp/readme.err"
echo "-- the installed depot command, from another folder"
(cd "$tmp/elsewhere" && env -i "$tmp/prefix/bin/depot" --help >/dev/null 2>&1) || \
    { (cd "$tmp/elsewhere" && env -i "$tmp/prefix/bin/depot" --help); exit 1; }

echo "-- public headers as C++, and docs/cpp.md's example against the installed depot.hpp"
if command -v g++ >/dev/null; then
    printf '#include <depot/depot.h>\nint main() { return dp_handle_is_null(DP_NULL_HANDLE) ? 0 : 1; }\n' > "$tmp/h.cpp"
    g++ -std=c++17 -Wall -Wextra -Werror -pedantic -fsyntax-only -I"$tmp/prefix/include" "$tmp/h.cpp"
    bash "$src/tests/cpp/extract_example.sh" "$src/docs/cpp.md" > "$tmp/example.cpp"
    g++ -std=c++17 -Wall -Wextra -Werror -pedantic "$tmp/example.cpp" \
        $(pkg-config --cflags --libs depot) -o "$tmp/example_cpp"
    (cd "$tmp/elsewhere" && env -i "$tmp/example_cpp" "$src/examples/assets") |
        grep -q "leaked assets: 0"
fi
echo "install test passed"
