# The unix port (x64, standard variant, native emitter on) with the tflm module.
# Differences from stock `standard`: no btree, ssl or ffi (their sources are git submodules
# that the pinned tarball does not carry, and the app needs none of them).
UNIX_OUT  := $(FW_OUT)/unix
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
ifeq ($(TFLM),1)
	@$(MAKE) --no-print-directory -j$(JOBS) -f firmware/tflm/lib.mk OUT=$(UNIX_OUT)/tflm KERNELS=reference
	@if [ $(UNIX_LIB) -nt $(UNIX_OUT)/build/micropython ]; then rm -f $(UNIX_OUT)/build/micropython; fi
endif
	@$(UNIX_MAKE) $(UNIX_TFLM_ARGS)
	@cp -p $(UNIX_OUT)/build/micropython $(UNIX_PROG).tmp && mv $(UNIX_PROG).tmp $(UNIX_PROG)
	@echo "firmware: $(UNIX_PROG)"
