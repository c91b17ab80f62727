#!/usr/bin/env bash
# Prints the ```cpp blocks of a Markdown page (docs/cpp.md's complete example).
awk '/^```cpp$/{f=1;next} /^```$/{f=0} f' "$1"
