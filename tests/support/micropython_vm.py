"""Run code in the real MicroPython VM: the project's unix firmware (make firmware BOARD=unix),
built by the firmware recipe if needed. Native code (viper) runs: the .mpy arch is x64."""

from host_tools.firmware.firmware import firmware_image
from tests.support.firmware import run_unix

GUEST_ERROR = "GUEST ERROR"


def run_micropython(code, folder, heap="16M", timeout=600):
    """Run code with folder as the VM's working directory and as /input in the code
    (replaced by its path); its stdout. A guest exception fails the test."""
    firmware_image("unix")
    code = code.replace("/input", str(folder))
    body = ("import os, sys\nos.chdir(%r)\nsys.path.insert(0, %r)\ntry:\n" % (str(folder), str(folder))
            + "".join("    " + line + "\n" for line in code.strip().splitlines())
            + "except BaseException as e:\n    print(%r)\n    sys.print_exception(e, sys.stdout)\n"
            % GUEST_ERROR)
    status, out, err = run_unix(body, heap, timeout)
    assert GUEST_ERROR not in out and status == 0, (out + err)[-3000:]
    return out
