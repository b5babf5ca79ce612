# The process image: named outputs and inputs. Processes only touch the image
# (Output.cmd, Input.value); the kernel reads inputs at the start of a scan and
# writes outputs at its end, so every process sees one consistent snapshot.
# Hardware comes in as objects: an output driver needs .value(v), a digital
# input source .value(), an analog one .read_u16(). Only boards/ create them.
from sluice.errors import ConfigError


class Output:
    """A binary output. cmd is what the logic asks for (1 = energised);
    value is what was last written. While `inhibit` > 0 (tripped interlocks)
    the safe value is written whatever cmd says."""

    def __init__(self, name, driver=None, safe=0):
        self.name = name
        self.driver = driver
        self.safe = safe
        self.cmd = safe
        self.value = safe
        self.inhibit = 0

    def on(self):
        self.cmd = 1

    def off(self):
        self.cmd = 0

    def set(self, on):
        self.cmd = 1 if on else 0

    def to_safe(self):
        self.cmd = self.safe

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


class IoImage:
    def __init__(self):
        self.outputs = {}
        self.inputs = {}
        self._out = []  # lists for allocation-free iteration in the scan
        self._in = []

    def add_output(self, out):
        if out.name in self.outputs or out.name in self.inputs:
            raise ConfigError("I/O name used twice: " + out.name)
        self.outputs[out.name] = out
        self._out.append(out)
        return out

    def add_input(self, inp):
        if inp.name in self.inputs or inp.name in self.outputs:
            raise ConfigError("I/O name used twice: " + inp.name)
        self.inputs[inp.name] = inp
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

    def write(self, now_ms):
        for o in self._out:
            o.write(now_ms)

    def all_safe(self):
        for o in self._out:
            o.force_safe()
