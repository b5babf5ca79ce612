# An interlock: a condition checked every scan, before any process steps.
# While tripped it holds its outputs at their safe value (Output.inhibit) and
# keeps its processes stopped, whatever priorities or commands say.
#
# The condition is either a limit on one input (the common case, checked
# inline by the kernel, and shown by diagnostics): tripped while
# input.value >= high, or input.value < low, or the input reports a sensor
# fault; or any callable() returning truthy when the plant is unsafe. A
# callable that raises counts as tripped: fail safe.
from sluice.compat import const
from sluice.errors import ConfigError

_BIG = const(0x3FFFFFFF)  # the largest small int on a 32-bit port: no allocation


class Interlock:
    def __init__(self, name, tripped=None, outputs=(), stops=(), input=None, high=None, low=None):
        if (tripped is None) == (input is None) or (input is not None and (high is None) == (low is None)):
            raise ConfigError("interlock %s: give either tripped=callable or input= with one of high=/low=" % name)
        self.name = name
        self.tripped_fn = tripped
        self.input = input
        self.limit = high if high is not None else low
        self.above = high is not None
        self.output_names = tuple(outputs)
        self.stop_names = tuple(stops)
        self.outputs = ()    # resolved by the kernel
        self.processes = ()
        self.tripped = False
        self.trip_count = 0

    def describe(self):
        if self.input is None:
            return "custom condition"
        return "%s %s %d or sensor fault" % (self.input.name, ">=" if self.above else "<", self.limit)


class LimitGroup:
    """The limit interlocks on one input. Their states change only when the
    value leaves [lo, hi), the band between the nearest limits around it, or
    the sensor fault flag changes: the scan checks just that (see
    Kernel._check_interlocks) and calls settle() when it happens."""

    def __init__(self, input):
        self.input = input
        self.interlocks = ()
        self.lo = self.hi = 0  # an empty band: settle at the first scan
        self.faulted = False

    def settle(self):
        """Take the band and fault flag from the input now."""
        inp = self.input
        v = inp.value
        self.faulted = bool(inp.fault)
        lo = -_BIG
        hi = _BIG
        for ilk in self.interlocks:
            lim = ilk.limit
            if v >= lim:
                lo = max(lo, lim)
            else:
                hi = min(hi, lim)
        # Faulted or out of range: an empty band, so each scan looks again.
        if self.faulted or not lo <= v < hi:
            lo = hi = 0
        self.lo = lo
        self.hi = hi
