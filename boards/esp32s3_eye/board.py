"""Espressif ESP32-S3-EYE: OV2640 camera, 240x240 ST7789 LCD, tflite-micro (`tflm` or microlite).

Copied to the device as board.mpy; firmware/app/main.py runs

    import board, app
    app.main(board)

The camera, LCD and interpreter adapters are firmware/app/esp32cam.py's (shared with
the XIAO ESP32S3 Sense); this module holds the board's pins and levels. The
drivers (camera API, st7789 or st7789py, tflm or microlite) are recognised at run
time by what their modules have; docs/boards.md says which firmware has them.
Without an st7789 driver, display() returns None and the results go to the
serial line only.
"""
try:
    from micropython import const
except ImportError:  # CPython: the host emulation runs this file unchanged
    def const(x):
        return x

import esp32cam

# Camera: 96x96 RGB565, high byte first (esp32cam's format, as esp32-camera delivers it).
FRAME_FORMAT = esp32cam.FRAME_FORMAT
_VFLIP = const(1)   # Espressif's S3-EYE examples flip the sensor; 0 if your picture is upside down

# Camera pins (Espressif's ESP32-S3-EYE board support package).
_CAM_D = (11, 9, 8, 10, 12, 18, 17, 16)   # D0..D7
_CAM_VSYNC = const(6)
_CAM_HREF = const(7)
_CAM_PCLK = const(13)
_CAM_XCLK = const(15)
_CAM_SDA = const(4)
_CAM_SCL = const(5)

# LCD: ST7789 240x240 on SPI, no reset line; the panel is RGB, colours inverted.
_LCD_W = const(240)
_LCD_H = const(240)
_LCD_SPI = const(2)
_LCD_HZ = const(40000000)
_LCD_SCK = const(21)
_LCD_MOSI = const(47)
_LCD_CS = const(44)
_LCD_DC = const(43)
_LCD_BL = const(48)
# The backlight is lit while GPIO48 is low (esp-bsp bsp/esp32_s3_eye sets its PWM
# duty to 1023 * (100 - percent) / 100; esp-who: BOARD_LCD_BK_LIGHT_ON_LEVEL 0).
_LCD_BL_ON = const(0)


def camera():
    return esp32cam.camera(_CAM_D, vsync=_CAM_VSYNC, href=_CAM_HREF, pclk=_CAM_PCLK,
                           xclk=_CAM_XCLK, sda=_CAM_SDA, scl=_CAM_SCL, vflip=_VFLIP)


def display():
    return esp32cam.st7789_display(_LCD_W, _LCD_H, spi=_LCD_SPI, baudrate=_LCD_HZ, sck=_LCD_SCK,
                                   mosi=_LCD_MOSI, cs=_LCD_CS, dc=_LCD_DC, backlight=_LCD_BL,
                                   backlight_on=_LCD_BL_ON, rgb=True, inverted=True)


def interpreter(model, arena_size, input_size, output_size):
    return esp32cam.interpreter(model, arena_size, input_size, output_size)
