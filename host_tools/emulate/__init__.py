"""Emulated boards: the app on CPython with emulated drivers (drivers/, host_board/), or on the project's unix and qemu_m7 firmware (vm_boards.py)."""
