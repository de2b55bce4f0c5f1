# The project's ESP32-S3 board for esp32s3_eye and xiao_esp32s3_sense (firmware/recipe/esp32s3.mk):
# MicroPython's ESP32_GENERIC_S3 board with its SPIRAM_OCT variant (octal PSRAM, 240 MHz), as they
# are in v1.28.0, plus one change: 8 MiB of flash with a 3 MiB application partition
# (partitions-8MiB.csv), since tflite-micro, the camera and the LCD modules do not all fit the
# generic board's 1984 KiB. The port runs this file from ports/esp32 (CMAKE_SOURCE_DIR).
include(${CMAKE_SOURCE_DIR}/boards/ESP32_GENERIC_S3/mpconfigboard.cmake)
include(${CMAKE_SOURCE_DIR}/boards/ESP32_GENERIC_S3/mpconfigvariant_SPIRAM_OCT.cmake)

# The partition table's path must be absolute (ESP-IDF resolves a relative one against
# ports/esp32), so this fragment is written here rather than kept as a fixed file.
file(WRITE ${CMAKE_BINARY_DIR}/sdkconfig.flash8m
    "CONFIG_ESPTOOLPY_FLASHSIZE_4MB=\n"
    "CONFIG_ESPTOOLPY_FLASHSIZE_8MB=y\n"
    "CONFIG_PARTITION_TABLE_CUSTOM=y\n"
    "CONFIG_PARTITION_TABLE_CUSTOM_FILENAME=\"${CMAKE_CURRENT_LIST_DIR}/partitions-8MiB.csv\"\n")
list(APPEND SDKCONFIG_DEFAULTS ${CMAKE_BINARY_DIR}/sdkconfig.flash8m)
