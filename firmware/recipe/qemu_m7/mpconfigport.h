// The qemu port's configuration plus what the project's app, flash and monitor need.
#include "ports/qemu/mpconfigport.h"

// Poll the UART from the VM so Ctrl-C stops a running app (mpremote needs that) and
// typed bytes are kept in a ring buffer meanwhile (mphalport.c).
void m7_uart_poll(void);
#define MICROPY_VM_HOOK_COUNT   (64)
#define MICROPY_VM_HOOK_INIT    static unsigned int vm_hook_divisor = MICROPY_VM_HOOK_COUNT;
#define MICROPY_VM_HOOK_POLL    if (--vm_hook_divisor == 0) { \
        vm_hook_divisor = MICROPY_VM_HOOK_COUNT; \
        m7_uart_poll(); \
}
#define MICROPY_VM_HOOK_LOOP    MICROPY_VM_HOOK_POLL
#define MICROPY_VM_HOOK_RETURN  MICROPY_VM_HOOK_POLL

#define MICROPY_READER_VFS      (1)
#define MICROPY_PY_HASHLIB_SHA256 (1)
