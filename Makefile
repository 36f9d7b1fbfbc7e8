# Veil: `make run` and `make test` are the two commands a fresh Debian 12 machine needs.
NPROC   ?= $(shell nproc)
BUILD   ?= build
ASAN    ?= build-asan
CMAKE_RELEASE = cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DVEIL_BUILD_TESTS=ON -DVEIL_BUILD_BENCH=ON
# The sanitizer build uses clang so that it can also build the libFuzzer targets,
# whose corpora are replayed as tests.
CMAKE_ASAN    = CC=clang CXX=clang++ cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug \
                -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DVEIL_SANITIZE=ON -DVEIL_FUZZ=ON -DVEIL_BUILD_TESTS=ON

.PHONY: all deps build run test test-release test-asan fuzz bench clean format

all: build

deps:
	@bash scripts/install-deps

build: deps
	@$(CMAKE_RELEASE) >/dev/null
	cmake --build $(BUILD) -j$(NPROC) --target veil

# The quickstart: a node on the simulated TEE with the built-in engine, one chat, its verification.
run: build
	@bash scripts/run-demo $(BUILD)/veil

test: deps test-release test-asan

test-release:
	@$(CMAKE_RELEASE) >/dev/null
	cmake --build $(BUILD) -j$(NPROC)
	cd $(BUILD) && ctest --output-on-failure -j$(NPROC)

test-asan:
	@$(CMAKE_ASAN) >/dev/null
	cmake --build $(ASAN) -j$(NPROC)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j$(NPROC)

# Longer fuzzing runs (FUZZ_SECONDS each target).
FUZZ_SECONDS ?= 60
fuzz: deps
	@$(CMAKE_ASAN) >/dev/null
	cmake --build $(ASAN) -j$(NPROC)
	@bash scripts/fuzz-all $(ASAN) $(FUZZ_SECONDS)

bench: deps
	@$(CMAKE_RELEASE) >/dev/null
	cmake --build $(BUILD) -j$(NPROC) --target veil veil_benchmarks
	@bash scripts/bench-all $(BUILD)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN)
