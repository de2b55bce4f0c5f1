// The `tflm` MicroPython module: tflite-micro's interpreter for int8 models.
//
//     it = tflm.Interpreter(model, arena_size)   # model: any buffer, kept and read in place
//     it.invoke(input_bytes, output_bytearray)   # no allocation per call
//     it.input_shape, it.input_scale, it.input_zero_point, it.output_*, it.arena_used
//     tflm.OPS                                   # the ops this firmware registers
//
// The arena and the interpreter live in the GC heap, owned by the object (no malloc).
// docs/tflm-module.md documents the API and its errors.
#include <string.h>

#include "py/obj.h"
#include "py/objstr.h"
#include "py/runtime.h"
#include "tflm_interp.h"

#define ERR_LEN (200)
// Largest arena tried when working out how much a too-small arena lacks.
#define ARENA_PROBE_MAX (16 * 1024 * 1024)

typedef struct _tflm_interp_obj_t {
    mp_obj_base_t base;
    mp_obj_t model;         // the caller's buffer object: kept alive, never copied
    uint8_t *arena;
    size_t arena_len;
    void *state;            // tflite-micro's MicroInterpreter and op resolver
    tflm_tensor_t in, out;
    mp_obj_t in_shape, out_shape;
} tflm_interp_obj_t;

static mp_obj_t shape_tuple(const tflm_tensor_t *t) {
    mp_obj_t dims[TFLM_MAX_DIMS];
    for (int i = 0; i < t->ndim; ++i) {
        dims[i] = MP_OBJ_NEW_SMALL_INT(t->dims[i]);
    }
    return mp_obj_new_tuple(t->ndim, dims);
}

// The arena bytes a model needs, found with trial arenas from the heap (0: unknown).
static size_t arena_needed(const uint8_t *model, size_t model_len, size_t tried) {
    char err[ERR_LEN];
    for (size_t size = tried * 2 + 4096; size <= ARENA_PROBE_MAX; size *= 2) {
        uint8_t *state = m_new_maybe(uint8_t, tflm_state_bytes());
        uint8_t *arena = m_new_maybe(uint8_t, size);
        int status = TFLM_FAILED;
        size_t used = 0;
        if (state && arena) {
            status = tflm_init(state, model, model_len, arena, size, err, sizeof(err));
            used = status == TFLM_OK ? tflm_arena_used(state) : 0;
        }
        m_del(uint8_t, arena, size);
        m_del(uint8_t, state, tflm_state_bytes());
        if (status != TFLM_ARENA_TOO_SMALL) {
            return used;
        }
    }
    return 0;
}

static mp_obj_t tflm_interp_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 2, 2, false);
    mp_buffer_info_t model;
    mp_get_buffer_raise(args[0], &model, MP_BUFFER_READ);
    mp_int_t arena_len = mp_obj_get_int(args[1]);
    if (arena_len <= 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("tflm: arena_size must be a positive number of bytes"));
    }
    if ((uintptr_t)model.buf % 4) {
        mp_raise_ValueError(MP_ERROR_TEXT("tflm: model buffer must start on a 4-byte boundary"));
    }
    tflm_interp_obj_t *self = mp_obj_malloc(tflm_interp_obj_t, type);
    self->model = args[0];
    self->arena_len = arena_len;
    self->arena = m_new(uint8_t, arena_len);
    self->state = m_new(uint8_t, tflm_state_bytes());
    char err[ERR_LEN];
    int status = tflm_init(self->state, model.buf, model.len, self->arena, arena_len, err, sizeof(err));
    if (status == TFLM_ARENA_TOO_SMALL) {
        m_del(uint8_t, self->arena, arena_len);
        self->arena = NULL;
        size_t need = arena_needed(model.buf, model.len, arena_len);
        if (need) {
            mp_raise_msg_varg(&mp_type_ValueError,
                MP_ERROR_TEXT("tflm: arena_size %u is too small for this model: it needs %u bytes"),
                (unsigned)arena_len, (unsigned)need);
        }
        mp_raise_msg_varg(&mp_type_ValueError,
            MP_ERROR_TEXT("tflm: arena_size %u is too small for this model (%s)"), (unsigned)arena_len, err);
    }
    if (status != TFLM_OK) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("tflm: %s"), err);
    }
    tflm_tensor(self->state, 0, &self->in);
    tflm_tensor(self->state, 1, &self->out);
    self->in_shape = shape_tuple(&self->in);
    self->out_shape = shape_tuple(&self->out);
    return MP_OBJ_FROM_PTR(self);
}

