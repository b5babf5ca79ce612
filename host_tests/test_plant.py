"""The simulated plant under the unchanged firmware, on the real micropython:
filling time, a stuck valve, failed sensors, leaks and motor feedback.
Everything runs in simulated time (tools/vboard/vhw.py), so it is exact."""
import os

import mpy

RIG = """
from vboard_rig import VBoardRig
rig = VBoardRig(%r, %r, tanks=%d)
hw = rig.hw
"""


def rig(tanks=1):
    return RIG % (os.path.join(mpy.ROOT, "boards"), os.path.join(mpy.FIRMWARE, "boot.py"), tanks)


def test_plant_model_alone_fills_at_its_rate():
    r = mpy.result("""
import tank_plant
from vhw import hw
layout = tank_plant.demo_layout(1)
hw.plant = tank_plant.Plant(hw.wire(layout), layout)
hw.signals["t1_fill"].drive(1)
hw.advance_to(32000)
at_32 = hw.plant.tank("t1").level_mpct
hw.advance_to(40000)
at_40 = hw.plant.tank("t1").level_mpct
high = hw.signals["t1_high"].raw()
hw.signals["t1_fill"].drive(0)
hw.signals["t1_drain"].drive(1)
hw.advance_to(45000)
report([at_32, at_40, hw.plant.tank("t1").level_mpct, [high, hw.signals["t1_high"].raw()],
        hw.signals["t1_level"].raw()])
""")
    at_32, at_40, drained, high, raw = r
    assert at_32 == 80000            # 2.5 %/s for 32 s
    assert at_40 == 100000           # full: clamped
    assert drained == 80000          # 4 %/s for 5 s
    assert high == [1, 0]            # float switch wet above 97 %, dry again at 80 %
    assert raw == (80 * 65535 + 99) // 100


def test_tank_fills_through_its_valve_in_the_expected_time():
    r = mpy.result(rig() + """
rig.advance_s(40)
report({"fill_done": rig.first("t1_fill", "done"),
        "level": hw.plant.tank("t1").level_mpct, "valve": hw.signals["t1_fill"].cmd,
        "events": rig.events[:6], "fill": rig.process("t1_fill")})
""", heap="1M")
    # 80 % at 2.5 %/s = 32 s after the valve opens at the first scan (300 ms);
    # the analog filter and the scan period add at most a few scans.
    done = r["fill_done"]
    assert done is not None, r["events"]
    assert 32300 <= done <= 33800, done
    assert 80000 <= r["level"] <= 84000, r["level"]   # closed at the target (dosing adds 0.1 %/s)
    assert r["fill"]["state"] == "inactive" and r["fill"]["fault"] == ""


def test_stuck_valve_ends_in_a_step_timeout_fault():
    r = mpy.result(rig() + """
hw.stick("t1_fill", 0)           # the valve stays shut whatever the relay does
rig.advance_s(200)
report({"fill": rig.process("t1_fill"), "batch": rig.process("t1_batch"),
        "relay": hw.signals["t1_fill"].cmd, "level": hw.plant.tank("t1").level_mpct,
        "fault_at": rig.first("t1_fill", "fault")})
""", heap="1M")
    assert r["fill"]["state"] == "faulted"
    assert r["fill"]["fault"].startswith("step fill: timeout after 180")   # _FILL_TIMEOUT_MS
    assert 180000 <= r["fault_at"] <= 181500
    assert r["batch"]["state"] == "faulted"        # a faulted child faults the sequence
    assert r["relay"] == 0 and r["level"] == 0     # output back to safe; nothing flowed


def test_failed_level_sensor_trips_the_interlocks_and_stops_filling():
    r = mpy.result(rig() + """
rig.advance_s(10)                # filling: about 25 %
before = (hw.signals["t1_fill"].cmd, hw.plant.tank("t1").level_mpct)
hw.fail_sensor("t1_level", "error")     # the converter fails: every read raises
rig.advance_s(5)
k = rig.kernel
report({"before": before, "tripped": [i.name for i in k.interlocks if i.tripped],
        "fill": rig.process("t1_fill"), "relay": hw.signals["t1_fill"].cmd,
        "trip_at": rig.first("t1_high_level", "interlock tripped"),
        "level_input_fault": k.io.input("t1_level").fault,
        "restart_refused": _r(k)})
""".replace("report(", """
def _r(k):
    try:
        k.command("t1_fill", "start")
        return None
    except Exception as e:
        return str(e)
report(""", 1), heap="1M")
    assert r["before"][0] == 1 and 20000 <= r["before"][1] <= 30000
    assert r["level_input_fault"] is True
    assert "t1_high_level" in r["tripped"] and "t1_mixer_dry" in r["tripped"]
    assert 10000 < r["trip_at"] <= 11500               # within the input's fault_ms and a scan
    assert r["fill"]["state"] == "inactive" and r["relay"] == 0
    assert "interlocked by t1_high_level" in r["restart_refused"]


def test_disconnected_level_sensor_reads_empty_and_the_mixer_interlock_holds():
    r = mpy.result(rig() + """
rig.advance_s(40)                # filled (80 %), dosing or mixing next
hw.fail_sensor("t1_level", "low")       # the loop opens: reads 0 %
rig.advance_s(5)
k = rig.kernel
report({"tripped": [i.name for i in k.interlocks if i.tripped], "mixer": hw.signals["t1_mixer"].cmd,
        "real_level": hw.plant.tank("t1").level_mpct})
""", heap="1M")
    assert "t1_mixer_dry" in r["tripped"] and r["mixer"] == 0
    assert r["real_level"] >= 75000      # the tank is full: only the reading is wrong


def test_leak_drains_an_idle_tank_and_motor_feedback_follows_the_motor():
    r = mpy.result("""
import tank_plant, vhw
from vhw import hw
layout = tank_plant.demo_layout(2)
hw.plant = tank_plant.Plant(hw.wire(layout), layout)
vhw.apply_fault(*vhw.parse_fault("0:level:t2=50")[1:])
vhw.apply_fault(*vhw.parse_fault("0:leak:t2=1000")[1:])
hw.signals["t1_mixer"].drive(1)
hw.advance_to(300)
early = hw.signals["t1_mixer_run"].raw()
hw.advance_to(10000)
run = hw.signals["t1_mixer_run"].raw()
level = hw.plant.tank("t2").level_mpct
hw.plant.motors.tripped.add("t1_mixer")
hw.advance_to(10100)
report([level, early, run, hw.signals["t1_mixer_run"].raw()])
""")
    assert r == [40000, 0, 1, 0]   # 1 %/s for 10 s; feedback after 500 ms; a trip drops it


def test_a_plant_layout_is_plain_data(tmp_path):
    import json
    layout = {"tanks": [{"name": "a", "pump": "p", "fill_mpct_per_s": 5000, "level_pct": 10}],
              "outputs": ["p", "a_fill", "a_drain", "a_outlet", "a_mixer", "a_heater", "a_dose", "a_sample"],
              "analog": ["a_level", "a_temp"], "switches": ["a_high"], "motors": ["p"]}
    path = tmp_path / "layout.json"
    path.write_text(json.dumps(layout))
    r = mpy.result("""
import json, tank_plant
from vhw import hw
layout = json.load(open(%r))
hw.plant = tank_plant.Plant(hw.wire(layout), layout)
hw.signals["a_fill"].drive(1)
hw.advance_to(10000)
report([hw.plant.tank("a").level_mpct, sorted(hw.signals)])
""" % str(path))
    level, names = r
    assert level == 60000                       # 10 % + 5 %/s for 10 s
    assert "p_run" in names and "a_level" in names and len(names) == 12
