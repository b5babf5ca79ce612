"""Run code on the real `micropython` interpreter from host tests and tools.

Scripts get sys.path = [firmware/, host_tests/mp/, build/mplib/, tools/vboard/] and report
results by printing one JSON line prefixed with RESULT_MARK.
"""
import json
import os
import shutil
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIRMWARE = os.path.join(ROOT, "firmware")
MP_SUPPORT = os.path.join(ROOT, "host_tests", "mp")
MPLIB = os.path.join(ROOT, "build", "mplib")
VBOARD = os.path.join(ROOT, "tools", "vboard")
RESULT_MARK = "@@RESULT "


def micropython_bin():
    exe = os.path.join(os.path.dirname(sys.executable), "micropython")
    return exe if os.path.exists(exe) else shutil.which("micropython")


def prelude(paths=()):
    dirs = [FIRMWARE, MP_SUPPORT, MPLIB, VBOARD] + list(paths)
    return "import sys\nsys.path[:0] = %r\n" % dirs


def run(code, heap="256K", timeout=120, paths=(), check=True, args=()):
    """Run `code` under micropython; return (stdout, stderr, returncode)."""
    src = prelude(paths) + textwrap.dedent(code)
    p = subprocess.run([micropython_bin(), "-X", "heapsize=" + heap, "-c", src] + list(args),
                       capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if check and p.returncode != 0:
        raise AssertionError("micropython failed (rc=%d)\nstdout:\n%s\nstderr:\n%s" % (p.returncode, p.stdout[-4000:], p.stderr[-4000:]))
    return p.stdout, p.stderr, p.returncode


def result(code, **kw):
    """Run `code`, which calls report(obj) (from mp/report.py) once; return obj."""
    out, err, _ = run("from report import report\n" + textwrap.dedent(code), **kw)
    for line in out.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    raise AssertionError("no result from micropython\nstdout:\n%s\nstderr:\n%s" % (out[-4000:], err[-4000:]))
