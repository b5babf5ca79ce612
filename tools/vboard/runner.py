# The virtual board: `micropython runner.py --flash FILE [options]`. It wires
# the simulated plant to the simulated machine, mounts the littlefs flash as
# "/", then boots like a port does: boot.py, main.py (friendly REPL mode
# only), REPL. Its serial line is stdin/stdout (tools/vboard/host.py bridges
# them to a pty). The main loop moves simulated time, so timers fire and
# scans run while the REPL waits for a byte, as on ESP32 and RP2040.
#
# Options: --flash FILE  --blocks N  --mkfs  --install MANIFEST (lines
# "host_path<TAB>/board/path" copied into the flash first)  --tanks N |
# --layout JSON  --speed X (simulated/wall time) | --fast (as fast as
# possible)  --duration-s S  --telemetry-ms N  --fault T:KIND:NAME[=VALUE]
# (repeatable, see vhw.apply_fault)  --broker HOST:PORT (MQTT hook, issue 5).
import gc
import json
import select
import sys

import utime

import vhw
from vhw import HardReset, SoftReset, hw
import machine  # noqa: F401  the simulated one: loaded before the host filesystem goes away
import time  # noqa: F401  likewise
import flash
import repl as repl_mod
import tank_plant
import telemetry

BANNER = ("MicroPython v%d.%d.%d on virtual board (Sluice simulated plant)\r\n"
          'Type "help()" for more information.') % sys.implementation.version[:3]


class PowerOff(BaseException):
    """The host closed the serial line (stdin): end the run with a summary."""


def parse(argv):
    o = {"flash": None, "blocks": flash.DEFAULT_BLOCKS, "mkfs": False, "install": None,
         "tanks": 8, "layout": None, "speed": 1.0, "fast": False, "duration-s": 0,
         "telemetry-ms": 0, "fault": [], "broker": None}
    i = 1
    while i < len(argv):
        key = argv[i][2:]
        if key not in o:
            raise SystemExit("runner: unknown option " + argv[i])
        if isinstance(o[key], bool):
            o[key] = True
        else:
            i += 1
            v = argv[i]
            if isinstance(o[key], list):
                o[key].append(v)
            elif isinstance(o[key], float):
                o[key] = float(v)
            elif isinstance(o[key], int):
                o[key] = int(v)
            else:
                o[key] = v
        i += 1
    if not o["flash"]:
        raise SystemExit("runner: --flash FILE is required")
    return o


