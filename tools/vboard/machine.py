# The virtual board's `machine` module: the subset of MicroPython's machine
# API the firmware uses, over the simulated hardware in vhw. A pin id is the
# I/O name ("t1_fill"); see vhw.Hardware.signal for which ids are accepted.
from umachine import PinBase, Signal, mem8, mem16, mem32, time_pulse_us  # noqa: F401

from vhw import HardReset, SoftReset, hw

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5
_FREQ_HZ = 240000000


class Pin:
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_RISING = 1
    IRQ_FALLING = 2

    def __init__(self, id, mode=-1, pull=-1, *, value=None, **_kw):
        self.id = id
        self._sig = hw.signal(id, "pin")
        self._mode = self.IN
        self.init(mode, pull, value=value)

    def init(self, mode=-1, pull=-1, *, value=None, **_kw):
        if mode != -1:
            if mode != self.IN and not self._sig.output:
                raise ValueError("pin %r is a plant input: it cannot be driven" % (self.id,))
            self._mode = mode
        if value is not None:
            self.value(value)

    def value(self, v=None):
        s = self._sig
        if v is None:
            return s.cmd if s.output else s.raw()
        if self._mode == self.IN:
            s.cmd = 1 if v else 0  # like a real pin: latched, driven once the mode is OUT
        else:
            s.drive(1 if v else 0)

    __call__ = value

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    high = on
    low = off

    def mode(self, m=None):
        if m is None:
            return self._mode
        self.init(m)

    def irq(self, handler=None, trigger=3, **_kw):
        raise NotImplementedError("Pin.irq is not simulated: poll the input in the scan")

    def __repr__(self):
        return "Pin(%r)" % (self.id,)


class ADC:
    ATTN_0DB = 0
    ATTN_11DB = 3
    WIDTH_12BIT = 12

    def __init__(self, src, *_a, **_kw):
        self.id = src.id if isinstance(src, Pin) else src
        self._sig = hw.signal(self.id, "adc")

    def read_u16(self):
        return self._sig.raw()

    def read(self):  # ESP32: 12 bits
        return self._sig.raw() >> 4

    def read_uv(self):  # 0..3.3 V
        return self._sig.raw() * 3300000 // 65535

    def atten(self, *_a):
        pass

    def width(self, *_a):
        pass


class Timer:
    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=-1, **kw):
        self.id = id
        self._period_ms = 0
        self._periodic = True
        self._cb = None
        self._due_ms = 0
        if kw:
            self.init(**kw)

    def init(self, *, mode=PERIODIC, period=-1, freq=-1, callback=None, **_kw):
        if freq > 0:
            period = max(1, 1000 // freq)
        if period <= 0:
            raise ValueError("period must be > 0 ms")
        self._period_ms = period
        self._periodic = mode == self.PERIODIC
        self._cb = callback
        hw.timer_start(self)

    def deinit(self):
        hw.timer_stop(self)


class WDT:
    def __init__(self, id=0, timeout=5000):
        hw.wdt_timeout_ms = timeout
        hw.wdt_fed_ms = hw.now_ms

    def feed(self):
        hw.wdt_fed_ms = hw.now_ms


def reset():
    hw.reset_cause = HARD_RESET
    raise HardReset("machine.reset()")


def soft_reset():
    raise SoftReset()


def reset_cause():
    return hw.reset_cause


def unique_id():
    return b"\x5b\x1c\xe0\x00\x00\x01"


def freq(hz=None):
    return _FREQ_HZ if hz is None else None


def idle():
    hw.sleep_ms(1)


def lightsleep(ms=1):
    hw.sleep_ms(ms)


def disable_irq():
    return 0


def enable_irq(state=0):
    pass
