"""`make deploy PORT=/dev/ttyACM0 BOARD=pico_w [CONFIG=config_1tank]`: put the
firmware on a board (or a virtual board's pty) with mpremote.

1. compile every module with mpy-cross into build/deploy/<board>/ (boot.py,
   main.py and config.py stay source: the port runs them by name, and the
   site edits config.py);
2. halt the running controller (every output safe, scans and watchdog feed
   continue) -- a board without a running controller has outputs safe from
   boot.py already;
3. list the board's .py/.mpy files with their sha256 and copy only what
   changed; a deployed module's stale twin (x.py beside x.mpy) is removed, as
   the import would prefer the .py;
4. micropython-lib dependencies: `mpremote mip install` when online, or the
   local copy in build/mplib (`--deps local`, compiled the same way);
5. hard reset, so boot.py and main.py run; with --verify, wait until the
   controller scans.
"""
import argparse
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPLIB = os.path.join(ROOT, "build", "mplib")
MIP_PACKAGES = ("umqtt.simple", "logging")
SOURCE_ONLY = ("boot.py", "main.py", "config.py")

_LIST_SNIPPET = """
import os, hashlib, binascii
def _w(d):
    for e in os.ilistdir(d):
        p = d.rstrip('/') + '/' + e[0]
        if e[1] & 0x4000:
            print('D', p)
            _w(p)
        elif p.endswith('.py') or p.endswith('.mpy'):
            h = hashlib.sha256()
            with open(p, 'rb') as f:
                while True:
                    b = f.read(512)
                    if not b:
                        break
                    h.update(b)
            print('F', p, binascii.hexlify(h.digest()).decode())
_w('/')
"""
_HALT_SNIPPET = """
try:
    halt()
except NameError:
    print('no controller running')
"""


class DeployError(Exception):
    pass


def _tool(name):
    exe = os.path.join(os.path.dirname(sys.executable), name)
    return exe if os.path.exists(exe) else shutil.which(name) or name


def mpremote(port, *args, check=True):
    """Run mpremote on `port` without its automatic soft reset; returns stdout."""
    cmd = [_tool("mpremote"), "connect", port, "resume"] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if check and (p.returncode != 0 or "Traceback" in p.stdout):
        raise DeployError("mpremote %s failed (rc=%d):\n%s%s" % (" ".join(args[:3]), p.returncode, p.stdout, p.stderr))
    return p.stdout


# --- 1. build -----------------------------------------------------------------

def sources(board, config="config", with_mplib=True):
    """(host path, board path) of everything deployed: firmware/, the board
    file as /board.py, a boards/<config>.py as /config.py unless config is
    "config" (firmware/config.py), build/mplib into /lib."""
    out = []
    walks = [(os.path.join(ROOT, "firmware"), "")]
    if with_mplib:
        walks.append((MPLIB, "/lib"))
    for base, prefix in walks:
        for d, dirs, files in os.walk(base):
            dirs[:] = sorted(x for x in dirs if x != "__pycache__")
            for f in sorted(files):
                if f.endswith(".py"):
                    rel = os.path.relpath(os.path.join(d, f), base).replace(os.sep, "/")
                    out.append((os.path.join(d, f), prefix + "/" + rel))
    out.append((os.path.join(ROOT, "boards", board + ".py"), "/board.py"))
    if config and config != "config":
        out = [s for s in out if s[1] != "/config.py"]
        out.append((os.path.join(ROOT, "boards", config + ".py"), "/config.py"))
    for src, _ in out:
        if not os.path.exists(src):
            raise DeployError("missing: " + os.path.relpath(src, ROOT))
    return out


def build(board, config="config", with_mplib=False, stage=None):
    """Compile into the stage folder; returns {board path: sha256 hex} of it."""
    stage = stage or os.path.join(ROOT, "build", "deploy", board)
    if os.path.isdir(stage):
        shutil.rmtree(stage)
    files = {}
    for src, dst in sources(board, config, with_mplib):
        keep_source = dst.count("/") == 1 and os.path.basename(dst) in SOURCE_ONLY
        if not keep_source:
            dst = dst[:-3] + ".mpy"
        out = os.path.join(stage, dst.lstrip("/"))
        os.makedirs(os.path.dirname(out), exist_ok=True)
        if keep_source:
            shutil.copyfile(src, out)
        else:
            p = subprocess.run([_tool("mpy-cross"), "-o", out, src], capture_output=True, text=True)
            if p.returncode:
                raise DeployError("mpy-cross %s: %s" % (os.path.relpath(src, ROOT), p.stderr.strip()))
        with open(out, "rb") as f:
            files[dst] = hashlib.sha256(f.read()).hexdigest()
    return stage, files


