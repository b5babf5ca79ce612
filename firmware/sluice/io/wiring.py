# Board wiring: which pin (and how) carries each I/O name. A board file
# (boards/*.py) holds {io_name: spec}; specs are plain dicts made by relay(),
# switch() and analog() so they can be validated on the host (boardcheck)
# before any pin is touched. build_io turns a validated wiring into the
# IoImage the kernel uses, with drivers from the board's factories.
from sluice.errors import ConfigError
from sluice.io.image import IoImage
from sluice.io.inputs import Analog, Switch
from sluice.io.relay import Relay, pair

RELAY = "relay"
SWITCH = "switch"
ANALOG = "analog"


def relay(pin, active_low=False, safe=0, min_on_ms=0, min_off_ms=0,
          pair=None, dead_ms=0, feedback=None, feedback_ms=2000):
    """A relay channel. safe: the logical state at boot, halt and fault
    (0 = de-energised). pair: the I/O name of an exclusive partner relay (name
    it on one side; dead_ms applies both ways). feedback: the I/O name of a
    switch() that reads 1 while the load runs."""
    return {"kind": RELAY, "pin": pin, "active_low": active_low, "safe": safe,
            "min_on_ms": min_on_ms, "min_off_ms": min_off_ms, "pair": pair,
            "dead_ms": dead_ms, "feedback": feedback, "feedback_ms": feedback_ms}


def switch(pin, active_low=False, pull=None, debounce_ms=50):
    """A digital input. pull: None (external resistor), "up" or "down"."""
    return {"kind": SWITCH, "pin": pin, "active_low": active_low, "pull": pull,
            "debounce_ms": debounce_ms}


def analog(pin, raw=(0, 65535), eng=(0, 100), filter_shift=2,
           fault_below=-1, fault_above=65536, fault_ms=500):
    """An ADC channel: raw (read_u16 at two calibration points) -> eng
    (integer engineering units at those points). fault_below/fault_above:
    raw limits outside which the sensor counts as failed."""
    return {"kind": ANALOG, "pin": pin, "raw": raw, "eng": eng, "filter_shift": filter_shift,
            "fault_below": fault_below, "fault_above": fault_above, "fault_ms": fault_ms}


def safe_level(spec):
    """Pin level of a relay spec's safe state."""
    return (1 if spec["safe"] else 0) ^ (1 if spec["active_low"] else 0)


def build_io(wiring, outputs, inputs, pin_out=None, pin_in=None, adc=None):
    """IoImage holding every wired channel. outputs, inputs: the names the
    plant needs (ConfigError naming the first that is missing or of the wrong
    kind). pin_out(pin, level), pin_in(pin, pull), adc(pin) make drivers; None
    builds a dry image without drivers (host checks). Call boardcheck first."""
    for n in outputs:
        _need(wiring, n, (RELAY,), "output")
    for n in inputs:
        _need(wiring, n, (SWITCH, ANALOG), "input")
    io = IoImage()
    for name, s in wiring.items():  # inputs first: relays refer to feedback inputs
        k = s["kind"]
        if k == SWITCH:
            src = pin_in(s["pin"], s["pull"]) if pin_in else None
            io.add_input(Switch(name, src, s["active_low"], s["debounce_ms"]))
        elif k == ANALOG:
            src = adc(s["pin"]) if adc else None
            (rl, rh), (el, eh) = s["raw"], s["eng"]
            io.add_input(Analog(name, src, rl, rh, el, eh, s["filter_shift"],
                                s["fault_below"], s["fault_above"], s["fault_ms"]))
    for name, s in wiring.items():
        if s["kind"] == RELAY:
            drv = pin_out(s["pin"], safe_level(s)) if pin_out else None
            fb = io.input(s["feedback"]) if s["feedback"] else None
            io.add_output(Relay(name, drv, s["safe"], s["active_low"], s["min_on_ms"],
                                s["min_off_ms"], fb, s["feedback_ms"]))
    for name, s in wiring.items():
        if s["kind"] == RELAY and s["pair"]:
            pair(io.output(name), io.output(s["pair"]), s["dead_ms"])
    return io


def _need(wiring, name, kinds, what):
    s = wiring.get(name)
    if s is None:
        raise ConfigError("board wires no %s %s" % (what, name))
    if s["kind"] not in kinds:
        raise ConfigError("%s: the plant needs an %s, the board wires it as %s()" % (name, what, s["kind"]))