class Board:
    def __init__(self, o):
        self.o = o
        if o["layout"]:
            with open(o["layout"]) as f:
                layout = json.load(f)
        else:
            layout = tank_plant.demo_layout(o["tanks"])
        hw.plant = tank_plant.Plant(hw.wire(layout), layout)
        if o["broker"]:
            host, _, port = o["broker"].partition(":")
            hw.broker = (host, int(port or 1883))
        self.faults = sorted(vhw.parse_fault(s) for s in o["fault"])
        self.rec = telemetry.Recorder(hw, hw.plant, layout["outputs"], o["telemetry-ms"])
        hw.on_advance = self._on_advance
        hw.input_hook = self._input_during_code
        if not o["fast"]:
            hw.pace = self._pace
        self.end_ms = o["duration-s"] * 1000
        volume, self.dev = flash.open_volume(o["flash"], o["blocks"], o["mkfs"])
        if o["install"]:
            with open(o["install"]) as f:
                pairs = [ln.rstrip("\n").split("\t") for ln in f if ln.strip()]
            flash.copy_in(volume, "", pairs)
        self.poller = select.poll()
        self.poller.register(sys.stdin, select.POLLIN)
        self.stdin_open = True
        self.byte = bytearray(1)
        self.pending = bytearray()  # bytes read while user code ran
        self.g = {}
        self.repl = repl_mod.Repl(self.g, BANNER)
        self.wall0 = self.wall_start = self.flushed_ms = utime.ticks_ms()
        flash.mount_root(volume)
        sys.path[:] = ["", ".frozen", "/lib"]
        self.keep = set(sys.modules)  # what survives a reset: the simulated hardware

    # --- time ---------------------------------------------------------------

    def _anchor(self):
        self.wall0 = utime.ticks_ms()
        self.sim0 = hw.now_ms

    def _sim_now_by_wall(self):
        return self.sim0 + int(utime.ticks_diff(utime.ticks_ms(), self.wall0) * self.o["speed"])

    def _pace(self, sim_ms):
        ahead = int((sim_ms - self._sim_now_by_wall()) / self.o["speed"])
        if ahead > 0:
            utime.sleep_ms(ahead)

    def _on_advance(self, now_ms):
        if self.dev.dirty and utime.ticks_diff(utime.ticks_ms(), self.flushed_ms) > 1000:
            self.dev.flush()
            self.flushed_ms = utime.ticks_ms()
        while self.faults and self.faults[0][0] <= now_ms:
            vhw.apply_fault(*self.faults.pop(0)[1:])
        self.rec.on_advance(now_ms)

    # --- serial line ----------------------------------------------------------

    def _read(self):
        """One byte. The host closing the line powers the board off."""
        if sys.stdin.buffer.readinto(self.byte) != 1:
            self.poller.unregister(sys.stdin)
            self.stdin_open = False
            raise PowerOff()
        return self.byte[0]

    def _input_during_code(self):
        """From time.sleep* in user code: Ctrl-C interrupts it, like a
        board's UART interrupt; other bytes wait for the REPL."""
        while self.stdin_open and self.poller.poll(0):
            c = self._read()
            if c == 3:
                self.pending = bytearray()
                raise KeyboardInterrupt()
            self.pending.append(c)

    def _serve(self, timeout_ms):
        while self.pending:
            c = self.pending[0]
            self.pending = self.pending[1:]
            self.repl.feed(c)
        n = 0
        while self.stdin_open and n < 1024 and self.poller.poll(timeout_ms if n == 0 else 0):
            self.repl.feed(self._read())
            n += 1

    # --- boot and main loop -----------------------------------------------------

    def _run_file(self, name):
        try:
            with open(name) as f:
                src = f.read()
        except OSError:
            return
        try:
            exec(compile(src, name, "exec"), self.g)
        except (SystemExit, KeyboardInterrupt, Exception) as e:
            sys.print_exception(e)

    def boot(self, kind):
        self.dev.flush()
        hw.timers = []
        if kind == "hard":
            hw.outputs_released()
            hw.wdt_timeout_ms = 0
            self.repl.mode = repl_mod.FRIENDLY
        elif kind == "soft":
            hw.reset_cause = machine.SOFT_RESET
            sys.stdout.write("MPY: soft reboot\r\n")
        for name in list(sys.modules):
            if name not in self.keep:
                del sys.modules[name]
        self.g.clear()
        self.g["__name__"] = "__main__"
        gc.collect()
        heap0 = gc.mem_alloc()
        self._anchor()
        self._run_file("boot.py")
        if self.repl.mode == repl_mod.FRIENDLY:
            self._run_file("main.py")
        gc.collect()
        self.rec.attach(gc.mem_alloc() - heap0)
        self.repl.prompt()

    def loop(self):
        fast = self.o["fast"]
        end = self.end_ms
        n = 0
        while not end or hw.now_ms < end:
            if fast:
                due = hw.next_due_ms()
                hw.advance_to(due if not end or due < end else end)
                n += 1
                if n & 7 == 0:  # the serial line every 8 steps: the poll is most of the loop's cost
                    self._serve(0)
                continue
            target = self._sim_now_by_wall()
            if end and target > end:
                target = end
            if target > hw.now_ms:
                hw.advance_to(target)
            wait = int((hw.next_due_ms() - hw.now_ms) / self.o["speed"])
            self._serve(0 if wait < 0 else 20 if wait > 20 else wait)

    def run(self):
        kind = "power-on"
        while True:
            try:
                self.boot(kind)
                self.loop()
                break
            except SoftReset:
                kind = "soft"
            except HardReset:
                kind = "hard"
            except PowerOff:
                break
        self.rec.summary(hw.now_ms, utime.ticks_diff(utime.ticks_ms(), self.wall_start))
        self.dev.close()


if __name__ == "__main__":
    Board(parse(sys.argv)).run()
