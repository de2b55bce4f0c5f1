# MicroPython user C module `tflm` (USER_C_MODULES=firmware). The C++ (tflite-micro and
# tflm_interp.cc) is built into libtflm.a by firmware/tflm/lib.mk; the recipe links it
# (firmware/recipe/unix.mk and qemu_m7.mk).
TFLM_MOD_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(TFLM_MOD_DIR)/modtflm.c
CFLAGS_USERMOD += -I$(TFLM_MOD_DIR)
