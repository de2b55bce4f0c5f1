// Force-included (-include) into esp-tflite-micro's kernels when lib.mk builds KERNELS=esp-nn:
// makes the kernels call what an ESP32-S3 build of ESP-NN calls, as far as x86-64 can.
//
// Without CONFIG_NN_OPTIMIZED, esp-nn's include/esp_nn.h (espressif/esp-nn, commit
// b859e50b9019a873f2c271ad51a005d18d1336aa, line 46) takes esp_nn_ansi_c.h, which maps every
// call to the portable C (`_ansi`, lines 25-48). An ESP32-S3 build takes esp_nn_esp32s3.h
// instead (esp_nn.h line 41; mapping at esp_nn_esp32s3.h lines 233-256):
//  - conv, depthwise conv, pooling, fully connected: `_esp32s3` assembly. x86-64 cannot run
//    it; it stays on `_ansi`, the reference esp-nn's own tests check the assembly against.
//  - the scratch sizes of conv and depthwise conv: `_esp32s3`, plain C. Used here (lib.mk
//    links just those two functions), so the arena holds the S3's scratch buffers. The
//    `_ansi` kernels ignore the buffer they are handed.
//  - softmax and its scratch: `_opt`, plain C (src/softmax/esp_nn_softmax_opt.c): used here,
//    so softmax computes exactly what the S3 computes.
// The renames below act on the `_ansi` names that esp_nn_ansi_c.h substitutes (the
// preprocessor rescans them); the signatures are the same (esp_nn_ansi_headers.h lines
// 111-121, 232-235, 250 and 324 against esp_nn_esp32s3.h lines 116-126).
#pragma once

#define esp_nn_get_conv_scratch_size_ansi esp_nn_get_conv_scratch_size_esp32s3
#define esp_nn_get_depthwise_conv_scratch_size_ansi esp_nn_get_depthwise_conv_scratch_size_esp32s3
#define esp_nn_get_softmax_scratch_size_ansi esp_nn_get_softmax_scratch_size_opt
#define esp_nn_set_softmax_scratch_buf_ansi esp_nn_set_softmax_scratch_buf_opt
#define esp_nn_softmax_s8_ansi esp_nn_softmax_s8_opt
