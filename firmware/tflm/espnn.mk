# KERNELS=esp-nn, included by lib.mk: esp-tflite-micro's tree (TF, set in lib.mk) with its
# kernels/esp_nn/ kernels for conv, depthwise_conv, fully_connected, pooling and softmax
# (add and reshape stay on the reference kernels), on ESP-NN's portable C kernels
# (src/*/esp_nn_*_ansi.c) plus the plain-C parts an ESP32-S3 build uses (esp_nn_s3.h).
ESPNN    := $(SRC)/esp-nn
GEN_INC  := $(OUT)/include
# the tree's own third-party headers and -DESP_NN, as esp-tflite-micro's CMakeLists.txt has them
# (espressif/esp-tflite-micro d6465fd54a029641e58f2342eeec85f3492ba084, lines 112-115 and 134)
INCLUDES := -I$(TF) -I$(TF)/third_party/flatbuffers/include -I$(TF)/third_party/gemmlowp \
	-I$(TF)/third_party/ruy -I$(HERE) -I$(ESPNN)/include -I$(ESPNN)/src/common -I$(GEN_INC)
DEFINES  += -DESP_NN
NN_SRCS  := $(sort $(wildcard $(ESPNN)/src/*/esp_nn_*_ansi.c)) $(ESPNN)/src/softmax/esp_nn_softmax_opt.c
KERNEL_FLAGS := -include $(HERE)/esp_nn_s3.h
KERNEL_DEPS  := $(HERE)/esp_nn_s3.h $(GEN_INC)/esp_timer.h
S3_SCRATCH   := $(OUT)/obj/esp_nn_s3_scratch.o
EXTRA_OBJS   := $(S3_SCRATCH)
OBJCOPY      ?= objcopy
comma        := ,
# this file's rules come first in lib.mk: keep the library the goal
.DEFAULT_GOAL := $(OUT)/libtflm.a

# The kernels time themselves with ESP-IDF's esp_timer_get_time() (kernels/esp_nn/
# fully_connected.cc and softmax.cc) into totals that nothing here reads: a clock of zeros.
$(GEN_INC)/esp_timer.h:
	@mkdir -p $(@D) && echo 'static inline long long esp_timer_get_time(void) { return 0; }' > $@

# The ESP32-S3's scratch-size functions for conv and depthwise conv are plain C, but share
# their files with S3 kernels that call assembly: compile the two files, keep only those
# two functions (a partial link that drops every other section), and drop the dangling
# references to the assembly.
S3_SCRATCH_FUNCS := esp_nn_get_conv_scratch_size_esp32s3 esp_nn_get_depthwise_conv_scratch_size_esp32s3
S3_SCRATCH_SRCS  := $(ESPNN)/src/convolution/esp_nn_conv_esp32s3.c \
	$(ESPNN)/src/convolution/esp_nn_depthwise_conv_s8_esp32s3.c
$(S3_SCRATCH): $(S3_SCRATCH_SRCS)
	@mkdir -p $(@D)/s3 && echo "CC S3 scratch sizes" && \
	for f in $(S3_SCRATCH_SRCS); do $(CC) $(CFLAGS) -O2 -w -c $$f -o $(@D)/s3/$$(basename $$f .c).o || exit 1; done && \
	$(CC) -r -nostdlib -Wl,--gc-sections $(addprefix -Wl$(comma)-u$(comma),$(S3_SCRATCH_FUNCS)) \
		$(@D)/s3/*.o -o $@.tmp && $(OBJCOPY) --strip-unneeded $@.tmp && mv $@.tmp $@
