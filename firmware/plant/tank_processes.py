# Process classes for a batch tank: fill, dose, mix, heat, sample, transfer
# out, rinse, and the batch sequence that runs them in order. They only know
# their Output/Input objects, never pins: the plant file wires them by name.
from sluice.kernel.process import Process

_FILL_TIMEOUT_MS = 180000
_HEAT_TIMEOUT_MS = 240000
_EMPTY_TIMEOUT_MS = 180000


class FillTank(Process):
    """Open the fill valve until the level reaches target_pct."""
    steps = ("fill",)
    priority = 5
    needs = ("water",)

    def __init__(self, name, valve, level, target_pct=80, **kw):
        super().__init__(name, outputs=(valve,), **kw)
        self.valve = valve
        self.level = level
        self.target_pct = target_pct

    def full(self):
        return self.level.value >= self.target_pct

    def fill(self):
        self.valve.on()
        yield self.until(self.full, _FILL_TIMEOUT_MS)
        self.valve.off()


class RunFor(Process):
    """Energise one output for run_ms of active time (kept across preemption)."""
    steps = ("run",)

    def __init__(self, name, out, run_ms, **kw):
        super().__init__(name, outputs=(out,), **kw)
        self.out = out
        self.run_ms = run_ms

    def run(self):
        self.out.on()
        yield self.wait_step_ms(self.run_ms)
        self.out.off()


class DoseTank(RunFor):
    priority = 2


class MixTank(RunFor):
    """The mixer is a motor: it takes a unit of the power budget."""
    priority = 3
    needs = ("power",)


class SampleTank(RunFor):
    priority = 2


class HeatTank(Process):
    steps = ("heat",)
    priority = 3

    def __init__(self, name, heater, temp, setpoint_c=60, **kw):
        super().__init__(name, outputs=(heater,), **kw)
        self.heater = heater
        self.temp = temp
        self.setpoint_c = setpoint_c

    def hot(self):
        return self.temp.value >= self.setpoint_c

    def heat(self):
        self.heater.on()
        yield self.until(self.hot, _HEAT_TIMEOUT_MS)
        self.heater.off()


class TransferTank(Process):
    """Pump the tank out through the shared transfer pump. Not preemptible:
    a transfer once started runs to its end."""
    steps = ("open_outlet", "pump_out")
    priority = 6
    preemptible = False

    def __init__(self, name, outlet, pump, level, pump_name, empty_pct=3, **kw):
        super().__init__(name, needs=(pump_name, "power"), outputs=(outlet, pump), **kw)
        self.outlet = outlet
        self.pump = pump
        self.level = level
        self.empty_pct = empty_pct

    def empty(self):
        return self.level.value <= self.empty_pct

    def open_outlet(self):
        self.outlet.on()
        yield self.wait_step_ms(1000)  # valve travel before the pump starts

    def pump_out(self):
        self.outlet.on()
        self.pump.on()
        yield self.until(self.empty, _EMPTY_TIMEOUT_MS)
        self.pump.off()
        self.outlet.off()


class RinseTank(Process):
    steps = ("spray", "drain")
    priority = 4
    needs = ("water",)

    def __init__(self, name, fill_valve, drain_valve, level, spray_ms=3000, **kw):
        super().__init__(name, outputs=(fill_valve, drain_valve), **kw)
        self.fill_valve = fill_valve
        self.drain_valve = drain_valve
        self.level = level
        self.spray_ms = spray_ms

    def drained(self):
        return self.level.value <= 1

    def spray(self):
        self.fill_valve.on()
        yield self.wait_step_ms(self.spray_ms)
        self.fill_valve.off()

    def drain(self):
        self.drain_valve.on()
        yield self.until(self.drained, _EMPTY_TIMEOUT_MS)
        self.drain_valve.off()


class TankBatch(Process):
    """One batch after another: runs the tank's processes in order. Mixing and
    heating run together."""
    steps = ("fill", "dose", "mix_heat", "sample", "transfer", "rinse")
    priority = 1
    retain = ("batches",)

    def __init__(self, name, fill, dose, mix, heat, sample, transfer, rinse, **kw):
        super().__init__(name, **kw)
        self.c_fill, self.c_dose, self.c_mix, self.c_heat = fill, dose, mix, heat
        self.c_sample, self.c_transfer, self.c_rinse = sample, transfer, rinse
        self.batches = 0

    def auto_start(self):
        return True

    def fill(self):
        yield self.run(self.c_fill)

    def dose(self):
        yield self.run(self.c_dose)

    def mix_heat(self):
        yield self.run(self.c_mix, self.c_heat)

    def sample(self):
        yield self.run(self.c_sample)

    def transfer(self):
        yield self.run(self.c_transfer)

    def rinse(self):
        yield self.run(self.c_rinse)
        self.batches += 1
