# Frond: two set-up commands, each self-sufficient on a fresh Debian 12 as root.
#   make run   install what is missing, build, train the default experiment
#   make test  install what is missing, build, run every test
#   make bench build, then time the JIT forward, a training step and cached
#              decode against libtorch (bench/README.md)
#   make portable  a self-contained frond in build-portable/: MLIR, LLVM,
#              ANTLR and libstdc++ linked statically, only glibc shared,
#              stripped and xz-compressed to build-portable/frond.xz (< 60 MB);
#              runs where a GPU driver is but no MLIR or compiler (no
#              libtorch: no check --numerics; no serve). Checked by
#              scripts/check-portable.sh (size, ldd, a smoke test).
BUILD ?= build
PORTABLE ?= build-portable
BUILD_TYPE ?= Release
FROND := $(BUILD)/bin/frond

.PHONY: all run test bench portable deps configure build clean

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

# The portable binary: its own build directory, configured once; only the
# frond target is built (ccache shares the objects with $(BUILD)).
$(PORTABLE)/build.ninja: | deps
	cmake -G Ninja -S . -B $(PORTABLE) -DCMAKE_BUILD_TYPE=Release -DFROND_PORTABLE=ON

portable: deps $(PORTABLE)/build.ninja
	cmake --build $(PORTABLE) --target frond
	strip -o $(PORTABLE)/frond $(PORTABLE)/bin/frond
	xz -9 -T0 -k -f $(PORTABLE)/frond
	scripts/check-portable.sh $(PORTABLE)

clean:
	rm -rf $(BUILD) $(PORTABLE)
