"""Field inputs on the real micropython interpreter: debounced switches,
two-point calibration, integer filtering, sensor faults that trip interlocks,
and a scan with real-board I/O that allocates nothing."""
import os

import mpy

BOARDS = os.path.join(mpy.ROOT, "boards")
CHIP = os.path.join(mpy.ROOT, "host_tests", "mp", "chip")
ON_CHIP = "import sys\nsys.path[:0] = [%r, %r]\n" % (CHIP, BOARDS)


def test_switch_debounce_ignores_bounces_shorter_than_debounce_ms():
    r = mpy.result(ON_CHIP + """
from machine import Pin, world
from sluice.io.inputs import Switch
s = Switch("high", Pin(27, Pin.IN, Pin.PULL_UP), active_low=True, debounce_ms=100)
# raw pin level every 20 ms (active-low: 0 = wet)
wave = [1, 1, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1]
seen = []
for i, lvl in enumerate(wave):
    world[27] = lvl
    s.read(i * 20)
    seen.append(s.value)
report(seen)
""")
    #        1  1  0  1  0  1  1  0  0  0  0  0  0  0  1  0  0  1  1  1  1  1  1  1
    # wet once low for 100 ms (t=140..240), dry again once high for 100 ms (t=340..440)
    assert r == [0] * 12 + [1] * 10 + [0] * 2


def test_first_read_is_taken_as_is_and_zero_debounce_follows_the_pin():
    r = mpy.result(ON_CHIP + """
from machine import Pin, world
from sluice.io.inputs import Switch
world[4] = 1
s = Switch("a", Pin(4, Pin.IN), debounce_ms=500)
s.read(1000)
first = s.value
z = Switch("b", Pin(4, Pin.IN), debounce_ms=0)
z.read(0); world[4] = 0; z.read(300)
report([first, z.value])
""")
    assert r == [1, 0]


def test_two_point_calibration_in_integer_units():
    r = mpy.result("""
from sluice.io.inputs import Analog
lvl = Analog("level", raw_lo=11916, raw_hi=59578, eng_lo=0, eng_hi=100)
litres = Analog("volume", raw_lo=11916, raw_hi=59578, eng_lo=0, eng_hi=2000)
inv = Analog("depth", raw_lo=1000, raw_hi=61000, eng_lo=500, eng_hi=-500)   # falls as raw rises
points = [0, 11916, 23831, 35747, 47662, 59578, 65535]
report({"pct": [lvl.to_eng(x) for x in points], "l": [litres.to_eng(x) for x in points],
        "inv": [inv.to_eng(x) for x in (0, 1000, 31000, 61000)],
        "types": [type(lvl.to_eng(x)).__name__ for x in points]})
""")
    assert r["pct"] == [0, 0, 25, 50, 75, 100, 100]   # rounded; clamped outside the calibration points
    assert r["l"] == [0, 0, 500, 1000, 1500, 2000, 2000]
    assert r["inv"] == [500, 500, 0, -500]
    assert set(r["types"]) == {"int"}


def test_filter_smooths_noise_and_settles_exactly():
    r = mpy.result(ON_CHIP + """
from machine import ADC, raw
from sluice.io.inputs import Analog
a = Analog("level", ADC(26), raw_lo=0, raw_hi=65535, eng_lo=0, eng_hi=1000, filter_shift=3)
noisy = []
for i in range(40):                  # +-3000 raw of noise around 32768
    raw[26] = 32768 + (3000 if i % 2 else -3000)
    a.read(i * 100)
    noisy.append(a.value)
raw[26] = 49152                      # a step to 75 %
step = []
for i in range(40, 140):
    a.read(i * 100)
    step.append(a.value)
report({"noisy": noisy[10:], "step": step})
""")
    # unfiltered the readings would swing 454..545; filtered they stay within a few units
    assert max(r["noisy"]) - min(r["noisy"]) <= 50
    assert all(450 <= v <= 550 for v in r["noisy"])
    s = r["step"]
    assert s[0] < 600 and s == sorted(s)   # a first-order lag, monotonic
    assert s[-1] == 750                    # and it settles on the calibrated value


