# depot — top-level entry points; CMake does the building.
#   make test    build, then the whole suite: plain, ASan+UBSan, TSan (threaded tests),
#                the fuzz target for a fixed number of runs, the install test, the model check
#   make demo    build and run the demo (make demo DEMO_ARGS=--pack: from a pack file)
#   make bench   build (optimised) and run every benchmark
#   make build   just the plain build
#   make install PREFIX=/opt/depot   the plain build, installed under PREFIX (default /usr/local)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX ?= /usr/local

.PHONY: all deps build install test demo bench clean

all: build

deps:
	@bash scripts/deps.sh

build: deps
	cmake -S . -B build -DDEPOT_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j$(JOBS)

install: build
	cmake --install build --prefix "$(PREFIX)"

test: deps
	bash scripts/test.sh

demo: build
	./build/depot demo $(DEMO_ARGS)

bench: deps
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDEPOT_TESTS=OFF >/dev/null
	cmake --build build-bench -j$(JOBS) --target depot-bench
	./build-bench/depot-bench all
	@if [ -d /usr/share/games/pingus ] && [ -d /usr/share/games/frozen-bubble ]; then \
	  ./build-bench/depot-bench real /usr/share/games/pingus /usr/share/games/frozen-bubble; \
	else echo "# real: /usr/share/games/{pingus,frozen-bubble} absent (apt-get install pingus-data frozen-bubble-data): skipped"; fi

clean:
	rm -rf build build-asan build-tsan build-fuzz build-bench
