"""Scan benchmark (issue: process kernel): runs tools/bench/scan_mp.py on micropython."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "host_tests"))
import mpy  # noqa: E402

src = mpy.prelude([os.path.join(ROOT, "tools", "bench")]) + "import scan_mp\n"
sys.exit(subprocess.call([mpy.micropython_bin(), "-X", "heapsize=16M", "-c", src], cwd=ROOT))
