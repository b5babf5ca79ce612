# Runs under micropython: a real board file (boards/*.py) over the chip
# stand-in (mp/chip/machine.py), with the demo plant and a manual clock.
import sys

import machine
from sluice.app import App
from sluice.kernel.clock import ManualClock


class Config:
    PLANT = "plant.demo"
    PLANT_ARGS = {"tanks": 1}
    SCAN_PERIOD_MS = 100


class BoardRig:
    """App built on board module `board_name`; scan() advances the clock by
    one period first. pin(name) is the level on the pin wired to `name`."""

    def __init__(self, board_name="esp32_devkitc", config=Config):
        self.board = __import__(board_name)
        sys.modules["board"] = self.board
        self.clock = ManualClock()
        self.app = App(self.board, config, clock=self.clock)
        self.kernel = self.app.kernel
        self.io = self.app.io
        self.period_ms = config.SCAN_PERIOD_MS

    def wiring(self, name):
        return self.board.WIRING[name]

    def pin(self, name):
        return machine.levels.get(self.wiring(name)["pin"])

    def energised(self, name):
        s = self.wiring(name)
        return machine.levels.get(s["pin"]) == (0 if s["active_low"] else 1)

    def set_raw(self, name, value):
        machine.raw[self.wiring(name)["pin"]] = value

    def set_switch(self, name, active):
        s = self.wiring(name)
        machine.world[s["pin"]] = (0 if active else 1) if s["active_low"] else (1 if active else 0)

    def scan(self, n=1):
        for _ in range(n):
            self.clock.advance(self.period_ms)
            self.kernel.scan()

    def raw_for(self, name, eng):
        """The read_u16 value that calibrates to `eng` on input `name`."""
        s = self.wiring(name)
        (rl, rh), (el, eh) = s["raw"], s["eng"]
        return rl + (eng - el) * (rh - rl) // (eh - el) + 1
