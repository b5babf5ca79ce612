# Small processes and a rig for kernel tests (runs under micropython).
from sluice.io.image import Input, IoImage, Output
from sluice.kernel.clock import ManualClock
from sluice.kernel.kernel import Kernel
from sluice.kernel.process import ACTIVE, STATE_NAMES, Process


class Job(Process):
    """Energises its output for each duration in `durations_ms` (one step each)."""
    steps = ("first", "second")

    def __init__(self, name, out, durations_ms=(900, 900), fail_in=None, **kw):
        super().__init__(name, outputs=(out,) if out else (), **kw)
        self.out = out
        self.durations_ms = durations_ms
        self.fail_in = fail_in
        self.safe_calls = 0

    def on_safe(self):
        self.safe_calls += 1
        super().on_safe()

    def _run(self, i):
        if self.out:
            self.out.on()
        if self.fail_in == self.steps[i]:
            raise ValueError("sensor exploded")
        yield self.wait_step_ms(self.durations_ms[i])

    def first(self):
        yield from self._run(0)

    def second(self):
        yield from self._run(1)


class Rig:
    def __init__(self, outputs=(), inputs=(), start_ms=0, period_ms=300):
        self.io = IoImage()
        for n in outputs:
            self.io.add_output(Output(n))
        for n in inputs:
            self.io.add_input(Input(n))
        self.clock = ManualClock(start_ms)
        self.period_ms = period_ms
        self.k = Kernel(self.io, self.clock, period_ms=period_ms)

    def out(self, n):
        return self.io.outputs[n]

    def scan(self, n=1):
        for _ in range(n):
            self.clock.advance(self.period_ms)
            self.k.scan()
            check_invariants(self.k)

    def states(self):
        return {p.name: p.state_name for p in self.k.processes.values()}


def check_invariants(k):
    """Raise AssertionError if a resource is over-granted, an interlocked output
    is energised, or a process's state_name or step disagrees with its state."""
    for p in k.procs:
        assert p.state_name == STATE_NAMES[p.state] and p.step == p.steps[p.step_index], p.name
    for r in k._res:
        n = 0
        for p in k.procs:
            if p.state == ACTIVE and r in p._needs:
                n += 1
        assert n <= r.capacity, "resource %s granted %d > capacity %d" % (r.name, n, r.capacity)
    for ilk in k.interlocks:
        if ilk.tripped:
            for o in ilk.outputs:
                assert o.value == o.safe, "interlocked output %s energised" % o.name
