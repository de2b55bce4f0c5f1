# libtflm.a: the project's tflite-micro wrapper plus only the parts of tflite-micro that
# MobileNet V1 and V2 need (interpreter core, the ops of ops.def).
#   make -f firmware/tflm/lib.mk OUT=dir KERNELS=reference|cmsis_nn|esp-nn CXX=... CC=... AR=... CPU_FLAGS=...
# KERNELS=cmsis_nn takes CMSIS-NN's kernels for every op that has one (not RESHAPE);
# REFERENCE_OPS="conv ..." would put single ops back on the reference kernels.
# KERNELS=esp-nn builds from esp-tflite-micro's tree instead (the ESP32 firmware's), with
# its kernels/esp_nn/ kernels and ESP-NN's portable C (firmware/tflm/espnn.mk).
OUT           ?= build/firmware/unix/tflm
KERNELS       ?= reference
REFERENCE_OPS ?=
SRC           ?= build/src
CXX           ?= g++
CC            ?= gcc
AR            ?= ar
CPU_FLAGS     ?=
ifeq ($(KERNELS),esp-nn)
TF            := $(SRC)/esp-tflite-micro
else
TF            := $(SRC)/tflite-micro
endif
TFM           := $(TF)/tensorflow/lite/micro
HERE          := firmware/tflm

# interpreter core (no tests, no recording/fake/mock helpers, no debug_log: tflm_interp.cc logs)
CORE_SRCS := $(addprefix $(TFM)/, micro_interpreter.cc micro_interpreter_context.cc \
	micro_interpreter_graph.cc micro_allocator.cc micro_allocation_info.cc micro_context.cc \
	micro_log.cc micro_op_resolver.cc micro_resource_variable.cc micro_utils.cc \
	memory_helpers.cc flatbuffer_utils.cc \
	arena_allocator/non_persistent_arena_buffer_allocator.cc \
	arena_allocator/persistent_arena_buffer_allocator.cc \
	arena_allocator/single_arena_buffer_allocator.cc \
	memory_planner/greedy_memory_planner.cc memory_planner/linear_memory_planner.cc \
	memory_planner/non_persistent_buffer_planner_shim.cc \
	tflite_bridge/flatbuffer_conversions_bridge.cc tflite_bridge/micro_error_reporter.cc \
	kernels/kernel_util.cc kernels/micro_tensor_utils.cc) \
	$(addprefix $(TF)/tensorflow/, lite/core/c/common.cc lite/core/api/flatbuffer_conversions.cc \
	lite/core/api/tensor_utils.cc lite/kernels/kernel_util.cc lite/kernels/internal/common.cc \
	lite/kernels/internal/quantization_util.cc lite/kernels/internal/runtime_shape.cc \
	lite/kernels/internal/tensor_ctypes.cc lite/kernels/internal/portable_tensor_utils.cc \
	lite/kernels/internal/tensor_utils.cc lite/kernels/internal/reference/portable_tensor_utils.cc \
	compiler/mlir/lite/schema/schema_utils.cc compiler/mlir/lite/core/api/error_reporter.cc)

# kernels: file stems under kernels/ for the ops in ops.def
OPT_OPS    := add conv depthwise_conv fully_connected pooling softmax
REF_ONLY   := reshape
ifeq ($(KERNELS),cmsis_nn)
FAST_OPS   := $(filter-out $(REFERENCE_OPS),$(OPT_OPS))
FAST_DIR   := cmsis_nn
else ifeq ($(KERNELS),esp-nn)
FAST_OPS   := $(filter-out add $(REFERENCE_OPS),$(OPT_OPS))
FAST_DIR   := esp_nn
else
FAST_OPS   :=
endif
KERNEL_SRCS := $(addprefix $(TFM)/kernels/$(FAST_DIR)/,$(addsuffix .cc,$(FAST_OPS))) \
	$(addprefix $(TFM)/kernels/,$(addsuffix .cc,$(filter-out $(FAST_OPS),$(OPT_OPS)) $(REF_ONLY))) \
	$(addprefix $(TFM)/kernels/,$(addsuffix _common.cc,$(OPT_OPS) $(REF_ONLY)))

