# The demo plant on a process image with no hardware: the tank model sets the
# inputs and reads the outputs directly. For tests and benchmarks (micropython).
from plant import demo
from sluice.io.image import Input, IoImage, Output
from sluice.kernel.clock import ManualClock
from sluice.kernel.kernel import Kernel
from tank_plant import TankPlant


class DemoRig:
    def __init__(self, tanks=8, period_ms=300, start_ms=0):
        self.io = IoImage()
        outs, ins = demo.io_names(tanks)
        for n in outs:
            self.io.add_output(Output(n))
        for n in ins:
            self.io.add_input(Input(n))
        self.clock = ManualClock(start_ms)
        self.period_ms = period_ms
        self.kernel = Kernel(self.io, self.clock, period_ms=period_ms)
        demo.build(self.kernel, tanks)
        self.plant = TankPlant(self.io, [demo.tank_name(i) for i in range(tanks)],
                               lambda i: demo.pump_name(tanks, i))

    def scan(self):
        """One period: the plant moves, then the controller scans."""
        self.clock.advance(self.period_ms)
        self.plant.step(self.period_ms)
        self.kernel.scan()

    def run(self, scans):
        for _ in range(scans):
            self.scan()

    def counts(self):
        c = {}
        for p in self.kernel.processes.values():
            c[p.state_name] = c.get(p.state_name, 0) + 1
        return c
