"""Board I/O benchmark (issue 6): relay writes, input reads, scan with the
ESP32 wiring; runs tools/bench/io_mp.py on micropython."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "host_tests"))
import mpy  # noqa: E402

first = [os.path.join(ROOT, "host_tests", "mp", "chip"), os.path.join(ROOT, "boards")]
src = mpy.prelude([os.path.join(ROOT, "tools", "bench")]) + "sys.path[:0] = %r\nimport io_mp\n" % first
sys.exit(subprocess.call([mpy.micropython_bin(), "-X", "heapsize=1M", "-c", src], cwd=ROOT))
