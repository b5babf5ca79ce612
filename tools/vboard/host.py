"""Host side of the virtual board (CPython): starts tools/vboard/runner.py
under the real `micropython`, gives it a pseudo-terminal as its serial line
(`mpremote connect <pty>` works as with a USB board), and collects the
telemetry it writes on stderr.

The pty bridge: the board's stdout goes to the pty master; when nobody reads
the pty and its buffer is full, output is dropped after a short wait, as a
USB-CDC port drops it with no host attached, so the board never hangs on a
print. The bridge keeps the pty's slave side open, so a client may come and
go (each `mpremote` command opens and closes it)."""
import json
import os
import select
import subprocess
import sys
import threading
import time
import tty

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RUNNER = os.path.join(HERE, "runner.py")
_WRITE_WAIT_S = 0.2


def micropython_bin():
    exe = os.path.join(os.path.dirname(sys.executable), "micropython")
    if os.path.exists(exe):
        return exe
    exe = os.path.join(ROOT, ".venv", "bin", "micropython")
    return exe if os.path.exists(exe) else "micropython"


def firmware_files(board="virtual", config="config"):
    """(host path, board path) pairs for a full install, as make deploy
    copies them (sources, not compiled): firmware, board file, config, lib."""
    if os.path.dirname(HERE) not in sys.path:
        sys.path.insert(0, os.path.dirname(HERE))
    from deploy import sources
    return sources(board, config, with_mplib=True)


class VirtualBoard:
    """One virtual board process. install: (host, board) pairs copied into the
    flash before boot (None: keep what the flash holds). on_line(tag, obj) is
    called from a reader thread for each telemetry object ("M", "T", "S")."""

    def __init__(self, flash_path, install=None, mkfs=False, speed=1.0, fast=False,
                 duration_s=0, telemetry_ms=0, tanks=8, faults=(), broker=None,
                 pty_link=None, on_line=None, echo_stderr=True):
        self.flash_path = os.path.abspath(flash_path)
        self.args = ["--flash", self.flash_path, "--tanks", str(tanks),
                     "--duration-s", str(int(duration_s)), "--telemetry-ms", str(int(telemetry_ms))]
        self.args += ["--fast"] if fast else ["--speed", repr(float(speed))]
        if mkfs:
            self.args.append("--mkfs")
        for f in faults:
            self.args += ["--fault", f]
        if broker:  # MQTT hook (issue 5): the board layer reads vhw.hw.broker
            self.args += ["--broker", broker]
        self.install = install
        self.pty_link = pty_link
        self.on_line = on_line
        self.echo_stderr = echo_stderr
        self.summary = None
        self.log = []        # stderr lines that are not telemetry
        self.proc = None
        self.pty = None

    def start(self):
        os.makedirs(os.path.dirname(self.flash_path), exist_ok=True)
        args = list(self.args)
        if self.install is not None:
            manifest = self.flash_path + ".install"
            with open(manifest, "w") as f:
                for src, dst in self.install:
                    f.write("%s\t%s\n" % (src, dst))
            args += ["--install", manifest]
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.pty = os.ttyname(self.slave)
        if self.pty_link:
            if os.path.lexists(self.pty_link):
                os.unlink(self.pty_link)
            os.symlink(self.pty, self.pty_link)
        os.set_blocking(self.master, False)
        self.proc = subprocess.Popen(
            [micropython_bin(), "-X", "heapsize=8M", RUNNER] + args, cwd=HERE,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0,
            start_new_session=True)  # Ctrl-C in the terminal is for the host side only
        self._stop = False
        self._threads = [threading.Thread(target=fn, daemon=True)
                         for fn in (self._to_pty, self._from_pty, self._stderr)]
        for t in self._threads:
            t.start()
        return self

    @property
    def device(self):
        return self.pty_link or self.pty

    # --- bridge threads -------------------------------------------------------

    def _to_pty(self):
        out = self.proc.stdout
        while True:
            data = out.read1(4096) if hasattr(out, "read1") else os.read(out.fileno(), 4096)
            if not data:
                return
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # cooked, as the ports print
            deadline = time.monotonic() + _WRITE_WAIT_S
            while data and time.monotonic() < deadline:
                try:
                    data = data[os.write(self.master, data):]
                except BlockingIOError:
                    select.select([], [self.master], [], 0.02)
                except OSError:
                    return

    def _from_pty(self):
        while not self._stop and self.proc.poll() is None:
            try:
                r, _, _ = select.select([self.master], [], [], 0.2)
            except (TypeError, ValueError, OSError):  # closed by stop()
                return
            if not r:
                continue
            try:
                data = os.read(self.master, 4096)
            except (BlockingIOError, OSError, TypeError):
                time.sleep(0.01)
                continue
            try:
                self.proc.stdin.write(data)
            except (BrokenPipeError, ValueError):
                return

    def _stderr(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if len(line) > 3 and line[0] == "@" and line[2] == " ":
                tag, obj = line[1], json.loads(line[3:])
                if tag == "S":
                    self.summary = obj
                if self.on_line is not None:
                    self.on_line(tag, obj)
            else:
                self.log.append(line)
                if self.echo_stderr:
                    sys.stderr.write("[vboard] " + line + "\n")

    # --- lifecycle ----------------------------------------------------------------

    def wait(self, timeout=None):
        rc = self.proc.wait(timeout)
        self._threads[2].join(2)  # the last telemetry lines
        return rc

    def stop(self, timeout_s=5):
        """Power off: closing the serial line ends the run with a summary."""
        self._stop = True
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.wait(timeout_s)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for fd in (getattr(self, "master", None), getattr(self, "slave", None)):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.master = self.slave = None
        if self.pty_link and os.path.islink(self.pty_link):
            os.unlink(self.pty_link)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
