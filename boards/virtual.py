# The virtual board: the simulated `machine` (tools/vboard/machine.py) takes
# I/O names as pin ids, so the wiring is made from the names the plant asks
# for. Outputs are active-high relays; each tank's fill and drain valves are
# an exclusive pair. Inputs named *_level or *_temp are ADCs calibrated
# linearly 0..65535 -> 0..100 (%, degC), lightly filtered; the others are
# debounced switches. Every mixer and pump_* relay has running feedback on
# "<name>_run" (the simulated plant's motors). With the full-scale linear
# calibration a disconnected sensor reads 0 %: only a read_u16() that raises
# shows as a sensor fault here (the real boards use 4-20 mA fault limits).
from sluice.io import drivers
from sluice.io.boardcheck import VIRTUAL
from sluice.io.wiring import analog, relay, switch

FAMILY = VIRTUAL
ANALOG_SUFFIXES = ("_level", "_temp")
PAIRS = (("_fill", "_drain"),)   # exclusive per tank: never both open
DEAD_MS = 500                    # both closed at least this long between them
FEEDBACK_MS = 2000               # motor started but no running feedback: fault
# read_u16 at 0 and 100 (%, degC), and the raw limits of a healthy sensor.
# Full scale matches the simulated ADC (vhw.Signal.raw); a simulator with a
# live zero (4-20 mA) would set e.g. (13107, 65535) and (11000, 65536).
ANALOG_RAW = (0, 65535)
ANALOG_FAULT = (-1, 65536)       # (-1, 65536): never out of range
WATCHDOG_MS = 5000
TIMER_PERIODIC = drivers.timer_periodic()


def _is_analog(name):
    for s in ANALOG_SUFFIXES:
        if name.endswith(s):
            return True
    return False


def _is_motor(name):
    return name.endswith("_mixer") or name.startswith("pump_")


def wiring(outputs, inputs):
    """{io_name: spec} for these names, plus motor feedback inputs."""
    w = {}
    for n in outputs:
        if _is_motor(n):
            w[n] = relay(n, feedback=n + "_run", feedback_ms=FEEDBACK_MS)
            w[n + "_run"] = switch(n + "_run")
        else:
            w[n] = relay(n)
    for n in inputs:
        w[n] = analog(n, raw=ANALOG_RAW, eng=(0, 100), filter_shift=1, fault_below=ANALOG_FAULT[0],
                      fault_above=ANALOG_FAULT[1]) if _is_analog(n) else switch(n)
    for n in outputs:
        for a, b in PAIRS:
            other = n[:-len(a)] + b
            if n.endswith(a) and other in w and w[other]["kind"] == "relay":
                w[n]["pair"] = other
                w[n]["dead_ms"] = DEAD_MS
    return w


def _plant_outputs():
    import config
    plant = __import__(config.PLANT, None, None, ("io_names",))
    return plant.io_names(**config.PLANT_ARGS)[0]


def outputs_safe():
    drivers.outputs_safe(FAMILY, wiring(_plant_outputs(), ()))


def make_io(outputs, inputs):
    return drivers.make_io(FAMILY, wiring(outputs, inputs), outputs, inputs)


def make_timer(index=0):
    return drivers.timer(-1)


def make_watchdog():
    return drivers.watchdog(WATCHDOG_MS) if WATCHDOG_MS else None


def mqtt_broker():
    """(host, port) of the broker `make sim` gave the board, or None: MQTT off."""
    from vhw import hw
    return hw.broker


reset_was_soft = drivers.reset_was_soft
