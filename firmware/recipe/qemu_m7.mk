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

qemu_m7: mpy-cross
	@$(MAKE) --no-print-directory -f $(RECIPE)/firmware.mk $(M7_PORT)/.overlaid $(M7_OUT)/heap_bytes.$(HEAP_BYTES)
	@$(M7_MAKE) $(M7_TFLM_ARGS)
	@cp -p $(M7_OUT)/build/firmware.elf $(M7_ELF).tmp && mv $(M7_ELF).tmp $(M7_ELF)
	@echo "firmware: $(M7_ELF) (GC heap $(HEAP_BYTES) bytes)"
