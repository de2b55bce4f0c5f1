// The project's ESP32-S3 board: the same settings as MicroPython's ESP32_GENERIC_S3 (see mpconfigboard.cmake).
#include "boards/ESP32_GENERIC_S3/mpconfigboard.h"