static void check_len(const char *what, size_t got, const tflm_tensor_t *t) {
    if (got != t->bytes) {
        mp_raise_msg_varg(&mp_type_ValueError,
            MP_ERROR_TEXT("tflm: %s is %u bytes; the model's %s tensor is %u bytes"),
            what, (unsigned)got, what, (unsigned)t->bytes);
    }
}

// invoke(input, output): int8 input bytes in, int8 scores written into output.
static mp_obj_t tflm_interp_invoke(mp_obj_t self_in, mp_obj_t input, mp_obj_t output) {
    tflm_interp_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_buffer_info_t in, out;
    mp_get_buffer_raise(input, &in, MP_BUFFER_READ);
    mp_get_buffer_raise(output, &out, MP_BUFFER_WRITE);
    check_len("input", in.len, &self->in);
    check_len("output", out.len, &self->out);
    memcpy(self->in.data, in.buf, in.len);
    char err[ERR_LEN];
    if (tflm_invoke(self->state, err, sizeof(err)) != TFLM_OK) {
        mp_raise_msg_varg(&mp_type_RuntimeError, MP_ERROR_TEXT("tflm: %s"), err);
    }
    memcpy(out.buf, self->out.data, out.len);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(tflm_interp_invoke_obj, tflm_interp_invoke);

static void tflm_interp_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest) {
    tflm_interp_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (dest[0] != MP_OBJ_NULL) {
        return;     // read-only attributes
    }
    switch (attr) {
        case MP_QSTR_invoke:
            dest[0] = MP_OBJ_FROM_PTR(&tflm_interp_invoke_obj);
            dest[1] = self_in;
            break;
        case MP_QSTR_input_shape:
            dest[0] = self->in_shape;
            break;
        case MP_QSTR_input_scale:
            dest[0] = mp_obj_new_float(self->in.scale);
            break;
        case MP_QSTR_input_zero_point:
            dest[0] = MP_OBJ_NEW_SMALL_INT(self->in.zero_point);
            break;
        case MP_QSTR_output_shape:
            dest[0] = self->out_shape;
            break;
        case MP_QSTR_output_scale:
            dest[0] = mp_obj_new_float(self->out.scale);
            break;
        case MP_QSTR_output_zero_point:
            dest[0] = MP_OBJ_NEW_SMALL_INT(self->out.zero_point);
            break;
        case MP_QSTR_arena_used:
            dest[0] = mp_obj_new_int_from_uint(tflm_arena_used(self->state));
            break;
        case MP_QSTR_arena_size:
            dest[0] = mp_obj_new_int_from_uint(self->arena_len);
            break;
    }
}

static MP_DEFINE_CONST_OBJ_TYPE(
    tflm_interp_type,
    MP_QSTR_Interpreter,
    MP_TYPE_FLAG_NONE,
    make_new, tflm_interp_make_new,
    attr, tflm_interp_attr
    );

// tflm.OPS: a tuple of the op names in ops.def (made on access: module __getattr__).
static mp_obj_t tflm_getattr(mp_obj_t attr) {
    if (mp_obj_str_get_qstr(attr) == MP_QSTR_OPS) {
        size_t n = 0;
        while (tflm_op_names[n]) {
            ++n;
        }
        mp_obj_tuple_t *ops = MP_OBJ_TO_PTR(mp_obj_new_tuple(n, NULL));
        for (size_t i = 0; i < n; ++i) {
            ops->items[i] = mp_obj_new_str(tflm_op_names[i], strlen(tflm_op_names[i]));
        }
        return MP_OBJ_FROM_PTR(ops);
    }
    return MP_OBJ_NULL;     // not found: the caller raises AttributeError
}
static MP_DEFINE_CONST_FUN_OBJ_1(tflm_getattr_obj, tflm_getattr);

static const mp_rom_map_elem_t tflm_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_tflm) },
    { MP_ROM_QSTR(MP_QSTR___getattr__), MP_ROM_PTR(&tflm_getattr_obj) },
    { MP_ROM_QSTR(MP_QSTR_Interpreter), MP_ROM_PTR(&tflm_interp_type) },
};
static MP_DEFINE_CONST_DICT(tflm_module_globals, tflm_module_globals_table);

const mp_obj_module_t tflm_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&tflm_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_tflm, tflm_user_cmodule);

#if defined(__arm__) && !defined(__linux__)
// tflite-micro calls abort() on internal errors (TFLITE_ABORT). newlib's abort() would pull
// in signal handling and malloc; on the board it becomes a Python exception instead.
MP_NORETURN void abort(void) {
    mp_raise_msg(&mp_type_RuntimeError, MP_ERROR_TEXT("tflm: tflite-micro aborted"));
}
#endif
