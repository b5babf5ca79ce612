# Raspberry Pi Pico W wired for one batch tank of the demo plant (deploy
# boards/config_1tank.py as config.py). Relays: an active-low relay module on
# GP2..GP10 (IN low = energised). Sensors: 4-20 mA transmitters over a
# 150 ohm shunt (0.60..3.00 V) on GP26 and GP27 (ADC0, ADC1); switches close
# to GND (pull-up). GP23..GP25 and GP29 belong to the wireless chip.
# Wiring and commissioning: docs/boards.md. Validated at load (boardcheck).
from sluice.io import drivers
from sluice.io.boardcheck import PICO_W
from sluice.io.wiring import analog, relay, switch

FAMILY = PICO_W
WATCHDOG_MS = 5000   # RP2040 maximum: 8388

# read_u16 at 4 mA and 20 mA (nominal; replace with readings taken on site),
# and the raw limits outside which the loop counts as broken or shorted.
_LOOP = {"raw": (11916, 59578), "fault_below": 10000, "fault_above": 62500}

WIRING = {
    "t1_fill":    relay(2, active_low=True, pair="t1_drain", dead_ms=500),
    "t1_drain":   relay(3, active_low=True),
    "t1_outlet":  relay(4, active_low=True),
    "t1_mixer":   relay(5, active_low=True, min_off_ms=3000,
                        feedback="t1_mixer_run", feedback_ms=2000),
    "t1_heater":  relay(6, active_low=True),
    "t1_dose":    relay(7, active_low=True),
    "t1_sample":  relay(8, active_low=True),
    "pump_a":     relay(9, active_low=True, min_off_ms=2000),
    "pump_b":     relay(10, active_low=True, min_off_ms=2000),
    "t1_high":    switch(12, active_low=True, pull="up", debounce_ms=100),
    "t1_mixer_run": switch(11, active_low=True, pull="up", debounce_ms=50),
    "t1_level":   analog(26, eng=(0, 100), **_LOOP),   # %
    "t1_temp":    analog(27, eng=(0, 100), **_LOOP),   # degC
}

TIMER_PERIODIC = drivers.timer_periodic()


def wiring(outputs=(), inputs=()):
    return WIRING


def outputs_safe():
    drivers.outputs_safe(FAMILY, WIRING)


def make_io(outputs, inputs):
    return drivers.make_io(FAMILY, WIRING, outputs, inputs)


def make_timer(index=0):
    return drivers.timer(-1)  # software timers: any number


def make_watchdog():
    return drivers.watchdog(WATCHDOG_MS) if WATCHDOG_MS else None


reset_was_soft = drivers.reset_was_soft
