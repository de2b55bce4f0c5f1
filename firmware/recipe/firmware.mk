# Firmware recipes: make -f firmware/recipe/firmware.mk BOARD=unix|qemu_m7|esp32s3_eye|xiao_esp32s3_sense
# (the top Makefile's `make firmware BOARD=...` calls this). Outputs go under build/; both
# MicroPython builds are incremental. See docs/firmware.md.
BOARD      ?=
JOBS       ?= 2
HEAP_BYTES ?= 4194304
PYTHON     ?= python3
FW_OUT     := build/firmware
SRC        := build/src
MPY_DIR    := $(SRC)/micropython
MPY_CROSS  := $(MPY_DIR)/mpy-cross/build/mpy-cross
RECIPE     := firmware/recipe
ABS        := $(abspath .)
# the version MicroPython reports (its build would otherwise describe this project's git tree)
export MICROPY_GIT_TAG  := v1.28.0
export MICROPY_GIT_HASH := e0e9fbb17e
# the project's user C module (firmware/tflm); TFLM=0 builds plain MicroPython
TFLM       ?= 1
# unix only: KERNELS=esp-nn builds a second image with the ESP32-S3's kernels (unix.mk)
KERNELS    ?=

.PHONY: firmware sources unix qemu_m7 esp32s3_eye xiao_esp32s3_sense mpy-cross

firmware:
	@case "$(BOARD)" in unix|qemu_m7|esp32s3_eye|xiao_esp32s3_sense) ;; \
	  *) echo "make firmware: set BOARD=unix, qemu_m7, esp32s3_eye or xiao_esp32s3_sense (got '$(BOARD)')" >&2; exit 2;; esac
	@case "$(BOARD):$(KERNELS)" in *:|unix:reference|unix:esp-nn) ;; \
	  *) echo "make firmware: KERNELS must be reference or esp-nn, and only with BOARD=unix (got BOARD=$(BOARD) KERNELS=$(KERNELS))" >&2; exit 2;; esac
	@echo "firmware: $(BOARD): MicroPython v1.28.0 with the tflm module; a first build takes a few minutes (qemu_m7 about 2 on 2 cores), an up-to-date check seconds"
	@$(MAKE) --no-print-directory -f $(RECIPE)/firmware.mk $(BOARD)

sources:
	@$(PYTHON) host_tools/firmware/firmware_sources.py

mpy-cross: sources
	@$(MAKE) --no-print-directory -j$(JOBS) -C $(MPY_DIR)/mpy-cross

include $(RECIPE)/unix.mk
include $(RECIPE)/qemu_m7.mk
include $(RECIPE)/esp32s3.mk
