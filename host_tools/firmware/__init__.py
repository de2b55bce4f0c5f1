"""The project's firmware on the host: pinned sources, build, QEMU, the ROMFS image, running code on it, measurement."""
