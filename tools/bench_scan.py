"""Scan benchmark (issue: process kernel): the kernel's scan of the demo plant
and the same plant as one asyncio task per process, each in its own
micropython process with a board-sized heap."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "host_tests"))
import mpy  # noqa: E402


def run(mode, n):
    # Objects take twice the bytes of a 32-bit board here: 512K is about an RP2040's heap.
    heap = {16: "256K", 64: "512K"}.get(n, "2M")
    src = mpy.prelude([os.path.join(ROOT, "tools", "bench")]) + "import scan_mp\n"
    out = subprocess.run([mpy.micropython_bin(), "-X", "heapsize=" + heap, "-c", src, mode, str(n)], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    line = json.loads(out.strip().splitlines()[-1])
    line["heap"] = heap
    return line


def main():
    for n in (16, 64, 256):
        k = run("kernel", n)
        b = run("asyncio", n)
        k["vs_asyncio_cycle"] = round(k["scan_us_mean"] / b["cycle_us_mean"], 2)
        print(json.dumps(k))
        print(json.dumps(b))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
