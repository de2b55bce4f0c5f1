// Fixed memory map of the project's qemu_m7 firmware (QEMU mps2-an500, Cortex-M7).
// The one source of these addresses: the host tools parse this file
// (host_tools/firmware/memory_map.py), and boards/qemu_m7/board.py carries a copy
// generated from it (a test fails when the copy drifts).
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
// 0x60800000 .. 0x60bfffff PSRAM: the LCD ring of boards/qemu_m7/board.py, above a heap
// of up to 8 MB; the host reads the shown pictures back from it
#define M7_LCD_ADDR           (0x60800000)
#define M7_LCD_BYTES          (0x00400000)
// 0x60c00000 .. 0x60cfffff PSRAM: free for a host-preloaded model (1 MB); the host
// preloads a ROMFS image of the app and the blob here
#define M7_MODEL_ADDR         (0x60c00000)
#define M7_MODEL_BYTES        (0x00100000)
// 0x60d00000 .. 0x60ffffff PSRAM: free for host-preloaded camera frames (3 MB)
#define M7_FRAMES_ADDR        (0x60d00000)
#define M7_FRAMES_BYTES       (0x00300000)

#endif
