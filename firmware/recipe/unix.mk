# The unix port (x64, standard variant, native emitter on) with the tflm module.
# Differences from stock `standard`: no btree, ssl or ffi (their sources are git submodules
# that the pinned tarball does not carry, and the app needs none of them).
# KERNELS=esp-nn: a second image, in its own folder, whose tflm module runs the ESP32-S3's
# kernels (esp-tflite-micro's kernels/esp_nn/ on ESP-NN's portable C; firmware/tflm/espnn.mk)
ifeq ($(KERNELS),esp-nn)
UNIX_OUT  := $(FW_OUT)/unix-espnn
UNIX_KERNELS := esp-nn
UNIX_WHAT := with esp-tflite-micro v1.3.8's ESP-NN kernels (ESP-NN v1.2.0, portable C)
else
UNIX_OUT  := $(FW_OUT)/unix
UNIX_KERNELS := reference
UNIX_WHAT := with tflite-micro's reference kernels
endif
UNIX_PROG := $(UNIX_OUT)/micropython
UNIX_MAKE := $(MAKE) --no-print-directory -j$(JOBS) -C $(MPY_DIR)/ports/unix VARIANT=standard \
	BUILD=$(ABS)/$(UNIX_OUT)/build PROG=micropython \
	MPY_LIB_DIR=$(ABS)/$(SRC)/micropython-lib \
	MICROPY_PY_BTREE=0 MICROPY_PY_SSL=0 MICROPY_SSL_MBEDTLS=0 MICROPY_PY_FFI=0 \
	FROZEN_MANIFEST=$(ABS)/$(RECIPE)/unix_manifest.py

UNIX_LIB  := $(UNIX_OUT)/tflm/libtflm.a
ifeq ($(TFLM),1)
UNIX_TFLM_ARGS := USER_C_MODULES=$(ABS)/firmware LDFLAGS_USERMOD="$(ABS)/$(UNIX_LIB) -lstdc++"
endif

unix: mpy-cross
	@test -x $(UNIX_PROG) && [ "$(UNIX_KERNELS)" = reference ] || echo "firmware: building MicroPython's unix port \
	$(UNIX_WHAT) -> $(UNIX_PROG) (a first build takes about 2 minutes on 2 cores; then seconds)"
ifeq ($(TFLM),1)
	@$(MAKE) --no-print-directory -j$(JOBS) -f firmware/tflm/lib.mk OUT=$(UNIX_OUT)/tflm KERNELS=$(UNIX_KERNELS)
	@if [ $(UNIX_LIB) -nt $(UNIX_OUT)/build/micropython ]; then rm -f $(UNIX_OUT)/build/micropython; fi
endif
	@$(UNIX_MAKE) $(UNIX_TFLM_ARGS)
	@cp -p $(UNIX_OUT)/build/micropython $(UNIX_PROG).tmp && mv $(UNIX_PROG).tmp $(UNIX_PROG)
	@echo "firmware: $(UNIX_PROG)"
