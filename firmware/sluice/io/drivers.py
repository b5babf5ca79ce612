# The I/O driver layer: the only firmware module that touches `machine`, and
# only inside functions, so everything imports on the host. Board files pass
# these factories to sluice.io.wiring.build_io. Pin ids are ints on real boards
# and I/O names on the virtual board (its simulated machine accepts strings).


def pin_out(pin, level):
    """An output pin set to `level` as it becomes an output (no glitch)."""
    from machine import Pin
    return Pin(pin, Pin.OUT, value=level)


def pin_in(pin, pull=None):
    """pull: None, "up" or "down"."""
    from machine import Pin
    if pull is None:
        return Pin(pin, Pin.IN)
    return Pin(pin, Pin.IN, Pin.PULL_UP if pull == "up" else Pin.PULL_DOWN)


def adc(pin, atten=None):
    """An ADC with read_u16(). atten: ESP32 attenuation name, e.g. "ATTN_11DB"
    (input range ~0.15..2.45 V); ignored where the port has none."""
    from machine import ADC, Pin
    a = ADC(Pin(pin)) if isinstance(pin, int) else ADC(pin)
    if atten is not None and hasattr(ADC, atten):
        a.atten(getattr(ADC, atten))
    return a


def timer(timer_id=-1):
    from machine import Timer
    return Timer(timer_id)


def timer_periodic():
    try:
        from machine import Timer
        return Timer.PERIODIC
    except (ImportError, AttributeError):  # the host's machine has no Timer
        return 1  # Timer.PERIODIC on esp32 and rp2


def watchdog(timeout_ms):
    from machine import WDT
    return WDT(timeout=timeout_ms)


def reset_was_soft():
    """True after a soft reset (Ctrl-D, machine.soft_reset(), mpremote)."""
    try:
        import machine
        return machine.reset_cause() == machine.SOFT_RESET
    except (ImportError, AttributeError):
        return False


def outputs_safe(family, wiring):
    """Boot, before anything else: every relay pin to its safe level. A relay
    whose own pin is refused is left alone; then any wiring error is raised."""
    from sluice.io.boardcheck import check
    from sluice.io.wiring import RELAY, safe_level
    for name, s in wiring.items():
        if isinstance(s, dict) and s.get("kind") == RELAY:
            errors = []
            family.pin_errors(name, s, errors, [])
            if not errors:
                pin_out(s["pin"], safe_level(s))
    check(family, wiring)


def make_io(family, wiring, outputs, inputs, atten=None):
    """Validate the wiring, then build the IoImage with real drivers."""
    from sluice.io.boardcheck import check
    from sluice.io.wiring import build_io
    check(family, wiring)
    return build_io(wiring, outputs, inputs, pin_out, pin_in,
                    lambda pin: adc(pin, atten))