def test_disconnected_or_shorted_sensor_faults_after_fault_ms_and_recovers():
    r = mpy.result(ON_CHIP + """
from machine import ADC, raw
from sluice.io.inputs import Analog
a = Analog("level", ADC(26), raw_lo=11916, raw_hi=59578, eng_lo=0, eng_hi=100,
           fault_below=10000, fault_above=62500, fault_ms=500)
t = 0
def run(value, ms):
    global t
    raw[26] = value
    out = []
    for _ in range(ms // 100):
        t += 100
        a.read(t)
        out.append((a.fault, a.value))
    return out
good = run(35747, 1000)
broken = run(300, 1000)        # open loop: 0 mA
back = run(35747, 1000)
shorted = run(65535, 700)
err = run(OSError(5), 700)     # the ADC itself fails
report({"good": good[-1], "broken": broken, "back": back, "shorted": shorted[-1], "err": err[-1],
        "count": a.fault_count})
""")
    assert r["good"] == [False, 50]
    b = r["broken"]
    assert [f for f, _ in b[:5]] == [False] * 5 and b[5][0] is True   # 500 ms persistence
    assert all(v == 50 for _, v in b)                                 # holds the last good value
    back = r["back"]
    assert back[4][0] is True and back[5] == [False, 50]              # 500 ms in range to recover
    assert r["shorted"][0] is True and r["err"][0] is True
    assert r["count"] == 2  # broken; then shorted, still faulted when the ADC failed


def test_bad_first_reading_faults_at_once():
    r = mpy.result(ON_CHIP + """
from machine import ADC, raw
from sluice.io.inputs import Analog
raw[27] = 0
a = Analog("level", ADC(27), raw_lo=11916, raw_hi=59578, fault_below=10000)
a.read(0)
report([a.fault, a.value])
""")
    assert r == [True, 0]


def test_failed_level_sensor_trips_the_interlock_and_stops_filling():
    r = mpy.result(ON_CHIP + """
from board_rig import BoardRig
rig = BoardRig("pico_w")
k = rig.kernel
rig.set_raw("t1_level", rig.raw_for("t1_level", 30))
rig.set_raw("t1_temp", rig.raw_for("t1_temp", 20))
rig.scan(10)                        # the batch auto-starts and fills
filling = rig.energised("t1_fill") and k.process("t1_fill").state_name == "active"
rig.set_raw("t1_level", 200)        # the transmitter's loop breaks
rig.scan(4)
still = rig.energised("t1_fill")    # within fault_ms: not yet a fault
rig.scan(3)
ilk = [i.name for i in k.interlocks if i.tripped]
p = k.process("t1_fill")
after = (rig.energised("t1_fill"), rig.io.input("t1_level").fault, p.state_name,
         k.process("t1_batch").state_name)
refused = None
try:
    k.command("t1_fill", "start")
except Exception as e:
    refused = str(e)
rig.set_raw("t1_level", rig.raw_for("t1_level", 30))   # repaired
rig.scan(8)
report({"filling": filling, "still": still, "ilk": ilk, "after": after, "refused": refused,
        "cleared": [i.name for i in k.interlocks if i.tripped]})
""")
    assert r["filling"] and r["still"]
    assert sorted(r["ilk"]) == ["t1_high_level", "t1_mixer_dry"]
    assert r["after"] == [False, True, "inactive", "faulted"]  # valve shut, fill stopped, batch faulted
    assert r["refused"] == "t1_fill: interlocked by t1_high_level"
    assert r["cleared"] == []


def test_scan_with_real_board_io_allocates_nothing():
    # Relays with pairs, min times and feedback; debounced switches; filtered
    # analog inputs whose raw readings change every scan: heap locked.
    r = mpy.result(ON_CHIP + """
import gc, micropython, machine
from board_rig import BoardRig
rig = BoardRig("esp32_devkitc")
k = rig.kernel
lp = rig.wiring("t1_level")["pin"]
tp = rig.wiring("t1_temp")["pin"]
rig.set_raw("t1_level", rig.raw_for("t1_level", 50))
rig.set_raw("t1_temp", rig.raw_for("t1_temp", 20))
rig.scan(40)
k.command("t1_mix", "start"); k.command("t1_heat", "start")
rig.set_switch("t1_mixer_run", True)
rig.scan(10)
raws = [rig.raw_for("t1_level", 50) + (i % 7) * 40 for i in range(16)]
locked = 0
gc.collect()
micropython.heap_lock()
try:
    for i in range(200):
        machine.raw[lp] = raws[i & 15]
        rig.clock.advance(100)
        k.scan()
        locked += 1
finally:
    micropython.heap_unlock()
report({"locked": locked, "mixer": rig.energised("t1_mixer"), "heater": rig.energised("t1_heater"),
        "mix": k.process("t1_mix").state_name})
""")
    assert r["locked"] == 200
    assert r["mixer"] and r["heater"] and r["mix"] == "active"
