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
    def __init__(self, io, name, fill_mpct_per_s=FILL_MPCT_PER_S, drain_mpct_per_s=DRAIN_MPCT_PER_S,
                 pump_mpct_per_s=PUMP_MPCT_PER_S, level_pct=0):
        self.name = name
        self.fill_rate, self.drain_rate, self.pump_rate = fill_mpct_per_s, drain_mpct_per_s, pump_mpct_per_s
        self.level_mpct = level_pct * 1000
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
            rate += self.fill_rate
        if self.dose.value:
            rate += DOSE_MPCT_PER_S
        if self.drain.value:
            rate -= self.drain_rate
        if self.outlet.value and self.pump.value:
            rate -= self.pump_rate
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


class Motors:
    """Running feedback: input "<motor>_run" is 1 while output "<motor>" is
    on, after start_ms, unless the motor is tripped (an injected fault)."""

    def __init__(self, io, names, start_ms=500):
        self.items = [(io.outputs[n], io.inputs[n + "_run"]) for n in names]
        self.start_ms = start_ms
        self.tripped = set()
        self._on_ms = [0] * len(self.items)

    def step(self, dt_ms):
        for i, (out, run) in enumerate(self.items):
            on = out.value and out.name not in self.tripped
            self._on_ms[i] = self._on_ms[i] + dt_ms if on else 0
            run.value = 1 if on and self._on_ms[i] >= self.start_ms else 0


class Plant:
    """A plant built from a layout (data, see demo_layout): tanks and motors
    on a bus whose .outputs/.inputs map names to objects with .value."""

    def __init__(self, io, layout):
        self.layout = layout
        self.tanks = []
        for spec in layout["tanks"]:
            kw = dict(spec)
            name, pump = kw.pop("name"), kw.pop("pump")
            t = Tank(io, name, **kw)
            t.pump = io.outputs[pump]
            self.tanks.append(t)
        self.motors = Motors(io, layout.get("motors", ()))

    def tank(self, name):
        for t in self.tanks:
            if t.name == name:
                return t
        raise KeyError(name)

    def step(self, dt_ms):
        for t in self.tanks:
            t.step(dt_ms)
        self.motors.step(dt_ms)


TANK_OUTPUTS = ("fill", "drain", "outlet", "mixer", "heater", "dose", "sample")
TANK_ANALOG = ("level", "temp")   # 0..100 % and 0..100 degC
TANK_SWITCHES = ("high",)         # high-level float switch, 1 = wet


def demo_layout(tanks=8):
    """The layout matching firmware/plant/demo.py: per tank the outputs above,
    transfer pumps shared by 4 tanks (at least 2), running feedback on every
    mixer and pump. Returns plain data (JSON-able): a plant file may hold it."""
    pumps = max(2, (tanks + 3) // 4)
    pump_names = ["pump_" + chr(ord("a") + i) for i in range(pumps)]
    names = ["t%d" % (i + 1) for i in range(tanks)]
    return {
        "tanks": [{"name": n, "pump": pump_names[i % pumps]} for i, n in enumerate(names)],
        "outputs": pump_names + [n + "_" + o for n in names for o in TANK_OUTPUTS],
        "analog": [n + "_" + a for n in names for a in TANK_ANALOG],
        "switches": [n + "_" + w for n in names for w in TANK_SWITCHES],
        "motors": pump_names + [n + "_mixer" for n in names],
    }
