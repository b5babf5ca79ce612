"""Relay outputs on the real micropython interpreter: safe state at boot,
polarity, exclusive pairs with dead time, minimum on/off times, and feedback
that faults the owning process."""
import os

import mpy

BOARDS = os.path.join(mpy.ROOT, "boards")
CHIP = os.path.join(mpy.ROOT, "host_tests", "mp", "chip")
BOOT = os.path.join(mpy.FIRMWARE, "boot.py")
# The chip stand-in and the board files go first: before tools/vboard's machine.
ON_CHIP = "import sys\nsys.path[:0] = [%r, %r]\n" % (CHIP, BOARDS)


def test_boot_py_makes_every_relay_safe_before_anything_else():
    r = mpy.result(ON_CHIP + """
import machine, sys
import esp32_devkitc as b
relay_pins = sorted(s["pin"] for s in b.WIRING.values() if s["kind"] == "relay")
for p in relay_pins:      # a soft reset leaves pins as they were: all energised (active-low)
    machine.levels[p] = 0
sys.modules["board"] = b
exec(open(%r).read())
first = machine.log[:len(relay_pins)]
report({"relay_pins": relay_pins, "first": first, "log_len": len(machine.log),
        "levels": [machine.levels[p] for p in relay_pins], "wdts": len(machine.wdts)})
""" % BOOT)
    assert len(r["relay_pins"]) == 9
    # the first thing that touches hardware: each relay pin becomes an output at its safe level
    assert sorted(e[1] for e in r["first"]) == r["relay_pins"]
    assert all(e[0] == "Pin" and e[2] == 3 and e[4] == 1 for e in r["first"])  # OUT, level 1 = off (active-low)
    assert r["log_len"] == 9          # and nothing else was touched
    assert r["levels"] == [1] * 9
    assert r["wdts"] == 0             # power-on reset: no maintenance watchdog feed


def test_a_refused_pin_at_boot_still_leaves_every_other_relay_safe():
    r = mpy.result(ON_CHIP + """
import machine
from sluice.errors import ConfigError
import esp32_devkitc as b
b.WIRING["t1_dose"] = b.relay(6, active_low=True)   # a flash pin
try:
    b.outputs_safe()
    err = None
except ConfigError as e:
    err = str(e)
report({"err": err, "driven": sorted(e[1] for e in machine.log)})
""")
    assert r["err"] == "t1_dose: GPIO6 is wired to the SPI flash"
    assert r["driven"] == [16, 17, 18, 19, 21, 23, 25, 26]  # GPIO6 never touched


def test_app_start_keeps_relays_safe_and_drives_active_low():
    r = mpy.result(ON_CHIP + """
import machine
from board_rig import BoardRig
rig = BoardRig("esp32_devkitc")
builds = [e for e in machine.log if e[0] == "Pin" and e[2] == 3]
rig.set_raw("t1_level", rig.raw_for("t1_level", 40))
rig.scan(3)
idle = rig.pin("t1_sample")
rig.kernel.command("t1_sample", "start")
rig.scan(2)
on = rig.pin("t1_sample")
report({"builds": [e[4] for e in builds], "idle": idle, "on": on,
        "value": rig.io.output("t1_sample").value})
""")
    assert r["builds"] == [1] * 9  # each relay pin created at its safe level: no glitch
    assert r["idle"] == 1 and r["on"] == 0 and r["value"] == 1  # energised = pin low


def test_exclusive_pair_never_both_on_and_waits_the_dead_time():
    r = mpy.result(ON_CHIP + """
from machine import Pin, levels
from sluice.io.relay import Relay, pair
f = Relay("fill", Pin(1, Pin.OUT, value=0))
d = Relay("drain", Pin(2, Pin.OUT, value=0))
pair(f, d, 500)
t = 0
trace = []
def run(ms):
    global t
    for _ in range(ms // 100):
        t += 100
        f.write(t)
        d.write(t)
        trace.append((t, levels[1], levels[2]))
run(1000)                # settle after boot (boot counts as both just switched off)
f.on(); d.on()           # both asked at once: the one written first wins
run(300)
both = (f.value, d.value, d.held)
f.off()                  # drain may follow only 500 ms after fill went off
t_off = t + 100
run(1000)
d_on = [x[0] for x in trace if x[0] > t_off and x[2] == 1][0]
d.off(); f.on()          # and back: fill waits for drain's dead time too
t_off2 = t + 100
run(1000)
f_on = [x[0] for x in trace if x[0] > t_off2 and x[1] == 1][0]
report({"both": both, "never_both": all(not (a and b) for _, a, b in trace),
        "gap": d_on - t_off, "gap2": f_on - t_off2})
""")
    assert r["both"] == [1, 0, 1]       # fill on; drain held off
    assert r["never_both"]
    assert r["gap"] == 500 and r["gap2"] == 500


