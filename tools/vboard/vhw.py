# The virtual board's hardware (runs under micropython, beside the firmware):
# the simulated clock, the timers, the watchdog, the wires between board and
# plant (Signal) and the plant model that moves them. machine.py and time.py
# in this folder are the firmware-facing views of it.
#
# Time: `now_ms` is simulated milliseconds since power-on (never wraps here;
# time.ticks_ms() wraps it). Only advance() moves it: from the board's main
# loop (runner.py) and from time.sleep*() called by user code, never from a
# timer or scheduled callback. Timer callbacks run inside advance(), like a
# hardware IRQ; the ScanTimer's callback only schedules, so each scan runs at
# the next bytecode boundary, before the plant moves again.
import sys

PLANT_STEP_MS = 100  # longest plant integration step


class HardReset(BaseException):
    """machine.reset() or a watchdog expiry: the runner restarts the board."""


class SoftReset(BaseException):
    """machine.soft_reset(): the runner soft-reboots (boot.py, main.py)."""


class Signal:
    """One wire between a pin id and the plant, named like the pin.

    Output wires (driven by a Pin in OUT mode): cmd is what the board drives;
    value is what the plant sees, which differs while `stuck` (None, 0 or 1)
    holds a failed actuator. Input wires (set by the plant): value is 0/1 for a
    switch, or an integer 0..100 (% or degC) for an analog sensor; `forced`
    (None, or a raw reading: 0/1, or 0..65535 for analog) replaces what the
    plant says while a sensor has failed. `fault` is the plant model's own
    flag (tank_plant), not visible to the firmware."""

    def __init__(self, name, output, analog=False):
        self.name = name
        self.output = output
        self.analog = analog
        self.cmd = 0
        self.value = 0
        self.stuck = None
        self.forced = None
        self.fault = False

    def drive(self, v):
        self.cmd = v
        self.value = v if self.stuck is None else self.stuck

    def raw(self):
        """What a Pin (0/1) or an ADC (u16, 0..100 linear, rounded up) reads."""
        f = self.forced
        if f is not None:
            if f < 0:
                raise OSError(5)  # EIO: the converter or its bus has failed
            return f
        v = self.value
        if not self.analog:
            return 1 if v else 0
        return 0 if v <= 0 else 65535 if v >= 100 else (v * 65535 + 99) // 100


class Bus:
    def __init__(self):
        self.outputs = {}
        self.inputs = {}


