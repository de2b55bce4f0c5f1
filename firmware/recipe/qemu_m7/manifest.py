# Frozen into the qemu_m7 firmware.
freeze(".", "_boot.py")
