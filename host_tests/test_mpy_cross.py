"""Every firmware module compiles with mpy-cross, and the compiled .mpy files
import and run on micropython (as they will after `make deploy`)."""
import glob
import os
import shutil
import subprocess
import sys

import mpy


def mpy_cross():
    exe = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    return exe if os.path.exists(exe) else shutil.which("mpy-cross")


def test_all_firmware_modules_compile_and_the_compiled_plant_runs(tmp_path):
    modules = [p for p in glob.glob(os.path.join(mpy.FIRMWARE, "**", "*.py"), recursive=True)
               if os.path.basename(p) not in ("boot.py", "main.py")]
    assert len(modules) >= 15
    for src in modules:
        rel = os.path.relpath(src, mpy.FIRMWARE)
        out = tmp_path / (rel[:-3] + ".mpy")
        out.parent.mkdir(parents=True, exist_ok=True)
        p = subprocess.run([mpy_cross(), "-o", str(out), src], capture_output=True, text=True)
        assert p.returncode == 0, "%s: %s" % (rel, p.stderr)
    # Only .mpy files on the path: run the demo plant from them.
    out, _, _ = mpy.run("""
import sys
sys.path[:] = [%r, %r, %r]
import sluice.kernel.kernel, plant.demo
assert sluice.kernel.kernel.__file__.endswith(".mpy"), sluice.kernel.kernel.__file__
from demo_rig import DemoRig
rig = DemoRig(2)
rig.run(400)
print("OK", rig.kernel.scan_count, sum(p.start_count for p in rig.kernel.processes.values()))
""" % (str(tmp_path), mpy.MP_SUPPORT, mpy.VBOARD))
    ok, scans, starts = out.split()[-3:]
    assert ok == "OK" and int(scans) == 400 and int(starts) > 5