class Hardware:
    def __init__(self):
        self.now_ms = 0
        self.simulated = False  # True once a plant is wired: time.py then follows now_ms
        self.signals = {}
        self.plant = None       # anything with step(dt_ms)
        self.timers = []        # running machine.Timer objects (_due_ms, _period_ms, _periodic, _cb)
        self.wdt_timeout_ms = 0  # 0: no watchdog started
        self.wdt_fed_ms = 0
        self.reset_cause = 1    # machine.PWRON_RESET
        self.input_hook = None  # called during user sleeps: lets the runner see Ctrl-C
        self.pace = None        # callable(sim_ms): waits until wall time reaches sim_ms (None: as fast as possible)
        self.on_advance = None  # callable(now_ms) after each plant step (telemetry)
        # MQTT hook (issue 5): the runner sets broker = (host, port) from
        # --broker; the board layer reads it to connect the firmware's client.
        self.broker = None

    # --- wiring (before the firmware runs) ----------------------------------

    def add_signal(self, name, output, analog=False):
        if name in self.signals:
            raise ValueError("signal defined twice: " + name)
        s = self.signals[name] = Signal(name, output, analog)
        return s

    def wire(self, layout):
        """Create the wires of a plant layout (tank_plant.demo_layout) and
        return a bus (.outputs, .inputs: name -> Signal) for the plant model."""
        self.simulated = True
        bus = Bus()
        for n in layout["outputs"]:
            bus.outputs[n] = self.add_signal(n, True)
        for n in layout.get("analog", ()):
            bus.inputs[n] = self.add_signal(n, False, True)
        for n in layout.get("switches", ()):
            bus.inputs[n] = self.add_signal(n, False)
        for n in layout.get("motors", ()):
            bus.inputs[n + "_run"] = self.add_signal(n + "_run", False)
        return bus

    def signal(self, name, user):
        """The wire of pin id `name` for a "pin" or an "adc". Unknown ids
        become unwired outputs (a status LED); an ADC needs an analog wire
        (Pin refuses to drive plant inputs)."""
        s = self.signals.get(name)
        if s is None:
            if user == "adc":
                raise ValueError("no analog input named %r on this plant" % (name,))
            s = self.add_signal(name, True)
        if user == "adc" and not s.analog:
            raise ValueError("pin %r is not an analog input" % (name,))
        return s

    def outputs_released(self):
        """Hard reset: every pin floats, so every output reads 0 at the plant."""
        for s in self.signals.values():
            if s.output:
                s.drive(0)

    # --- faults (from tests, sim scenarios or the REPL: `import vhw`) ------

    def stick(self, name, value):
        """Actuator `name` stays at value (0 or 1) whatever is driven; None frees it."""
        s = self.signals[name]
        s.stuck = value
        s.drive(s.cmd)

    def fail_sensor(self, name, raw):
        """Sensor `name` reads `raw` from now on: "low" (0: disconnected,
        open loop), "high" (full scale: shorted), "error" (every read raises
        OSError: the converter failed), an int raw value, or None (repaired)."""
        s = self.signals[name]
        full = 65535 if s.analog else 1
        s.forced = {"low": 0, "high": full, "error": -1}.get(raw, raw)

    # --- timers and watchdog (machine.Timer / machine.WDT) ------------------

    def timer_start(self, t):
        t._due_ms = self.now_ms + t._period_ms
        if t not in self.timers:
            self.timers.append(t)

    def timer_stop(self, t):
        if t in self.timers:
            self.timers.remove(t)

    def stop_all_timers(self):
        self.timers = []
        self.wdt_timeout_ms = 0

    def next_due_ms(self):
        due = self.now_ms + PLANT_STEP_MS
        for t in self.timers:
            if t._due_ms < due:
                due = t._due_ms
        return due

    def _fire(self):
        for t in self.timers[:]:  # a callback may start or stop timers
            if t._due_ms <= self.now_ms:
                if t._periodic:
                    t._due_ms += t._period_ms
                else:
                    self.timers.remove(t)
                try:
                    t._cb(t)
                except Exception as e:
                    print("Uncaught exception in Timer callback")
                    sys.print_exception(e)

    # --- time -------------------------------------------------------------

    def advance_to(self, until_ms):
        """Move the plant and fire timers up to simulated time until_ms."""
        while self.now_ms < until_ms:
            due = self.next_due_ms()
            if due > until_ms:
                due = until_ms
            dt = due - self.now_ms
            if self.plant is not None:
                self.plant.step(dt)
            self.now_ms = due
            if self.on_advance is not None:
                self.on_advance(due)
            if self.wdt_timeout_ms and due - self.wdt_fed_ms > self.wdt_timeout_ms:
                self.reset_cause = 3  # machine.WDT_RESET
                raise HardReset("watchdog")
            self._fire()

    def sleep_ms(self, ms):
        """time.sleep_ms from user code: time passes, timers fire, the plant moves."""
        end = self.now_ms + ms
        while self.now_ms < end:
            if self.input_hook is not None:
                self.input_hook()
            step_end = min(end, self.now_ms + PLANT_STEP_MS)
            if self.pace is not None:
                self.pace(step_end)
            self.advance_to(step_end)


hw = Hardware()


def parse_fault(spec):
    """"T:KIND:NAME[=VALUE]" (T in simulated seconds) -> (t_ms, kind, name, value)."""
    t, kind, rest = spec.split(":", 2)
    name, _, value = rest.partition("=")
    if kind not in _FAULTS:
        raise ValueError("fault kind must be one of %s: %r" % (", ".join(_FAULTS), spec))
    return (int(float(t) * 1000), kind, name, value)


def apply_fault(kind, name, value):
    """stick:t1_fill=0|1|free  sensor:t1_level=low|high|error|ok|<raw>
    leak:t1=<milli-% per s>  trip:t1_mixer[=0 to reset]  level:t1=<%>"""
    if kind == "stick":
        hw.stick(name, None if value == "free" else int(value))
    elif kind == "sensor":
        hw.fail_sensor(name, None if value == "ok" else int(value) if value.isdigit() else value)
    elif kind == "leak":
        hw.plant.tank(name).leak_mpct_per_s = int(value)
    elif kind == "trip":
        (hw.plant.motors.tripped.discard if value == "0" else hw.plant.motors.tripped.add)(name)
    elif kind == "level":
        hw.plant.tank(name).level_mpct = int(value) * 1000


_FAULTS = ("stick", "sensor", "leak", "trip", "level")
