# The two commands: `make demo` and `make test`. Each installs what is missing (Debian
# packages, through scripts/setup.sh), configures and builds, then runs.
BUILD ?= build
PREFIX ?= /usr/local
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=

.PHONY: all setup configure build test demo bench install fuzz regen clean

all: build

setup:
	@scripts/setup.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

configure: setup $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

demo: build
	scripts/demo.sh $(BUILD)/bin

bench: build
	$(BUILD)/bin/mm-bench-stream --bindir $(BUILD)/bin --dir $${TMPDIR:-/tmp}
	scripts/bench-text.sh $(BUILD)/bin $(BUILD)/bench
	scripts/bench-model.sh $(BUILD)/bin $(BUILD)/bench
	scripts/bench-image.sh $(BUILD)/bin
	scripts/bench-audio.sh $(BUILD)/bin
	scripts/bench-generate.sh $(BUILD)/bin
	scripts/bench-train.sh $(BUILD)/bin

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# libFuzzer targets built with clang and sanitizers, run over their corpora for
# FUZZ_SECONDS each. New inputs go to $(BUILD)-fuzz/corpus/; crashes to the current
# directory (add them to tests/fuzz/corpus/ once fixed, so ctest replays them).
fuzz: setup
	cmake -S . -B $(BUILD)-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DMM_FUZZ=ON
	cmake --build $(BUILD)-fuzz -j $(JOBS) --target mm-fuzz-reader mm-fuzz-pack mm-fuzz-tokenizer mm-fuzz-layout mm-fuzz-drawing mm-fuzz-safetensors mm-fuzz-bundle_config mm-fuzz-codebook mm-fuzz-visual_metadata mm-fuzz-audio mm-fuzz-world_text
	for t in reader pack tokenizer layout drawing safetensors bundle_config codebook visual_metadata audio world_text; do \
	  mkdir -p $(BUILD)-fuzz/corpus/$$t; \
	  $(BUILD)-fuzz/bin/mm-fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=2048 \
	    $(BUILD)-fuzz/corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
	done

# Rewrites the man pages' OPTIONS sections and the completions from the programs.
regen: build
	scripts/regen-docs.sh $(BUILD)/bin

clean:
	rm -rf $(BUILD) $(BUILD)-fuzz
