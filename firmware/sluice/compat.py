# The few MicroPython built-ins the firmware uses, with CPython fallbacks so the
# same modules import in host tools. Only this module checks which one runs.
try:
    from micropython import const
except ImportError:
    def const(x):
        return x

try:
    from time import ticks_add, ticks_diff, ticks_ms, ticks_us
except ImportError:
    import time as _time

    _PERIOD = 1 << 30  # MicroPython's ticks period on every port

    def ticks_ms():
        return int(_time.monotonic() * 1000) & (_PERIOD - 1)

    def ticks_us():
        return int(_time.monotonic() * 1000000) & (_PERIOD - 1)

    def ticks_add(t, delta):
        return (t + delta) & (_PERIOD - 1)

    def ticks_diff(a, b):
        d = (a - b) & (_PERIOD - 1)
        return d - _PERIOD if d >= _PERIOD // 2 else d
