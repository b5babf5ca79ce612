# Runs under micropython: the unchanged firmware (boot.py, sluice.app) on
# boards/virtual.py over the simulated machine and plant (tools/vboard), in
# this process: simulated time moves only through advance(), so tests are
# deterministic and fast. The runner (tools/vboard/runner.py) does the same
# with a flash and a serial line around it.
import sys

import tank_plant
from vhw import hw


class Config:
    PLANT = "plant.demo"
    SCAN_PERIOD_MS = 300

    def __init__(self, tanks):
        self.PLANT_ARGS = {"tanks": tanks}


class VBoardRig:
    def __init__(self, boards_dir, boot_py, tanks=1):
        layout = tank_plant.demo_layout(tanks)
        hw.plant = tank_plant.Plant(hw.wire(layout), layout)
        sys.path.insert(0, boards_dir)
        import virtual
        sys.modules["board"] = virtual
        cfg = Config(tanks)
        sys.modules["config"] = cfg
        exec(open(boot_py).read(), {"__name__": "__main__"})
        from sluice import app, diag
        self.app = app.App(virtual, cfg).start()
        diag.attach(self.app)
        self.kernel = self.app.kernel
        self.hw = hw
        self.plant = hw.plant
        self.events = []      # (t_ms, who, what, detail) of every event, from the scan
        self._seq = 0
        self.kernel.after_scan.append(self._collect)

    def _collect(self, k):
        ev = k.events
        while self._seq < ev.seq:
            e = ev.entry(self._seq)
            self._seq += 1
            if e is not None:
                self.events.append((self.hw.now_ms, e[2], e[3], e[4]))

    def advance_s(self, s):
        self.hw.advance_to(self.hw.now_ms + s * 1000)

    def first(self, who, what):
        """Simulated ms of the first event `what` of `who`, or None."""
        for t, w, x, _ in self.events:
            if w == who and x == what:
                return t
        return None

    def process(self, name):
        p = self.kernel.process(name)
        return {"state": p.state_name, "step": p.step, "fault": p.fault}
