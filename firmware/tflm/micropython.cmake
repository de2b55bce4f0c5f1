# The tflm module for CMake ports (the ESP32-S3 recipe, firmware/recipe/esp32s3.mk).
# tflite-micro itself comes from Espressif's esp-tflite-micro IDF component, whose optimized
# kernels use ESP-NN. Never built here (no ESP-IDF); see docs/firmware.md.
add_library(usermod_tflm INTERFACE)
target_sources(usermod_tflm INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/modtflm.c
    ${CMAKE_CURRENT_LIST_DIR}/tflm_interp.cc
)
target_include_directories(usermod_tflm INTERFACE ${CMAKE_CURRENT_LIST_DIR})
target_compile_definitions(usermod_tflm INTERFACE TF_LITE_STATIC_MEMORY)
target_link_libraries(usermod_tflm INTERFACE idf::espressif__esp-tflite-micro)
target_link_libraries(usermod INTERFACE usermod_tflm)
