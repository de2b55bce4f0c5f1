# ESP32-S3 boards: MicroPython v1.28.0's esp32 port (ESP32_GENERIC_S3, octal SPIRAM) with the
# same tflm module (firmware/tflm/micropython.cmake), whose kernels come from Espressif's
# esp-tflite-micro component (ESP-NN), plus a camera module (CAMERA_MODULE=path to its
# micropython.cmake). NEVER BUILT HERE: ESP-IDF is not installable from a package registry.
# docs/firmware.md says what is and is not verified.
IDF_VERSION        := v5.5.1
ESP_TFLITE_MICRO   ?= espressif/esp-tflite-micro^1.3.4
CAMERA_MODULE      ?=
ESP_OUT             = $(FW_OUT)/$@
ESP_PORT           := $(MPY_DIR)/ports/esp32

esp32s3_eye xiao_esp32s3_sense:
	@command -v idf.py >/dev/null 2>&1 && [ -n "$$IDF_PATH" ] || { \
	  echo "make firmware BOARD=$@: needs ESP-IDF $(IDF_VERSION) (IDF_PATH set and idf.py on PATH; run its export.sh); it is not installed" >&2; exit 2; }
	@idf.py --version | grep -q "$(IDF_VERSION)" || { \
	  echo "make firmware BOARD=$@: needs ESP-IDF $(IDF_VERSION), found $$(idf.py --version)" >&2; exit 2; }
	@[ -n "$(CAMERA_MODULE)" ] || { \
	  echo "make firmware BOARD=$@: set CAMERA_MODULE=path/to/a camera user module's micropython.cmake" >&2; exit 2; }
	@$(PYTHON) host_tools/device/firmware_sources.py micropython micropython-lib
	@cd $(ESP_PORT) && idf.py add-dependency "$(ESP_TFLITE_MICRO)"
	@printf 'include(%s)\ninclude(%s)\n' "$(ABS)/firmware/tflm/micropython.cmake" "$(CAMERA_MODULE)" > $(ABS)/$(ESP_OUT).cmake
	$(MAKE) -C $(ESP_PORT) BOARD=ESP32_GENERIC_S3 BOARD_VARIANT=SPIRAM_OCT BUILD=$(ABS)/$(ESP_OUT) \
		MPY_LIB_DIR=$(ABS)/$(SRC)/micropython-lib USER_C_MODULES=$(ABS)/$(ESP_OUT).cmake