INCLUDES := -I$(TF) -I$(SRC)/flatbuffers/include -I$(SRC)/gemmlowp -I$(SRC)/ruy -I$(HERE)
DEFINES  := -DTF_LITE_STATIC_MEMORY -DTF_LITE_DISABLE_X86_NEON -DNDEBUG
ifeq ($(KERNELS),cmsis_nn)
CMSIS_NN_DIRS := ConvolutionFunctions FullyConnectedFunctions NNSupportFunctions PoolingFunctions \
	SoftmaxFunctions BasicMathFunctions
NN_SRCS  := $(filter-out %_f16.c %_f32.c %/arm_nntables_flt.c, \
	$(foreach d,$(CMSIS_NN_DIRS),$(wildcard $(SRC)/cmsis-nn/Source/$(d)/*.c)))
INCLUDES += -I$(SRC)/cmsis6 -I$(SRC)/cmsis-nn -I$(SRC)/cmsis6/CMSIS/Core/Include -I$(SRC)/cmsis-nn/Include
DEFINES  += -DCMSIS_NN -DARM_NN_ENABLE_F16=0 -DARM_NN_ENABLE_F32=0
endif
ifeq ($(KERNELS),esp-nn)
include $(HERE)/espnn.mk
endif

COMMON   := $(CPU_FLAGS) -fno-unwind-tables -fno-asynchronous-unwind-tables -ffunction-sections \
	-fdata-sections $(DEFINES) $(INCLUDES)
CXXFLAGS := -std=c++17 -fno-rtti -fno-exceptions -fno-threadsafe-statics $(COMMON)
CFLAGS   := -std=c17 $(COMMON)

obj = $(OUT)/obj/$(patsubst $(SRC)/%,%,$(basename $(1))).o
CORE_OBJS   := $(foreach s,$(CORE_SRCS),$(call obj,$(s)))
KERNEL_OBJS := $(foreach s,$(KERNEL_SRCS),$(call obj,$(s)))
NN_OBJS     := $(foreach s,$(NN_SRCS),$(call obj,$(s)))
GLUE_OBJ    := $(OUT)/obj/tflm_interp.o
OBJS        := $(CORE_OBJS) $(KERNEL_OBJS) $(NN_OBJS) $(GLUE_OBJ) $(EXTRA_OBJS)

$(OUT)/libtflm.a: $(OBJS)
	@rm -f $@.tmp && $(AR) rcs $@.tmp $(OBJS) && mv $@.tmp $@
	@echo "tflm: $@ ($(KERNELS) kernels$(if $(REFERENCE_OPS),; reference for $(REFERENCE_OPS)))"

# the kernel choice is compiled in: start over when it changes
$(OUT)/kernels.$(KERNELS)$(subst $(eval) ,+,$(REFERENCE_OPS)):
	@rm -rf $(OUT) && mkdir -p $(OUT) && touch $@
$(OBJS): | $(OUT)/kernels.$(KERNELS)$(subst $(eval) ,+,$(REFERENCE_OPS))

$(CORE_OBJS): $(OUT)/obj/%.o: $(SRC)/%.cc
	@mkdir -p $(@D) && echo "CXX $*.cc" && $(CXX) $(CXXFLAGS) -Os -MMD -c $< -o $@
$(KERNEL_OBJS): $(OUT)/obj/%.o: $(SRC)/%.cc $(KERNEL_DEPS)
	@mkdir -p $(@D) && echo "CXX $*.cc" && $(CXX) $(CXXFLAGS) $(KERNEL_FLAGS) -O2 -MMD -c $< -o $@
$(NN_OBJS): $(OUT)/obj/%.o: $(SRC)/%.c
	@mkdir -p $(@D) && echo "CC $*.c" && $(CC) $(CFLAGS) -O2 -MMD -c $< -o $@
$(GLUE_OBJ): $(HERE)/tflm_interp.cc $(HERE)/tflm_interp.h $(HERE)/ops.def
	@mkdir -p $(@D) && echo "CXX tflm_interp.cc" && $(CXX) $(CXXFLAGS) -Os -MMD -c $< -o $@

-include $(OBJS:.o=.d)
