// The project's main for MicroPython's qemu port on the MPS2-AN500 (Cortex-M7).
// Unlike the stock qemu main it: puts the GC heap at a fixed PSRAM address, runs the
// frozen _boot.py (which mounts the RAM filesystem), then boot.py and main.py from it,
// as a real board does after every reset, soft or hard.
#include <stdlib.h>

#include "py/compile.h"
#include "py/runtime.h"
#include "py/gc.h"
#include "py/mperrno.h"
#include "shared/runtime/gchelper.h"
#include "shared/runtime/pyexec.h"
#include "memory_map.h"

#if MICROPY_HEAP_SIZE <= 0 || MICROPY_HEAP_SIZE > M7_HEAP_MAX_BYTES
#error HEAP_BYTES must be between 1 and 12 MB (the heap lives at 0x60000000 .. 0x60bfffff)
#endif

int main(int argc, char **argv) {
    mp_cstack_init_with_sp_here(M7_STACK_LIMIT_BYTES);
    char *heap = (char *)M7_HEAP_ADDR;
    gc_init(heap, heap + MICROPY_HEAP_SIZE);

    for (;;) {
        mp_init();
        pyexec_frozen_module("_boot.py", false);
        int ret = pyexec_file_if_exists("boot.py");
        if (!(ret & PYEXEC_FORCED_EXIT) && pyexec_mode_kind == PYEXEC_MODE_FRIENDLY_REPL) {
            ret = pyexec_file_if_exists("main.py");
        }
        while (!(ret & PYEXEC_FORCED_EXIT)) {
            if (pyexec_mode_kind == PYEXEC_MODE_RAW_REPL) {
                ret = pyexec_raw_repl() != 0 ? PYEXEC_FORCED_EXIT : 0;
            } else {
                ret = pyexec_friendly_repl() != 0 ? PYEXEC_FORCED_EXIT : 0;
            }
        }
        mp_printf(&mp_plat_print, "MPY: soft reboot\n");
        gc_sweep_all();
        mp_deinit();
    }
}

void gc_collect(void) {
    gc_collect_start();
    gc_helper_collect_regs_and_stack();
    gc_collect_end();
}

void nlr_jump_fail(void *val) {
    mp_printf(&mp_plat_print, "uncaught NLR\n");
    exit(1);
}
