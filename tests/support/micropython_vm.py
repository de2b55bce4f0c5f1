"""Run code in the real MicroPython VM: the project's unix firmware (make firmware BOARD=unix),
built by the firmware recipe if needed. Native code (viper) runs: the .mpy arch is x64."""
import subprocess

from host_tools.device.firmware import firmware_image

GUEST_ERROR = "GUEST ERROR"


def run_micropython(code, folder, heap="16M", timeout=600):
    """Run code with folder as the VM's working directory and as /input in the code
    (replaced by its path); its stdout. A guest exception fails the test."""
    code = code.replace("/input", str(folder))
    body = ("import sys\nsys.path.insert(0, %r)\ntry:\n" % str(folder)
            + "".join("    " + line + "\n" for line in code.strip().splitlines())
            + "except BaseException as e:\n    print(%r)\n    sys.print_exception(e, sys.stdout)\n"
            % GUEST_ERROR)
    script = folder / "_vm_main.py"
    script.write_text(body)
    r = subprocess.run([firmware_image("unix"), "-X", f"heapsize={heap}", str(script)], cwd=folder,
                       capture_output=True, text=True, timeout=timeout)
    assert GUEST_ERROR not in r.stdout and r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    return r.stdout
