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

.PHONY: help setup model classify demo emulate train evaluate inspect flash monitor test bench clean

help:
	@echo "make setup                      create .venv, install pinned packages, fetch weights, build the default model"
	@echo "make classify IMAGES=\"a.jpg b.jpg\" label and confidence for each image, in order"
	@echo "make demo                       classify scikit-image's sample photos"
	@echo "make emulate IMAGES=\"...\"       run the device app on the host emulator board (LCD frames in $(FRAMES)/)"
	@echo "make inspect [MODEL=...]        header, labels, sizes and tensor-arena bytes of a blob"
	@echo "make test                       the test suite"

setup: .venv/.installed model

.venv/.installed: requirements.txt requirements.lock
	python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -c requirements.lock
	touch $@

model: .venv/.installed
	$(TOOLS) fetch-weights
	$(TOOLS) model

classify:
	$(TOOLS) classify --model $(MODEL) $(IMAGES)

demo:
	$(TOOLS) demo --model $(MODEL)

emulate:
	$(TOOLS) emulate --model $(MODEL) --frames-dir $(FRAMES) $(IMAGES)

inspect:
	$(TOOLS) inspect $(MODEL)

test:
	$(PY) -m pytest -q tests

clean:
	rm -rf models/*.blob models/*.json frames out .pytest_cache
