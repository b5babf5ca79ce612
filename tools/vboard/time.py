# The virtual board's `time`: the built-in module with its clock replaced by
# the simulated one (vhw.hw.now_ms) once a plant is wired (hw.simulated), so
# the unchanged firmware runs faster than real time. Until then, and for
# any other code that finds this folder on sys.path, it is the host's clock.
# ticks_ms, time, localtime and sleep* follow simulated time; ticks_us and
# ticks_cpu stay on the host's CPU clock, so scan durations measure real work.
from utime import *  # noqa: F401,F403
import utime as _host

from vhw import hw as _hw

_TICKS_MASK = 0x3FFFFFFF
_epoch_s = _host.time()  # simulated wall clock starts at the host's time of power-on


def ticks_ms():
    return _hw.now_ms & _TICKS_MASK if _hw.simulated else _host.ticks_ms()


def time():
    return _epoch_s + _hw.now_ms // 1000 if _hw.simulated else _host.time()


def time_ns():
    return (_epoch_s * 1000 + _hw.now_ms) * 1000000 if _hw.simulated else _host.time_ns()


def localtime(secs=None):
    return _host.localtime(time() if secs is None else secs)


def gmtime(secs=None):
    return _host.gmtime(time() if secs is None else secs)


def sleep_ms(ms):
    if _hw.simulated:
        _hw.sleep_ms(ms)
    else:
        _host.sleep_ms(ms)


def sleep(s):
    sleep_ms(int(s * 1000))


def sleep_us(us):
    if us >= 1000:
        sleep_ms(us // 1000)
    else:
        _host.sleep_us(us)
