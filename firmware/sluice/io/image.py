# The process image: named outputs and inputs. Processes only touch the image
# (Output.on/off/set/to_safe, Input.value); the kernel reads inputs at the start
# of a scan and writes outputs at its end, so every process sees one consistent
# snapshot.
# Hardware comes in as objects: an output driver needs .value(v), a digital
# input source .value(), an analog one .read_u16(). Only boards/ create them.
from sluice.compat import ticks_diff
from sluice.errors import ConfigError


class _Detached:
    @staticmethod
    def touch(o):
        pass


class Output:
    """A binary output. cmd is what the logic asks for (1 = energised);
    value is what was last written. While `inhibit` > 0 (tripped interlocks)
    the safe value is written whatever cmd says. Change cmd only through
    on/off/set/to_safe, and call io.touch(output) after changing inhibit:
    a plain Output is written only in a scan where it changed."""

    def __init__(self, name, driver=None, safe=0):
        self.name = name
        self.driver = driver
        self.safe = safe
        self.cmd = safe
        self.value = safe
        self.inhibit = 0
        self.io = _Detached  # the IoImage, once added to one

    def on(self):
        if self.cmd != 1:
            self.cmd = 1
            self.io.touch(self)

    def off(self):
        if self.cmd != 0:
            self.cmd = 0
            self.io.touch(self)

    def set(self, on):
        if on:
            self.on()
        else:
            self.off()

    def to_safe(self):
        if self.cmd != self.safe:
            self.cmd = self.safe
            self.io.touch(self)

    def write(self, now_ms):
        v = self.safe if self.inhibit else self.cmd
        if v != self.value:
            self.value = v
            if self.driver is not None:
                self.driver.value(v)

    def force_safe(self):
        # Bypasses write(): for boot, halt and scan failure.
        self.cmd = self.safe
        self.value = self.safe
        if self.driver is not None:
            self.driver.value(self.safe)


class Input:
    """A digital input, or any value fed in from outside (a simulator sets
    .value directly when source is None). `fault` marks a failed sensor."""

    def __init__(self, name, source=None):
        self.name = name
        self.source = source
        self.value = 0
        self.fault = False

    def read(self, now_ms):
        if self.source is not None:
            self.value = self.source.value()


def elapsed_ms(o, now_ms):
    """ms since o's previous call (0 on the first, never negative); o keeps
    _last_ms and _started. For inputs and relays that age things per scan."""
    d = 0
    if o._started:
        d = ticks_diff(now_ms, o._last_ms)
        if d < 0:
            d = 0
    o._started = True
    o._last_ms = now_ms
    return d


class IoImage:
    def __init__(self):
        self.outputs = {}
        self.inputs = {}
        self.changed = True  # write every plain output at the next write (boot)
        self._out = []    # every output, for all_safe
        self._plain = []  # Output.write: only needed after a change
        self._timed = []  # subclasses (relays with min times, feedback): written every scan
        self._touched = []  # [:_ntouched]: plain outputs changed since the last write
        self._ntouched = 0
        self._in = []     # inputs with a source to read

    def add_output(self, out):
        if out.name in self.outputs or out.name in self.inputs:
            raise ConfigError("I/O name used twice: " + out.name)
        self.outputs[out.name] = out
        out.io = self
        self._out.append(out)
        (self._plain if type(out).write is Output.write else self._timed).append(out)
        self._touched.append(None)  # room for every output: touch() never grows the list
        return out

    def add_input(self, inp):
        if inp.name in self.inputs or inp.name in self.outputs:
            raise ConfigError("I/O name used twice: " + inp.name)
        self.inputs[inp.name] = inp
        if inp.source is not None:
            self._in.append(inp)
        return inp

    def output(self, name):
        try:
            return self.outputs[name]
        except KeyError:
            raise ConfigError("unknown output: " + name)

    def input(self, name):
        try:
            return self.inputs[name]
        except KeyError:
            raise ConfigError("unknown input: " + name)

    def read(self, now_ms):
        for i in self._in:
            i.read(now_ms)

    def touch(self, o):
        """o's cmd or inhibit changed: write it at the next write(). Scan context."""
        n = self._ntouched
        if n < len(self._touched):
            self._touched[n] = o
            self._ntouched = n + 1
        else:  # touched more often than there are outputs: write them all
            self.changed = True

    def write(self, now_ms):
        if self.changed:
            self._write_all(now_ms)
        else:
            t = self._touched
            for i in range(self._ntouched):
                t[i].write(now_ms)  # a relay written twice in a scan is harmless
        self._ntouched = 0
        if self._timed:
            self._write_timed(now_ms)

    # Helpers keep write()'s frame small enough for the C stack (see sluice.kernel.stepper).
    def _write_all(self, now_ms):
        self.changed = False
        for o in self._plain:
            o.write(now_ms)

    def _write_timed(self, now_ms):
        for o in self._timed:
            o.write(now_ms)

    def all_safe(self):
        for o in self._out:
            o.force_safe()
