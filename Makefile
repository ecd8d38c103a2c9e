# Frond: two set-up commands, each self-sufficient on a fresh Debian 12 as root.
#   make run   install what is missing, build, train the default experiment
#   make test  install what is missing, build, run every test
#   make bench build, then time the JIT forward, a training step and cached
#              decode against libtorch (bench/README.md)
BUILD ?= build
BUILD_TYPE ?= Release
FROND := $(BUILD)/bin/frond

.PHONY: all run test bench deps configure build clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -G Ninja -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: $(BUILD)/build.ninja

build: deps configure
	cmake --build $(BUILD)

# The default experiment: the baseline GPT's small variant (2 layers, d 128)
# trained on the embedded corpus, about 1.5 minutes on 2 cores; the run is
# stored under runs/baseline/.
run: build
	$(FROND) check experiments/baseline.spec
	$(FROND) train experiments/baseline.spec --variant small

test: build
	python3 tests/run_all.py --build $(BUILD)

bench: build
	$(BUILD)/bin/forward_cpu --batch 8 --seq-len 256 --warmup 1 --iters 5
	$(BUILD)/bin/train_cpu --batch 8 --seq-len 256 --warmup 1 --iters 5
	$(BUILD)/bin/decode_cpu --context 512 --context 2048 --tokens 32 --warmup 2 --recompute 2

clean:
	rm -rf $(BUILD)
