"""Host fake of OpenMV's `omv` module: which firmware this is.

As in the real module, version_major/minor/patch are plain integers and
version_string() is a function ("5.0.0"). The emulation sets the version
(`emulate --board openmv_h7_plus --openmv 4|4.8|5`); the other OpenMV fakes follow
it (ml's constructor and outputs; `csi` exists from 4.8 on). Runs on CPython and
on MicroPython.
"""

version_major = 5
version_minor = 0
version_patch = 0


def version_string():
    return "%d.%d.%d" % (version_major, version_minor, version_patch)
