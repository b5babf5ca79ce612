# Validates a board wiring ({io_name: spec} from sluice.io.wiring) against what
# the board's chip can do, at load and on the host (tools/check_config.py).
# Every message names the I/O and the pin. Pure data and checks: no machine.
from sluice.errors import ConfigError
from sluice.io.inputs import SPAN_PRODUCT_MAX
from sluice.io.wiring import ANALOG, RELAY, SWITCH

_TIME_MAX_MS = 1 << 24  # the relays' and inputs' saturating age


class Family:
    """What a chip allows. gpios: usable pin numbers (None: any pin id, the
    virtual board). refused/warned: {pin: reason}. adc: ADC-capable pins, and
    adc_refused {pin: reason} for better messages. input_only: pins that
    cannot drive. no_pull: pins without internal pull resistors."""

    def __init__(self, name, prefix, gpios=None, refused=None, warned=None, adc=(),
                 adc_refused=None, input_only=(), no_pull=(), strap_high=()):
        self.name = name
        self.prefix = prefix
        self.gpios = gpios
        self.refused = refused or {}
        self.warned = warned or {}
        self.adc = adc
        self.adc_refused = adc_refused or {}
        self.input_only = input_only
        self.no_pull = no_pull
        self.strap_high = strap_high  # pins that must not be pulled high at reset

    def pin_name(self, pin):
        return "%s%s" % (self.prefix, pin) if self.prefix else repr(pin)

    def pin_errors(self, name, s, errors, warnings):
        """Append what is wrong with spec s's pin for its kind."""
        pin, kind = s["pin"], s["kind"]
        pn = self.pin_name(pin)
        if self.gpios is None:
            if not isinstance(pin, (str, int)):
                errors.append("%s: pin id %r must be a str or an int" % (name, pin))
            return
        if not isinstance(pin, int) or isinstance(pin, bool) or pin not in self.gpios:
            errors.append("%s: %s is not a usable pin on %s" % (name, pn, self.name))
            return
        if pin in self.refused:
            errors.append("%s: %s %s" % (name, pn, self.refused[pin]))
            return
        if kind == RELAY and pin in self.input_only:
            errors.append("%s: %s is input-only and cannot drive a relay" % (name, pn))
        if kind == ANALOG and pin not in self.adc:
            why = self.adc_refused.get(pin, "has no ADC")
            errors.append("%s: %s %s (ADC pins: %s)" % (
                name, pn, why, ", ".join(self.pin_name(p) for p in self.adc)))
        if kind == SWITCH and s["pull"] and pin in self.no_pull:
            errors.append("%s: %s has no internal pull resistor: fit an external one and set pull=None" % (name, pn))
        if pin in self.strap_high and ((kind == RELAY and s["active_low"]) or (kind == SWITCH and s["pull"] == "up")):
            errors.append("%s: %s %s; an active-low relay or pull-up holds it high" % (name, pn, self.warned[pin]))
        elif pin in self.warned:
            warnings.append("%s: %s %s" % (name, pn, self.warned[pin]))


_ESP32_ADC2 = "is on ADC2, which is unusable while WiFi is on"
ESP32 = Family(
    "ESP32-WROOM-32", "GPIO",
    gpios=tuple(range(0, 20)) + (21, 22, 23, 25, 26, 27, 32, 33, 34, 35, 36, 39),
    refused={6: "is wired to the SPI flash", 7: "is wired to the SPI flash",
             8: "is wired to the SPI flash", 9: "is wired to the SPI flash",
             10: "is wired to the SPI flash", 11: "is wired to the SPI flash",
             1: "is UART0 TX (the REPL and mpremote)", 3: "is UART0 RX (the REPL and mpremote)"},
    warned={0: "is a strapping pin (low at reset enters the bootloader)",
            2: "is a strapping pin (must be low or floating at reset)",
            5: "is a strapping pin (SDIO timing; high at reset)",
            12: "is a strapping pin (high at reset selects 1.8 V flash: no boot)",
            15: "is a strapping pin (boot log; high at reset)"},
    adc=(32, 33, 34, 35, 36, 39),
    adc_refused={p: _ESP32_ADC2 for p in (0, 2, 4, 12, 13, 14, 15, 25, 26, 27)},
    input_only=(34, 35, 36, 37, 38, 39),
    no_pull=(34, 35, 36, 37, 38, 39),
    strap_high=(12,),
)

