# The demo plant: N batch tanks (8 by default: 64 processes). Each tank has a
# fill valve, a drain valve, an outlet valve, a mixer motor, a heater, a dosing
# pump and a sample valve; a level (%) and temperature (degC) sensor and a
# high-level float switch. Tanks share transfer pumps (one per 4 tanks, at
# least 2), a water supply that feeds 3 valves at once and a power budget of
# 3 motors at once. Interlocks: high level (sensor, or the float switch)
# stops filling, low level keeps the mixer off; a failed level sensor trips both.
from plant.tank_processes import (DoseTank, FillTank, HeatTank, MixTank, RinseTank,
                                  SampleTank, TankBatch, TransferTank)

TANK_OUTPUTS = ("fill", "drain", "outlet", "mixer", "heater", "dose", "sample")
TANK_INPUTS = ("level", "temp", "high")  # level %, temp degC, high float switch (1 = wet)
PROCESSES_PER_TANK = 8
HIGH_LEVEL_PCT = 95
MIXER_MIN_LEVEL_PCT = 10


def tank_name(i):
    return "t%d" % (i + 1)


def pump_count(tanks):
    return max(2, (tanks + 3) // 4)


def pump_name(tanks, i):
    return "pump_%s" % chr(ord("a") + i % pump_count(tanks))


def io_names(tanks=8):
    """(outputs, inputs): every I/O name the plant needs, for the board layer."""
    outs = [pump_name(tanks, i) for i in range(pump_count(tanks))]
    ins = []
    for i in range(tanks):
        t = tank_name(i)
        outs += [t + "_" + o for o in TANK_OUTPUTS]
        ins += [t + "_" + n for n in TANK_INPUTS]
    return outs, ins


def build(k, tanks=8):
    """Add the demo plant's resources, processes and interlocks to kernel k,
    whose io already holds every name from io_names(tanks)."""
    io = k.io
    k.add_resource("water", 3)
    k.add_resource("power", 3)
    for i in range(pump_count(tanks)):
        k.add_resource(pump_name(tanks, i), 1)
    for i in range(tanks):
        t = tank_name(i)
        out = {o: io.output(t + "_" + o) for o in TANK_OUTPUTS}
        level = io.input(t + "_level")
        high = io.input(t + "_high")
        pump = pump_name(tanks, i)
        procs = (
            FillTank(t + "_fill", out["fill"], level),
            DoseTank(t + "_dose", out["dose"], 5000),
            MixTank(t + "_mix", out["mixer"], 30000),
            HeatTank(t + "_heat", out["heater"], io.input(t + "_temp")),
            SampleTank(t + "_sample", out["sample"], 2000),
            TransferTank(t + "_transfer", out["outlet"], io.output(pump), level, pump),
            RinseTank(t + "_rinse", out["fill"], out["drain"], level),
        )
        for p in procs:
            k.add(p)
        k.add(TankBatch(t + "_batch", *procs))
        k.add_interlock(t + "_high_level", input=level, high=HIGH_LEVEL_PCT,
                        outputs=(t + "_fill",), stops=(t + "_fill",))
        k.add_interlock(t + "_high_switch", input=high, high=1,
                        outputs=(t + "_fill",), stops=(t + "_fill",))
        k.add_interlock(t + "_mixer_dry", input=level, low=MIXER_MIN_LEVEL_PCT,
                        outputs=(t + "_mixer",))
