"""Seeed Studio XIAO ESP32S3 Sense: OV2640 camera, no screen, tflite-micro (`tflm` or microlite).

Copied to the device as board.mpy; firmware/app/main.py runs

    import board, app
    app.main(board)

There is no display: display() returns None, the results go to the serial line
(one `@result {...}` line per frame), and the user LED (GPIO21, lit when driven
low) is on while class 0 of the model (e.g. "person") is the top class.

The camera and interpreter adapters are firmware/app/esp32cam.py's (shared with the
ESP32-S3-EYE); this module holds the board's pins. The drivers (camera API,
tflm or microlite) are recognised at run time by what their modules have;
docs/boards.md says which firmware has them.
"""
try:
    from micropython import const
except ImportError:  # CPython: the host emulation runs this file unchanged
    def const(x):
        return x

import esp32cam

# Camera: 96x96 RGB565, high byte first (esp32cam's format, as esp32-camera delivers it).
FRAME_FORMAT = esp32cam.FRAME_FORMAT

# Camera pins (Seeed's XIAO ESP32S3 Sense pinout).
_CAM_D = (15, 17, 18, 16, 14, 12, 11, 48)   # D0..D7
_CAM_VSYNC = const(38)
_CAM_HREF = const(47)
_CAM_PCLK = const(13)
_CAM_XCLK = const(10)
_CAM_SDA = const(40)
_CAM_SCL = const(39)

# User LED: GPIO21, active low. On while this class index is the top-1 class.
_LED_PIN = const(21)
_LED_ON = const(0)      # the level that lights it (active low)
_LED_CLASS = const(0)


def camera():
    return esp32cam.camera(_CAM_D, vsync=_CAM_VSYNC, href=_CAM_HREF, pclk=_CAM_PCLK,
                           xclk=_CAM_XCLK, sda=_CAM_SDA, scl=_CAM_SCL)


def display():
    return None  # no screen on this board


def interpreter(model, arena_size, input_size, output_size):
    from machine import Pin
    led = Pin(_LED_PIN, Pin.OUT, value=1 - _LED_ON)   # off
    return esp32cam.interpreter(model, arena_size, input_size, output_size,
                                led=led, led_class=_LED_CLASS, led_on=_LED_ON)