def test_reversing_motor_through_the_kernel_has_dead_time_both_ways():
    r = mpy.result(ON_CHIP + """
from machine import Pin, levels
from sluice.io.image import IoImage
from sluice.io.relay import Relay, pair
from sluice.kernel.clock import ManualClock
from sluice.kernel.kernel import Kernel
from sluice.kernel.process import Process

class Agitate(Process):
    # forward 1 s, reverse 1 s, three times: each step switches direction at once
    steps = ("forward", "reverse") * 3
    def __init__(self, fwd, rev):
        super().__init__("agitate", outputs=(fwd, rev))
        self.f, self.r = fwd, rev
    def forward(self):
        self.r.off(); self.f.on()
        yield self.wait_step_ms(1000)
    def reverse(self):
        self.f.off(); self.r.on()
        yield self.wait_step_ms(1000)

io = IoImage()
fwd = io.add_output(Relay("fwd", Pin(10, Pin.OUT, value=1), active_low=True))
rev = io.add_output(Relay("rev", Pin(11, Pin.OUT, value=1), active_low=True))
pair(fwd, rev, 300)
clock = ManualClock()
k = Kernel(io, clock, period_ms=100)
k.add(Agitate(fwd, rev))
k.command("agitate", "start")
trace = []
for _ in range(90):
    clock.advance(100)
    k.scan()
    trace.append((clock.ticks_ms(), 1 - levels[10], 1 - levels[11]))  # energised = low
changes = []
for i in range(1, len(trace)):
    if trace[i][1:] != trace[i - 1][1:]:
        changes.append(trace[i])
report({"never_both": all(not (a and b) for _, a, b in trace), "changes": changes,
        "state": k.process("agitate").state_name, "outcome": k.process("agitate").outcome})
""")
    assert r["never_both"]
    ch = r["changes"]
    # off->fwd, then each reversal: both off, then the other on >= 300 ms later
    assert [c[1:] for c in ch] == [[1, 0]] + [[0, 0], [0, 1], [0, 0], [1, 0]] * 2 + [[0, 0], [0, 1], [0, 0]]
    for i in range(1, len(ch) - 1, 2):
        assert ch[i + 1][0] - ch[i][0] >= 300
    assert r["state"] == "inactive" and r["outcome"] == 1  # done


def test_min_on_off_times_hold_logic_changes_but_not_an_interlock():
    r = mpy.result(ON_CHIP + """
from machine import Pin, levels
from sluice.io.relay import Relay
p = Relay("pump", Pin(5, Pin.OUT, value=0), min_on_ms=500, min_off_ms=1000)
t = 0
def at(ms, fn=None):
    global t
    while t < ms:
        t += 100
        p.write(t)
    return levels[5]
at(1000)
p.on(); on_at = at(1100)
p.off(); held_on = at(1400); off_after_min_on = at(1600)
p.on(); held_off = at(2500); on_after_min_off = at(2600)
p.off(); p.on(); at(2700)
p.inhibit = 1; cut = at(2800)   # an interlock cuts at once, min_on or not
p.inhibit = 0; rest = at(3000)
report([on_at, held_on, off_after_min_on, held_off, on_after_min_off, cut, rest])
""")
    assert r == [1, 1, 0, 0, 1, 0, 0]


def test_motor_without_running_feedback_faults_its_process():
    r = mpy.result(ON_CHIP + """
from board_rig import BoardRig
rig = BoardRig("esp32_devkitc")
rig.set_raw("t1_level", rig.raw_for("t1_level", 50))
rig.set_raw("t1_temp", rig.raw_for("t1_temp", 20))
rig.scan(30)                       # the mixer's min_off_ms (3 s) counts from boot
k = rig.kernel
k.command("t1_mix", "start")
rig.scan(1)
started = rig.energised("t1_mixer")
rig.scan(19)                       # 2 s without feedback: still running
before = k.process("t1_mix").state_name
rig.scan(2)
p = k.process("t1_mix")
fault = (p.state_name, p.fault, rig.energised("t1_mixer"))
events = [e[3] for e in k.events.recent(10)]
# a healthy motor: reset, start, feedback arrives after 0.5 s
k.command("t1_mix", "reset"); rig.scan(1)
rig.scan(30)                       # min_off_ms=3000 before the mixer may restart
k.command("t1_mix", "start")
rig.scan(5)
rig.set_switch("t1_mixer_run", True)
rig.scan(40)
report({"started": started, "before": before, "fault": fault, "events": events,
        "healthy": (k.process("t1_mix").state_name, rig.energised("t1_mixer"))})
""")
    assert r["started"] and r["before"] == "active"
    state, text, energised = r["fault"]
    assert state == "faulted" and not energised
    assert text.startswith("feedback t1_mixer_run: out=1 fb=0 for 2000 ms")
    assert "fault" in r["events"]
    assert r["healthy"] == ["active", True]
