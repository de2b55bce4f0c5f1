# Frozen into the qemu_m7 firmware; runs after every reset, before boot.py and main.py.
# Mounts a littlefs filesystem on RAM at 0x20000000 (4 MB, see memory_map.h) at "/".
# The RAM keeps its contents over a soft reset; mkfs happens only when mounting fails.
import os
import uctypes
import vfs


class RAMBlockDevice:
    BLOCK = 4096

    def __init__(self, addr, size):
        self.mem = memoryview(uctypes.bytearray_at(addr, size))
        self.blocks = size // self.BLOCK

    def readblocks(self, n, buf, off=0):
        a = n * self.BLOCK + off
        buf[:] = self.mem[a:a + len(buf)]

    def writeblocks(self, n, buf, off=0):
        a = n * self.BLOCK + off
        self.mem[a:a + len(buf)] = buf

    def ioctl(self, op, arg):
        if op == 4:         # block count
            return self.blocks
        if op == 5:         # block size
            return self.BLOCK
        if op == 6:         # erase: nothing to do on RAM
            return 0


def _mount():
    bdev = RAMBlockDevice(0x20000000, 4 * 1024 * 1024)
    try:
        vfs.mount(vfs.VfsLfs2(bdev), "/")
    except OSError:
        vfs.VfsLfs2.mkfs(bdev)
        vfs.mount(vfs.VfsLfs2(bdev), "/")
    os.chdir("/")


_mount()
del _mount, RAMBlockDevice
