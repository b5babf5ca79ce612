"""boards/virtual.py on the simulated machine (tools/vboard): the demo plant
runs on the same process classes, the pairs and motor feedback work against
the plant model, and good scans feed the simulated watchdog."""
import os

import mpy

BOARDS = os.path.join(mpy.ROOT, "boards")
BOOT = os.path.join(mpy.FIRMWARE, "boot.py")

SETUP = """
import sys
sys.path.insert(0, %r)
import tank_plant
from vhw import hw
layout = tank_plant.demo_layout(2)
hw.plant = tank_plant.Plant(hw.wire(layout), layout)
import virtual
sys.modules["board"] = virtual
class Config:
    PLANT = "plant.demo"
    PLANT_ARGS = {"tanks": 2}
    SCAN_PERIOD_MS = 300
sys.modules["config"] = Config
exec(open(%r).read())            # boot.py
from sluice import app
a = app.App(virtual, Config).start()
k = a.kernel
both = []
def watch(now_ms):               # after every plant step: fill and drain of a tank never both open
    for t in ("t1", "t2"):
        if hw.signals[t + "_fill"].cmd and hw.signals[t + "_drain"].cmd:
            both.append((now_ms, t))
hw.on_advance = watch
""" % (BOARDS, BOOT)


def test_demo_plant_runs_batches_on_the_virtual_board():
    r = mpy.result(SETUP + """
hw.advance_to(600000)            # 10 simulated minutes
report({"batches": [p.batches for p in k.procs if hasattr(p, "batches")],
        "faults": [(p.name, p.fault) for p in k.procs if p.fault], "both": both,
        "fed_ago": hw.now_ms - hw.wdt_fed_ms, "wdt": hw.wdt_timeout_ms,
        "errors": a.scan_timer.scan_errors})
""", heap="1M")
    assert min(r["batches"]) >= 3
    assert r["faults"] == [] and r["both"] == [] and r["errors"] == 0
    assert r["wdt"] == 5000 and r["fed_ago"] <= 300


def test_tripped_mixer_motor_faults_the_mix_process_and_its_batch():
    r = mpy.result(SETUP + """
hw.plant.motors.tripped.add("t1_mixer")   # the motor's overload trips: no running feedback
hw.advance_to(120000)
p = k.process("t1_mix")
report({"mix": (p.state_name, p.fault), "batch": k.process("t1_batch").state_name,
        "mixer": hw.signals["t1_mixer"].cmd, "t2": k.process("t2_batch").state_name,
        "t2_mix_fault": k.process("t2_mix").fault})
""", heap="1M")
    state, text = r["mix"]
    assert state == "faulted" and text.startswith("feedback t1_mixer_run: out=1 fb=0")
    assert r["batch"] == "faulted" and r["mixer"] == 0
    assert r["t2"] == "active" and r["t2_mix_fault"] == ""   # the other tank carries on


def test_a_hung_scan_lets_the_watchdog_reset_the_board():
    r = mpy.result(SETUP + """
from vhw import HardReset
hw.advance_to(10000)
a.scan_timer.stop()              # scans stop (a hang): nothing feeds any more
try:
    hw.advance_to(20000)
    reset = None
except HardReset as e:
    reset = (str(e), hw.now_ms, hw.reset_cause)
report(reset)
""", heap="1M")
    assert r[0] == "watchdog" and 15000 <= r[1] <= 15400 and r[2] == 3
