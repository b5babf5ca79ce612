# Interlocks: conditions checked every scan, before any process steps. While
# tripped an interlock holds its outputs at their safe value (Output.inhibit)
# and keeps its processes stopped, whatever priorities or commands say.
#
# The condition is either a limit on one input (the common case, shown by
# diagnostics): tripped while input.value >= high, or input.value < low, or
# the input reports a sensor fault; or any callable() returning truthy when
# the plant is unsafe. A callable that raises counts as tripped: fail safe.
#
# check_interlocks(kernel) runs in the scan (scan context). Limit interlocks
# are grouped by input, and a group costs one comparison a scan until its
# input crosses one of their limits.
from sluice.compat import const
from sluice.errors import ConfigError
from sluice.kernel.events import EV_INFO, EV_WARN
from sluice.kernel.process import FAULTED, INACTIVE, STOPPED

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
    the sensor fault flag changes."""

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


def limit_group(groups, ilk):
    """Add limit interlock ilk to the group of its input in groups."""
    for g in groups:
        if g.input is ilk.input:
            break
    else:
        g = LimitGroup(ilk.input)
        groups.append(g)
    g.interlocks = g.interlocks + (ilk,)
    g.lo = g.hi = 0  # settle again


def check_interlocks(k):
    for g in k._limit_groups:
        inp = g.input
        if inp.fault:
            if g.faulted:
                continue
        elif g.lo <= inp.value < g.hi:
            continue
        _settle(k, g)
    if k._custom_interlocks:
        _check_custom(k)


def _settle(k, g):
    """g's input left its band: trip or clear its interlocks."""
    g.settle()
    v = g.input.value
    for ilk in g.interlocks:
        t = g.faulted or (v >= ilk.limit) == ilk.above
        if t != ilk.tripped:
            _trip(k, ilk, t)


def _check_custom(k):
    for ilk in k._custom_interlocks:
        try:
            t = bool(ilk.tripped_fn())
        except Exception:
            t = True  # a condition that cannot be evaluated counts as tripped: fail safe
        if t != ilk.tripped:
            _trip(k, ilk, t)


def _trip(k, ilk, t):
    ilk.tripped = t
    d = 1 if t else -1
    for o in ilk.outputs:
        o.inhibit += d
        k.io.touch(o)
    k.rev += 1
    if not t:
        k._log(EV_INFO, ilk.name, "interlock clear")
        return
    ilk.trip_count += 1
    k._log(EV_WARN, ilk.name, "interlock tripped")
    for p in ilk.processes:
        if p.state != INACTIVE and p.state != FAULTED:
            k._leave(p, INACTIVE, STOPPED)
            k._log(EV_WARN, p.name, "stopped", "interlock " + ilk.name)