# --- 2..5. on the board -----------------------------------------------------

def remote_listing(port):
    dirs, files = set(), {}
    for line in mpremote(port, "exec", _LIST_SNIPPET).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "D":
            dirs.add(parts[1])
        elif len(parts) == 3 and parts[0] == "F":
            files[parts[1]] = parts[2]
    return dirs, files


def plan(local, remote_dirs, remote_files):
    """(dirs to make, files to copy, files to remove), all board paths."""
    copy = sorted(p for p, h in local.items() if remote_files.get(p) != h)
    stale = []
    for p in local:
        twin = p[:-4] + ".py" if p.endswith(".mpy") else p[:-3] + ".mpy"
        if twin in remote_files and twin not in local:
            stale.append(twin)
    need = set()
    for p in copy:
        d = p.rsplit("/", 1)[0]
        while d and d not in remote_dirs:
            need.add(d)
            d = d.rsplit("/", 1)[0]
    return sorted(need, key=len), copy, sorted(stale)


def apply(port, stage, mkdirs, copy, remove):
    args = []
    for d in mkdirs:
        args += ["fs", "mkdir", ":" + d, "+"]
    for p in copy:
        args += ["fs", "cp", "-f", os.path.join(stage, p.lstrip("/")), ":" + p, "+"]
    for p in remove:
        args += ["fs", "rm", ":" + p, "+"]
    if args:
        mpremote(port, *args[:-1])


def online(host="micropython.org", timeout_s=3):
    try:
        socket.create_connection((host, 443), timeout_s).close()
        return True
    except OSError:
        return False


def wait_running(port, timeout_s=20):
    """The scan count of the controller once main.py has started it."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        out = mpremote(port, "exec", "print('@scans', controller.kernel.scan_count)", check=False)
        for line in out.splitlines():
            if line.startswith("@scans ") and int(line.split()[1]) > 0:
                return int(line.split()[1])
        time.sleep(0.5)
    raise DeployError("the controller did not start within %d s" % timeout_s)


def deploy(port, board, config="config", deps="auto", verify=False, log=print):
    if deps == "auto":
        deps = "mip" if online() else "local"
    stage, local = build(board, config, with_mplib=deps == "local")
    log("built %d files in %s" % (len(local), os.path.relpath(stage, ROOT)))
    log("halt: " + (mpremote(port, "exec", _HALT_SNIPPET).strip() or "done"))
    rdirs, rfiles = remote_listing(port)
    mkdirs, copy, remove = plan(local, rdirs, rfiles)
    apply(port, stage, mkdirs, copy, remove)
    log("copied %d changed, %d up to date, removed %d stale" % (len(copy), len(local) - len(copy), len(remove)))
    if deps == "mip":
        mpremote(port, "mip", "install", *MIP_PACKAGES)
        log("mip installed " + " ".join(MIP_PACKAGES))
    mpremote(port, "reset")
    log("reset")
    result = {"copied": copy, "removed": remove, "unchanged": len(local) - len(copy), "deps": deps}
    if verify:
        result["scans"] = wait_running(port)
        log("running: scan %d" % result["scans"])
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", required=True, help="serial device, or a virtual board's pty")
    ap.add_argument("--board", default="virtual", help="boards/<BOARD>.py becomes /board.mpy")
    ap.add_argument("--config", default="config", help="'config' (firmware/config.py) or boards/<CONFIG>.py")
    ap.add_argument("--deps", choices=("auto", "mip", "local", "none"), default="auto",
                    help="micropython-lib: mip when online, else build/mplib (auto)")
    ap.add_argument("--verify", action="store_true", help="after the reset, wait until the controller scans")
    a = ap.parse_args()
    try:
        deploy(a.port, a.board, a.config, a.deps, a.verify)
    except DeployError as e:
        sys.exit("deploy: %s" % e)


if __name__ == "__main__":
    main()
