# ESP32 DevKitC (ESP32-WROOM-32) wired for one batch tank of the demo plant
# (deploy boards/config_1tank.py as config.py). Relays: an 8+1 channel
# active-low relay module (IN low = energised; the module's pull-ups keep it
# off while the pins float at reset). Sensors: 4-20 mA transmitters over a
# 120 ohm shunt (0.48..2.40 V) on ADC1; switches close to GND (pull-up).
# Wiring and commissioning: docs/boards.md. Validated at load (boardcheck).
from sluice.io import drivers
from sluice.io.boardcheck import ESP32
from sluice.io.wiring import analog, relay, switch

FAMILY = ESP32
ADC_ATTEN = "ATTN_11DB"   # ~0.15..2.45 V measured range
WATCHDOG_MS = 5000

# read_u16 at 4 mA and 20 mA (nominal; replace with readings taken on site),
# and the raw limits outside which the loop counts as broken or shorted.
_LOOP = {"raw": (9533, 47662), "fault_below": 8000, "fault_above": 51000}

WIRING = {
    "t1_fill":    relay(16, active_low=True, pair="t1_drain", dead_ms=500),
    "t1_drain":   relay(17, active_low=True),
    "t1_outlet":  relay(18, active_low=True),
    "t1_mixer":   relay(19, active_low=True, min_off_ms=3000,
                        feedback="t1_mixer_run", feedback_ms=2000),
    "t1_heater":  relay(21, active_low=True),
    "t1_dose":    relay(22, active_low=True),
    "t1_sample":  relay(23, active_low=True),
    "pump_a":     relay(25, active_low=True, min_off_ms=2000),
    "pump_b":     relay(26, active_low=True, min_off_ms=2000),
    "t1_high":    switch(27, active_low=True, pull="up", debounce_ms=100),
    "t1_mixer_run": switch(14, active_low=True, pull="up", debounce_ms=50),
    "t1_level":   analog(36, eng=(0, 100), **_LOOP),   # %
    "t1_temp":    analog(39, eng=(0, 100), **_LOOP),   # degC
}

TIMER_PERIODIC = drivers.timer_periodic()


def wiring(outputs=(), inputs=()):
    return WIRING


def outputs_safe():
    drivers.outputs_safe(FAMILY, WIRING)


def make_io(outputs, inputs):
    return drivers.make_io(FAMILY, WIRING, outputs, inputs, ADC_ATTEN)


def make_timer(index=0):
    return drivers.timer(index)  # hardware timers 0..3; no virtual timers


def make_watchdog():
    return drivers.watchdog(WATCHDOG_MS) if WATCHDOG_MS else None


reset_was_soft = drivers.reset_was_soft
