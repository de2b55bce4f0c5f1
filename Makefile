# One command per step. Run `make help` for the list.
PY      := .venv/bin/python
TOOLS   := $(PY) -m host_tools
MODEL   ?= models/vww_96.blob
IMAGES  ?=
BOARD   ?=
PORT    ?=
DATA    ?=
OUT     ?= out
FRAMES  ?= frames

# train's default epochs, read from its one definition (host_tools/train/__init__.py) when help runs
DEFAULT_EPOCHS = $(shell python3 -c 'import sys; sys.path.insert(0, "host_tools"); from train import EPOCHS; print(EPOCHS["cached"])' 2>/dev/null || echo "?")

.PHONY: help setup system-packages firmware firmware-images board model classify demo emulate train evaluate inspect profile flash monitor test bench clean studio browser mutate

help:
	@echo "make setup                      create .venv, install pinned packages, fetch weights, build the default model"
	@echo "make classify IMAGES=\"a.jpg b.jpg\" label and confidence for each image, in order"
	@echo "make demo                       classify scikit-image's sample photos"
	@echo "make emulate IMAGES=\"...\"       run the device app on the host emulator board (LCD frames in $(FRAMES)/)"
	@echo "make inspect [MODEL=...]        header, labels, sizes and tensor-arena bytes of a blob"
	@echo "make train DATA=photos/ [OUT=out] train on your photos (one folder per class): OUT/model.blob, OUT/report.html"
	@echo "                                  at most $(DEFAULT_EPOCHS) epochs (ARGS=\"--epochs N\"); stops early when the held-out loss no longer improves"
	@echo "make evaluate MODEL=out/model.blob DATA=photos/   accuracy, per-class figures, confusion matrix"
	@echo "make profile [MODEL=] [BOARD=]  arena, MACs, ops and which boards the model fits (BOARD: just that one)"
	@echo "make flash BOARD=name [PORT=] [MODEL=]  deploy the app and a model to a board (checked, verified, atomic)"
	@echo "make board BOARD=qemu_m7 [IMAGES=] start an emulated board (the project's firmware in QEMU); prints its camera's photos and its serial port"
	@echo "make monitor PORT=/dev/ttyACM0  show a board's results live"
	@echo "make studio [DATA=photos] [OUT=out] [STUDIO_PORT=8000]  the local web app: collect, train, test, deploy"
	@echo "make bench                      every benchmark in bench/ (throughput, memory, training)"
	@echo "make firmware BOARD=unix|qemu_m7 build MicroPython with the tflm module (build/firmware/; HEAP_BYTES= for qemu_m7;"
	@echo "                                 KERNELS=esp-nn for a unix image with the ESP32-S3's kernels)"
	@echo "make test                       the test suite"
	@echo "make mutate [MUTATE=\"blob preprocess\"]  mutation testing (mutmut, installed on demand): score per module (docs/mutation.md)"

setup: system-packages .venv/.installed model

# Debian packages the firmware builds need: installed when missing (as root), else one command to run
SYSTEM_PACKAGES := build-essential gcc-arm-none-eabi libnewlib-arm-none-eabi \
	libstdc++-arm-none-eabi-newlib qemu-system-arm
system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "setup: installing $$(echo $$missing)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "make setup: missing Debian packages; run: sudo apt-get install -y $$(echo $$missing)" >&2; exit 2; \
	  fi; \
	fi

.venv/.installed: requirements.txt requirements.lock
	python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -c requirements.lock
	touch $@

# The studio's browser test drives Debian's chromium through its chromedriver (never a browser download).
setup: browser
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	if [ "$$(id -u)" = 0 ]; then export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq chromium chromium-driver || \
	  { apt-get update -qq && apt-get install -y -qq chromium chromium-driver; }; \
	else echo "make setup: the browser test needs chromium and chromium-driver; run: sudo apt-get install chromium chromium-driver" >&2; exit 1; fi

model: .venv/.installed
	$(TOOLS) fetch-weights
	$(TOOLS) model

