# Drives Kernel.scan from a periodic machine.Timer. The timer callback (hard or
# soft IRQ) only schedules; the scan runs in scheduled context. A tick that
# finds a scan still pending is counted as an overrun, never queued.
import micropython

from sluice.compat import ticks_diff, ticks_ms, ticks_us
from sluice.kernel.commands import describe
from sluice.kernel.events import EV_FAULT


class ScanTimer:
    def __init__(self, kernel, timer, on_scan_ok=None):
        self.kernel = kernel
        self.timer = timer          # keep a reference: a collected Timer stops firing
        self.on_scan_ok = on_scan_ok  # e.g. the watchdog feed: only after a good scan
        self.pending = False
        self.overruns = 0       # ticks dropped because the previous scan had not run yet
        self.long_scans = 0     # scans that took longer than the period
        self.scan_errors = 0
        self.scan_us = 0        # duration of the last scan
        self.scan_us_max = 0
        self.last_start_ms = 0
        self.period_ms = kernel.period_ms
        self._run_ref = self._run  # bound once: the IRQ handler must not allocate
        self._tick_ref = self._tick

    def start(self, timer_mode):
        """timer_mode: machine.Timer.PERIODIC from the board module."""
        self.timer.init(period=self.period_ms, mode=timer_mode, callback=self._tick_ref)

    def stop(self):
        self.timer.deinit()

    def _tick(self, _t):
        if self.pending:
            self.overruns += 1
            return
        self.pending = True
        try:
            micropython.schedule(self._run_ref, None)
        except RuntimeError:  # schedule queue full
            self.pending = False
            self.overruns += 1

    def _run(self, _arg):
        t0 = ticks_us()
        self.last_start_ms = ticks_ms()
        ok = False
        try:
            self.kernel.scan()
            ok = True
        except Exception as e:  # a kernel bug: fail safe, stop everything
            self.scan_errors += 1
            k = self.kernel
            k.events.log(EV_FAULT, "node", "scan failed", describe(e))
            k.halt()
        finally:  # even a KeyboardInterrupt mid-scan must not leave scans stopped for good
            self.pending = False
        us = ticks_diff(ticks_us(), t0)
        self.scan_us = us
        if us > self.scan_us_max:
            self.scan_us_max = us
        if us > self.period_ms * 1000:
            self.long_scans += 1
        if ok and self.on_scan_ok is not None:
            self.on_scan_ok()
