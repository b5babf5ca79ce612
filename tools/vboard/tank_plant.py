# A simulated tank plant, run under micropython beside the firmware. It reads
# the outputs the controller wrote and sets the inputs it will read next scan.
# Integer physics (milli-units), so it behaves the same on any port.
FILL_MPCT_PER_S = 2500      # fill valve: +2.5 %/s
DRAIN_MPCT_PER_S = 4000     # drain valve: -4 %/s
PUMP_MPCT_PER_S = 5000      # outlet valve + transfer pump: -5 %/s
DOSE_MPCT_PER_S = 100
HEAT_MC_PER_S = 1500        # heater: +1.5 degC/s
COOL_DIV = 200              # cooling towards ambient: 1/200 of the difference per s
AMBIENT_MC = 20000


class Tank:
    def __init__(self, io, name):
        self.level_mpct = 0
        self.temp_mc = AMBIENT_MC
        o = io.outputs
        i = io.inputs
        self.fill, self.drain, self.outlet = o[name + "_fill"], o[name + "_drain"], o[name + "_outlet"]
        self.heater, self.dose = o[name + "_heater"], o[name + "_dose"]
        self.level, self.temp, self.high = i[name + "_level"], i[name + "_temp"], i[name + "_high"]
        self.pump = None  # set by TankPlant
        # Injected faults
        self.fill_stuck = None   # None, 0 (stuck shut) or 1 (stuck open)
        self.level_failed = False
        self.leak_mpct_per_s = 0

    def step(self, dt_ms):
        fill = self.fill.value if self.fill_stuck is None else self.fill_stuck
        rate = 0
        if fill:
            rate += FILL_MPCT_PER_S
        if self.dose.value:
            rate += DOSE_MPCT_PER_S
        if self.drain.value:
            rate -= DRAIN_MPCT_PER_S
        if self.outlet.value and self.pump.value:
            rate -= PUMP_MPCT_PER_S
        rate -= self.leak_mpct_per_s
        lv = self.level_mpct + rate * dt_ms // 1000
        self.level_mpct = 0 if lv < 0 else 100000 if lv > 100000 else lv
        t = self.temp_mc
        if self.heater.value:
            t += HEAT_MC_PER_S * dt_ms // 1000
        t -= (t - AMBIENT_MC) * dt_ms // (COOL_DIV * 1000)
        self.temp_mc = t
        self.level.value = 0 if self.level_failed else self.level_mpct // 1000
        self.level.fault = self.level_failed
        self.temp.value = t // 1000
        self.high.value = 1 if self.level_mpct >= 97000 else 0


class TankPlant:
    def __init__(self, io, tank_names, pump_of):
        """pump_of(i) -> name of the transfer pump output serving tank i."""
        self.tanks = []
        for i, name in enumerate(tank_names):
            t = Tank(io, name)
            t.pump = io.outputs[pump_of(i)]
            self.tanks.append(t)

    def step(self, dt_ms):
        for t in self.tanks:
            t.step(dt_ms)
