// tflite-micro's MicroInterpreter behind the small C interface of tflm_interp.h.
// Nothing here allocates: the interpreter lives in caller-provided `state`, tensors in the
// caller's arena, and the model is read in place.
#include <new>
#include <stdio.h>
#include <string.h>

#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/micro/debug_log.h"
#include "tensorflow/lite/schema/schema_generated.h"
#include "tensorflow/compiler/mlir/lite/schema/schema_utils.h"
#include "tflm_interp.h"

#define TFLM_OP(name, method) +1
static constexpr unsigned int kOpCount = 0
#include "ops.def"
;
#undef TFLM_OP

#define TFLM_OP(name, method) #name,
const char *const tflm_op_names[] = {
#include "ops.def"
    nullptr,
};
#undef TFLM_OP

namespace {

// The first line tflite-micro logged (MicroPrintf) since the last reset: quoted in errors.
char first_log[160];
bool arena_short;   // some allocation ran out of arena

struct State {
    tflite::MicroMutableOpResolver<kOpCount> resolver;
    tflite::MicroInterpreter interpreter;

    State(const tflite::Model *model, uint8_t *arena, size_t arena_len)
        : resolver(), interpreter(model, resolver, arena, arena_len) {
        #define TFLM_OP(name, method) resolver.method();
        #include "ops.def"
        #undef TFLM_OP
    }
};

bool registered(tflite::BuiltinOperator code) {
    const char *name = tflite::EnumNameBuiltinOperator(code);
    for (const char *const *op = tflm_op_names; *op; ++op) {
        if (strcmp(*op, name) == 0) {
            return true;
        }
    }
    return false;
}

int fail(int status, char *err, size_t err_len, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(err, err_len, fmt, args);
    va_end(args);
    return status;
}

// A bad model must fail here, before the interpreter reads it unchecked.
int check_model(const uint8_t *model, size_t model_len, char *err, size_t err_len) {
    flatbuffers::Verifier verifier(model, model_len);
    if (model_len < 8 || !tflite::VerifyModelBuffer(verifier)) {
        return fail(TFLM_BAD_MODEL, err, err_len, "model is not a valid .tflite flatbuffer (%u bytes)",
            (unsigned)model_len);
    }
    const tflite::Model *m = tflite::GetModel(model);
    if (m->version() != TFLITE_SCHEMA_VERSION) {
        return fail(TFLM_BAD_MODEL, err, err_len, "model has schema version %u; this firmware reads version %d",
            (unsigned)m->version(), TFLITE_SCHEMA_VERSION);
    }
    if (m->subgraphs() == nullptr || m->subgraphs()->size() != 1) {
        return fail(TFLM_BAD_MODEL, err, err_len, "model must have exactly one subgraph");
    }
    if (m->operator_codes() != nullptr) {
        for (const tflite::OperatorCode *code : *m->operator_codes()) {
            tflite::BuiltinOperator op = tflite::GetBuiltinCode(code);
            if (op == tflite::BuiltinOperator_CUSTOM || !registered(op)) {
                const char *name = op == tflite::BuiltinOperator_CUSTOM && code->custom_code()
                    ? code->custom_code()->c_str() : tflite::EnumNameBuiltinOperator(op);
                return fail(TFLM_MISSING_OP, err, err_len, "model uses op %s, which this firmware lacks", name);
            }
        }
    }
    return TFLM_OK;
}

}  // namespace

extern "C" {

// tflite-micro's log hooks (instead of its debug_log.cc): keep the last line for errors.
void DebugLog(const char *format, va_list args) {
    char line[sizeof(first_log)];
    vsnprintf(line, sizeof(line), format, args);
    if (strstr(line, "Failed to allocate") || strstr(line, "Failed to resize")) {
        arena_short = true;
    }
    if (first_log[0] == '\0' && strspn(line, " \r\n") != strlen(line)) {
        strcpy(first_log, line);
    }
}

int DebugVsnprintf(char *buffer, size_t buf_size, const char *format, va_list vlist) {
    return vsnprintf(buffer, buf_size, format, vlist);
}

size_t tflm_state_bytes(void) {
    return sizeof(State);
}

int tflm_init(void *state, const uint8_t *model, size_t model_len,
    uint8_t *arena, size_t arena_len, char *err, size_t err_len) {
    int status = check_model(model, model_len, err, err_len);
    if (status != TFLM_OK) {
        return status;
    }
    State *s = new (state) State(tflite::GetModel(model), arena, arena_len);
    first_log[0] = '\0';
    arena_short = false;
    if (s->interpreter.AllocateTensors() != kTfLiteOk) {
        if (arena_short) {
            return fail(TFLM_ARENA_TOO_SMALL, err, err_len, "%s", first_log);
        }
        return fail(TFLM_FAILED, err, err_len, "AllocateTensors failed: %s", first_log);
    }
    if (s->interpreter.inputs_size() != 1 || s->interpreter.outputs_size() != 1) {
        return fail(TFLM_BAD_MODEL, err, err_len, "model must have one input and one output");
    }
    if (s->interpreter.input(0)->type != kTfLiteInt8 || s->interpreter.output(0)->type != kTfLiteInt8) {
        return fail(TFLM_BAD_MODEL, err, err_len, "model input and output must be int8");
    }
    return TFLM_OK;
}

size_t tflm_arena_used(void *state) {
    return static_cast<State *>(state)->interpreter.arena_used_bytes();
}

void tflm_tensor(void *state, int output, tflm_tensor_t *out) {
    tflite::MicroInterpreter &it = static_cast<State *>(state)->interpreter;
    TfLiteTensor *t = output ? it.output(0) : it.input(0);
    out->ndim = t->dims->size < TFLM_MAX_DIMS ? t->dims->size : TFLM_MAX_DIMS;
    for (int i = 0; i < out->ndim; ++i) {
        out->dims[i] = t->dims->data[i];
    }
    out->bytes = t->bytes;
    out->scale = t->params.scale;
    out->zero_point = t->params.zero_point;
    out->data = t->data.int8;
}

int tflm_invoke(void *state, char *err, size_t err_len) {
    first_log[0] = '\0';
    if (static_cast<State *>(state)->interpreter.Invoke() != kTfLiteOk) {
        return fail(TFLM_FAILED, err, err_len, "Invoke failed: %s", first_log);
    }
    return TFLM_OK;
}

}  // extern "C"

// Nothing is allocated with new; these keep libstdc++'s operator delete (and with it
// malloc/free) out of the link. They are reached only through virtual destructors.
void operator delete(void *) noexcept {
}
void operator delete(void *, size_t) noexcept {
}
