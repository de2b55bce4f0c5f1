// Fixed memory map of the project's qemu_m7 firmware (QEMU mps2-an500, Cortex-M7).
// docs/firmware.md explains it; the host preloads frames with
// `-device loader,file=F,addr=M7_FRAMES_ADDR,force-raw=on`.
#ifndef M7_MEMORY_MAP_H
#define M7_MEMORY_MAP_H

// 0x00000000 .. 0x003fffff SSRAM1 (4 MB): code, data, bss, C stack (at the top)
#define M7_STACK_LIMIT_BYTES  (64 * 1024)
// 0x20000000 .. 0x203fffff SSRAM2/3 (4 MB): the RAM block device of the filesystem (_boot.py)
#define M7_FS_ADDR            (0x20000000)
#define M7_FS_BYTES           (4 * 1024 * 1024)
// 0x60000000 .. 0x60bfffff PSRAM: the GC heap, MICROPY_HEAP_SIZE bytes (make HEAP_BYTES=...)
#define M7_HEAP_ADDR          (0x60000000)
#define M7_HEAP_MAX_BYTES     (0x00c00000)
// 0x60c00000 .. 0x60cfffff PSRAM: free for a host-preloaded model (1 MB)
#define M7_MODEL_ADDR         (0x60c00000)
// 0x60d00000 .. 0x60ffffff PSRAM: free for host-preloaded camera frames (3 MB)
#define M7_FRAMES_ADDR        (0x60d00000)
#define M7_FRAMES_BYTES       (0x00300000)

#endif
