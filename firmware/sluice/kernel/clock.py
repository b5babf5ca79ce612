# Clocks the kernel reads once per scan. Both return ticks in ms, wrapping like
# time.ticks_ms(): compare them only with ticks_diff.
from sluice.compat import ticks_add, ticks_ms


class TicksClock:
    """The board's clock."""

    def ticks_ms(self):
        return ticks_ms()


class ManualClock:
    """A clock advanced by its owner: tests and the virtual board run scans
    deterministically and faster than real time with it."""

    def __init__(self, start_ms=0):
        self._now = ticks_add(start_ms, 0)

    def ticks_ms(self):
        return self._now

    def advance(self, ms):
        self._now = ticks_add(self._now, ms)
