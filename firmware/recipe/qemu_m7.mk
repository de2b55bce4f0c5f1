# MicroPython's qemu port for the MPS2-AN500 (Cortex-M7, armv7emdp .mpy, native + viper)
# with the tflm module. The port is copied to ports/qemu_m7 inside the unpacked source and
# overlaid with the files in firmware/recipe/qemu_m7 (main, UART, config, frozen _boot.py).
M7_OUT   := $(FW_OUT)/qemu_m7
M7_ELF   := $(M7_OUT)/firmware.elf
M7_PORT  := $(MPY_DIR)/ports/qemu_m7
M7_FILES := $(wildcard $(RECIPE)/qemu_m7/*.c $(RECIPE)/qemu_m7/*.h)
M7_CPU   := -mthumb -mcpu=cortex-m7 -mfloat-abi=hard -mfpu=fpv5-d16
M7_MAKE  := $(MAKE) --no-print-directory -j$(JOBS) -C $(M7_PORT) BOARD=MPS2_AN500 \
	BUILD=$(ABS)/$(M7_OUT)/build MICROPY_HEAP_SIZE=$(HEAP_BYTES) MICROPY_VFS_LFS2=1 MPY_LIB_DIR=$(ABS)/$(SRC)/micropython-lib \
	FROZEN_MANIFEST=$(ABS)/$(RECIPE)/qemu_m7/manifest.py

$(M7_PORT)/.overlaid: $(M7_FILES) $(MPY_DIR)/.pinned
	@rm -rf $(M7_PORT) && cp -rp $(MPY_DIR)/ports/qemu $(M7_PORT)
	@cp -p $(M7_FILES) $(M7_PORT)/
	@touch $@

# the heap size is compiled in: rebuild main.o when it changes
$(M7_OUT)/heap_bytes.$(HEAP_BYTES):
	@mkdir -p $(M7_OUT) && rm -f $(M7_OUT)/heap_bytes.* && touch $@ && rm -f $(M7_OUT)/build/main.o

M7_LIB   := $(M7_OUT)/tflm/libtflm.a
# the hard-float multilib's runtime libraries; libraries go in LIBS, after the objects
M7_GCC   := arm-none-eabi-gcc $(M7_CPU)
M7_RTLIB = $(foreach l,libstdc++_nano.a libsupc++_nano.a libm.a libc_nano.a libnosys.a, \
	$(shell $(M7_GCC) -print-file-name=$(l))) $(shell $(M7_GCC) -print-libgcc-file-name)
# M7_REFERENCE_OPS="conv ...": those ops on tflite-micro's reference kernels instead of CMSIS-NN
M7_REFERENCE_OPS ?=
ifeq ($(TFLM),1)
M7_TFLM_ARGS = USER_C_MODULES=$(ABS)/firmware \
	LIBS="$(ABS)/$(M7_LIB) -Wl,--start-group $(M7_RTLIB) -Wl,--end-group"
endif

qemu_m7: mpy-cross
	@$(MAKE) --no-print-directory -f $(RECIPE)/firmware.mk $(M7_PORT)/.overlaid $(M7_OUT)/heap_bytes.$(HEAP_BYTES)
ifeq ($(TFLM),1)
	@$(MAKE) --no-print-directory -j$(JOBS) -f firmware/tflm/lib.mk OUT=$(M7_OUT)/tflm KERNELS=cmsis_nn \
		REFERENCE_OPS="$(M7_REFERENCE_OPS)" CXX=arm-none-eabi-g++ CC=arm-none-eabi-gcc \
		AR=arm-none-eabi-ar CPU_FLAGS="$(M7_CPU)"
	@if [ $(M7_LIB) -nt $(M7_OUT)/build/firmware.elf ]; then rm -f $(M7_OUT)/build/firmware.elf; fi
endif
	@$(M7_MAKE) $(M7_TFLM_ARGS)
	@cp -p $(M7_OUT)/build/firmware.elf $(M7_ELF).tmp && mv $(M7_ELF).tmp $(M7_ELF)
	@echo "firmware: $(M7_ELF) (GC heap $(HEAP_BYTES) bytes)"