# make firmware BOARD=unix|qemu_m7|esp32s3_eye|xiao_esp32s3_sense [HEAP_BYTES=...] [KERNELS=esp-nn] (docs/firmware.md)
firmware:
	@$(MAKE) --no-print-directory -f firmware/recipe/firmware.mk firmware BOARD="$(BOARD)" $(if $(HEAP_BYTES),HEAP_BYTES=$(HEAP_BYTES)) $(if $(KERNELS),KERNELS=$(KERNELS))

classify:
	$(TOOLS) classify --model $(MODEL) $(IMAGES)

demo:
	$(TOOLS) demo --model $(MODEL)

emulate:
	$(TOOLS) emulate --model $(MODEL) --frames-dir $(FRAMES) $(IMAGES)

inspect:
	$(TOOLS) inspect $(MODEL)

# make train DATA=photos/ [OUT=out] [ARGS="--epochs 60 --force"]
train:
	@test -n "$(DATA)" || { echo "make train: set DATA=folder (one subfolder of photos per class)" >&2; exit 2; }
	$(TOOLS) train "$(DATA)" --out "$(OUT)" $(ARGS)

# make evaluate MODEL=out/model.blob DATA=photos/
evaluate:
	@test -n "$(DATA)" || { echo "make evaluate: set DATA=folder (one subfolder of photos per label)" >&2; exit 2; }
	$(TOOLS) evaluate --model "$(MODEL)" "$(DATA)"

profile:
	$(TOOLS) inspect $(MODEL) $(if $(BOARD),--board $(BOARD))

bench:
	@status=0; for f in bench/bench_*.py; do echo "== $$f"; $(PY) $$f || status=1; done; exit $$status

# make flash BOARD=esp32s3_eye [PORT=/dev/ttyACM0] [MODEL=out/model.blob]
flash:
	$(TOOLS) flash --board "$(BOARD)" $(if $(PORT),--port "$(PORT)") --model "$(MODEL)"

# make monitor PORT=/dev/ttyACM0 [COUNT=N] [JSON=1]
monitor:
	$(TOOLS) monitor --port "$(PORT)" $(if $(COUNT),--count $(COUNT)) $(if $(JSON),--json)

# make board BOARD=qemu_m7 [MODEL=...] [IMAGES="a.jpg b.jpg"]: runs until Ctrl-C
board:
	$(TOOLS) board --board "$(or $(BOARD),qemu_m7)" --model "$(MODEL)" $(IMAGES)

# make studio [DATA=photos] [OUT=out] [STUDIO_PORT=8000]: open the address it prints
studio: .venv/.installed
	$(TOOLS) studio --data "$(or $(DATA),photos)" --out "$(OUT)" $(if $(STUDIO_PORT),--port $(STUDIO_PORT))

# the firmware images (incremental: seconds when up to date), then the suite; the unix image
# with the ESP32-S3's kernels adds about 2 minutes to a first build (docs/firmware.md)
firmware-images:
	@$(MAKE) --no-print-directory -f firmware/recipe/firmware.mk firmware BOARD=unix
	@$(MAKE) --no-print-directory -f firmware/recipe/firmware.mk firmware BOARD=unix KERNELS=esp-nn
	@$(MAKE) --no-print-directory -f firmware/recipe/firmware.mk firmware BOARD=qemu_m7

test: firmware-images
	$(PY) -m pytest -q tests

# Mutation testing, not part of `make test` (docs/mutation.md). mutmut is installed into the venv
# on demand, pinned, with the locked versions of everything else held as they are.
MUTMUT := mutmut==3.8.1
MUTATE ?=
mutate: .venv/.installed
	@$(PY) -c "import mutmut" 2>/dev/null && $(PY) -m pip show mutmut 2>/dev/null | grep -qx "Version: $(word 2,$(subst ==, ,$(MUTMUT)))" || \
	  $(PY) -m pip install --quiet "$(MUTMUT)" -c requirements.lock
	nice -n 19 $(PY) -m tests.support.mutate $(MUTATE)

clean:
	rm -rf models/*.blob models/*.json frames out .pytest_cache
