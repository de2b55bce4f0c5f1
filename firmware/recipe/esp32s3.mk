# ESP32-S3 boards (esp32s3_eye, xiao_esp32s3_sense): MicroPython v1.28.0's esp32 port with the
# project's board (firmware/recipe/esp32s3/board: ESP32_GENERIC_S3 + SPIRAM_OCT, 8 MiB flash),
# the tflm module (firmware/tflm/micropython.cmake) on esp-tflite-micro's ESP-NN kernels,
# cnadler86's `camera` and russhughes' `st7789`. Every pin is in firmware/recipe/esp32s3/pins.lock.
# NEVER BUILT HERE: ESP-IDF cannot be installed from a package registry. docs/boards.md,
# "First time on an ESP32-S3-EYE", is the guide; docs/firmware.md says what is verified.
ESP_DIR      := $(RECIPE)/esp32s3
ESP_PINS     := $(ESP_DIR)/pins.lock
IDF_VERSION  := $(shell awk '$$1 == "esp-idf" {print $$3}' $(ESP_PINS))
ESP_GUIDE    := see docs/boards.md, \"First time on an ESP32-S3-EYE\"
ESP_OUT       = $(FW_OUT)/$@
ESP_PORT     := $(MPY_DIR)/ports/esp32
# cnadler86's camera pin sets (src/camera_pins.h), so that camera.Camera() also works without pins
CAMERA_MODEL_esp32s3_eye         := ESP32S3_EYE
CAMERA_MODEL_xiao_esp32s3_sense  := XIAO_ESP32S3

# The ESP-IDF checks come first, so that without it the build stops at once in one line.
esp32s3_eye xiao_esp32s3_sense:
	@command -v idf.py >/dev/null 2>&1 && [ -n "$$IDF_PATH" ] || { \
	  echo "make firmware BOARD=$@: needs ESP-IDF $(IDF_VERSION), not found (no idf.py on PATH or IDF_PATH unset); $(ESP_GUIDE)" >&2; exit 2; }
	@v=$$(idf.py --version 2>/dev/null); echo "$$v" | grep -qE '(^|[^0-9.])$(subst .,\.,$(IDF_VERSION))([^0-9]|$$)' || { \
	  echo "make firmware BOARD=$@: needs ESP-IDF $(IDF_VERSION), found '$$v'; $(ESP_GUIDE)" >&2; exit 2; }
	@$(PYTHON) host_tools/firmware/firmware_sources.py micropython micropython-lib
	@mkdir -p $(FW_OUT)
	@$(PYTHON) $(ESP_DIR)/components.py --port $(ESP_PORT) --src $(SRC) --cmake $(ABS)/$(ESP_OUT).cmake
	cd $(ESP_PORT) && idf.py -B $(ABS)/$(ESP_OUT) -D MICROPY_BOARD=ESP32_GENERIC_S3 \
		-D MICROPY_BOARD_DIR=$(ABS)/$(ESP_DIR)/board -D USER_C_MODULES=$(ABS)/$(ESP_OUT).cmake \
		-D MICROPY_LIB_DIR=$(ABS)/$(SRC)/micropython-lib -D MICROPY_PY_BTREE=OFF \
		-D MICROPY_CAMERA_MODEL=$(CAMERA_MODEL_$@) build
	cd $(ABS)/$(ESP_OUT) && $(PYTHON) $(ABS)/$(ESP_PORT)/makeimg.py sdkconfig bootloader/bootloader.bin \
		partition_table/partition-table.bin micropython.bin firmware.bin micropython.uf2
	@echo "$(ESP_OUT)/firmware.bin: write it at 0x0 with esptool ($(ESP_GUIDE))"
