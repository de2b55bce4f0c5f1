// C interface between the MicroPython module (modtflm.c) and tflite-micro (tflm_interp.cc).
#ifndef TFLM_INTERP_H
#define TFLM_INTERP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TFLM_MAX_DIMS (6)

enum tflm_status {
    TFLM_OK = 0,
    TFLM_BAD_MODEL,         // not a .tflite, wrong schema version, not int8 in and out
    TFLM_MISSING_OP,        // the model uses an op this firmware does not register
    TFLM_ARENA_TOO_SMALL,   // AllocateTensors ran out of arena
    TFLM_FAILED,            // anything else tflite-micro reports
};

typedef struct {
    int ndim;
    int32_t dims[TFLM_MAX_DIMS];
    size_t bytes;
    float scale;
    int32_t zero_point;
    int8_t *data;
} tflm_tensor_t;

// The op names of ops.def, in order, NULL-terminated.
extern const char *const tflm_op_names[];

// Bytes (and alignment, 16) the caller provides as `state` for one interpreter.
size_t tflm_state_bytes(void);

// Checks the model and builds an interpreter in `state` over `arena`. On failure returns a
// status and writes one line into err (err_len bytes, NUL-terminated).
int tflm_init(void *state, const uint8_t *model, size_t model_len,
    uint8_t *arena, size_t arena_len, char *err, size_t err_len);

// After a successful tflm_init: the arena bytes in use, and the input/output tensor.
size_t tflm_arena_used(void *state);
void tflm_tensor(void *state, int output, tflm_tensor_t *out);

// Runs the model on the input tensor's data; TFLM_OK or TFLM_FAILED with err set.
int tflm_invoke(void *state, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif
