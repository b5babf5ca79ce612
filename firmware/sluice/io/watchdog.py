# The hardware watchdog. Rule: it is fed only after a scan completed without
# error (ScanTimer.on_scan_ok); a hung or failing scan resets the board, and a
# reset makes every output safe (boot.py).
#
# Once started, machine.WDT cannot be stopped, and a soft reset (Ctrl-D,
# machine.soft_reset(), every mpremote command) leaves it counting while the
# controller is gone: main.py does not run after a soft reset from the raw
# REPL. boot.py has made the outputs safe by then, so the only risk is a
# reset in the middle of an mpremote session. hold_after_soft_reset() (from
# boot.py) feeds the watchdog from a timer for a bounded maintenance window,
# with outputs safe and no scan running; starting the controller ends it, and
# a forgotten session ends in a watchdog reset, which restarts the controller.
from sluice.compat import const, ticks_diff, ticks_ms
from sluice.errors import ConfigError

TIMEOUT_MAX_MS = const(8388)   # RP2040 hardware limit; the ESP32 allows more
MIN_SCANS = const(3)           # the timeout must cover this many scan periods
MAINT_WINDOW_MS = const(600000)
_MAINT_FEED_MS = const(1000)


def check_timeout(timeout_ms, scan_period_ms):
    """ConfigError unless the timeout fits the chip and covers MIN_SCANS scans."""
    if not isinstance(timeout_ms, int) or not 0 < timeout_ms <= TIMEOUT_MAX_MS:
        raise ConfigError("watchdog timeout must be 1..%d ms (RP2040 limit), got %r" % (TIMEOUT_MAX_MS, timeout_ms))
    if timeout_ms < MIN_SCANS * scan_period_ms:
        raise ConfigError("watchdog timeout %d ms is shorter than %d scans of %d ms" % (
            timeout_ms, MIN_SCANS, scan_period_ms))
    if _MAINT_FEED_MS * 2 > timeout_ms:
        raise ConfigError("watchdog timeout %d ms is shorter than twice the maintenance feed (%d ms)" % (
            timeout_ms, _MAINT_FEED_MS))


class MaintenanceFeed:
    """Feeds wdt every _MAINT_FEED_MS from `timer` until window_ms has passed
    or stop() is called. The callback runs in soft-IRQ (scheduled) context."""

    def __init__(self, wdt, timer, timer_periodic, window_ms=MAINT_WINDOW_MS):
        self.wdt = wdt
        self.timer = timer
        self.window_ms = window_ms
        self.t0 = ticks_ms()
        self.feeds = 0
        self.active = True
        wdt.feed()
        timer.init(period=_MAINT_FEED_MS, mode=timer_periodic, callback=self._tick)

    def _tick(self, _t):
        if not self.active:
            return
        if ticks_diff(ticks_ms(), self.t0) >= self.window_ms:
            self.stop()  # no more feeding: the watchdog resets the board
            return
        self.wdt.feed()
        self.feeds += 1

    def stop(self):
        self.active = False
        self.timer.deinit()


_held = None


def hold_after_soft_reset(board, window_ms=MAINT_WINDOW_MS):
    """boot.py, after board.outputs_safe(): start a MaintenanceFeed if this
    was a soft reset and the board uses a watchdog. Returns it or None."""
    global _held
    if not board.reset_was_soft():
        return None
    wdt = board.make_watchdog()
    if wdt is None:
        return None
    _held = MaintenanceFeed(wdt, board.make_timer(1), board.TIMER_PERIODIC, window_ms)
    return _held


def release():
    """Called by the controller before its scans take over feeding."""
    global _held
    if _held is not None:
        _held.stop()
        _held = None