_CYW43 = "is reserved for the wireless chip (CYW43)"
PICO_W = Family(
    "Raspberry Pi Pico W (RP2040)", "GP",
    gpios=tuple(range(0, 30)),
    refused={23: _CYW43 + " power", 24: _CYW43 + " data", 25: _CYW43 + " chip select",
             29: _CYW43 + " clock and VSYS sense"},
    adc=(26, 27, 28),
)

VIRTUAL = Family("virtual board", "")


def validate(family, wiring):
    """(errors, warnings): lists of messages, empty when the wiring is good."""
    errors, warnings = [], []
    by_pin = {}
    for name in sorted(wiring):
        s = wiring[name]
        kind = s.get("kind") if isinstance(s, dict) else None
        if kind not in (RELAY, SWITCH, ANALOG):
            errors.append("%s: not a relay(), switch() or analog() spec" % name)
            continue
        pin = s["pin"]
        key = (type(pin).__name__, pin)
        if key in by_pin:
            errors.append("%s: %s used twice (%s and %s)" % (name, family.pin_name(pin), by_pin[key], name))
            continue
        by_pin[key] = name
        family.pin_errors(name, s, errors, warnings)
        if kind == RELAY:
            _check_relay(wiring, name, s, errors)
        elif kind == SWITCH:
            _times(name, s, ("debounce_ms",), errors)
            if s["pull"] not in (None, "up", "down"):
                errors.append("%s: pull must be None, 'up' or 'down'" % name)
        else:
            _check_analog(name, s, errors)
    return errors, warnings


def check(family, wiring):
    """Raise ConfigError listing every error; return the warnings."""
    errors, warnings = validate(family, wiring)
    if errors:
        raise ConfigError("; ".join(errors))
    return warnings


def _times(name, s, keys, errors):
    for k in keys:
        v = s[k]
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= _TIME_MAX_MS:
            errors.append("%s: %s must be an int 0..%d, got %r" % (name, k, _TIME_MAX_MS, v))


def _check_relay(wiring, name, s, errors):
    _times(name, s, ("min_on_ms", "min_off_ms", "dead_ms", "feedback_ms"), errors)
    if s["safe"] not in (0, 1):
        errors.append("%s: safe must be 0 or 1" % name)
    fb = s["feedback"]
    if fb is not None and wiring.get(fb, {}).get("kind") != SWITCH:
        errors.append("%s: feedback %s is not a switch() input" % (name, fb))
    other = s["pair"]
    if other is None:
        return
    o = wiring.get(other)
    if other == name or o is None or o.get("kind") != RELAY:
        errors.append("%s: pair %s is not another relay" % (name, other))
    elif o["pair"] not in (None, name):
        errors.append("%s: pair %s is already paired with %s" % (name, other, o["pair"]))
    elif o["pair"] == name and o["dead_ms"] != s["dead_ms"]:
        errors.append("%s: pair %s names it back with another dead_ms" % (name, other))
    elif s["safe"] or o["safe"]:
        errors.append("%s: an exclusive pair must be safe when off (safe=0 on %s and %s)" % (name, name, other))


def _check_analog(name, s, errors):
    _times(name, s, ("fault_ms",), errors)
    try:
        (rl, rh), (el, eh) = s["raw"], s["eng"]
    except (TypeError, ValueError):
        errors.append("%s: raw and eng must be (low, high) pairs" % name)
        return
    for v in (rl, rh, el, eh):
        if not isinstance(v, int) or isinstance(v, bool):
            errors.append("%s: calibration points must be ints, got %r" % (name, v))
            return
    if not 0 <= rl < rh <= 65535:
        errors.append("%s: raw calibration needs 0 <= low < high <= 65535, got %d, %d" % (name, rl, rh))
    elif (rh - rl) * abs(eh - el) > SPAN_PRODUCT_MAX:
        errors.append("%s: raw span * eng span over %d: use coarser units" % (name, SPAN_PRODUCT_MAX))
    fs = s["filter_shift"]
    if fs not in range(9):
        errors.append("%s: filter_shift must be 0..8" % name)
    if s["fault_below"] > rl or s["fault_above"] < rh:
        errors.append("%s: fault limits %d, %d must lie outside the calibration range %d..%d" % (
            name, s["fault_below"], s["fault_above"], rl, rh))
