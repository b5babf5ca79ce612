# Board I/O benchmark, run under micropython by tools/bench_io.py. Prints one
# JSON line per measurement. Drivers are the chip stand-in (host_tests/mp/chip):
# times include its Python-level Pin/ADC, which real pins do in C.
import gc
import json
import time

import machine
from sluice.io.inputs import Analog, Switch
from sluice.io.relay import Relay, pair

N = 20000


def out(name, **kw):
    kw["bench"] = name
    print(json.dumps(kw))


def per_call_us(fn, n=N):
    t0 = time.ticks_us()
    fn(n)
    return time.ticks_diff(time.ticks_us(), t0) / n


a = Relay("a", machine.Pin(1, machine.Pin.OUT, value=1), active_low=True, min_on_ms=500, min_off_ms=500)
b = Relay("b", machine.Pin(2, machine.Pin.OUT, value=1), active_low=True)
pair(a, b, 300)
plain = Relay("p", machine.Pin(3, machine.Pin.OUT, value=0))


def steady(n):
    t = 0
    for _ in range(n):
        t += 100
        a.write(t)


def toggling(n):
    t = 0
    for i in range(n):
        t += 600
        a.cmd = i & 1
        a.write(t)


def bare(n):
    t = 0
    for _ in range(n):
        t += 100
        plain.write(t)


out("io_relay_write_us", steady_pair_min_times=round(per_call_us(steady), 2),
    toggling=round(per_call_us(toggling), 2), steady_plain=round(per_call_us(bare), 2))

machine.world[4] = 1
sw = Switch("s", machine.Pin(4, machine.Pin.IN, machine.Pin.PULL_UP), active_low=True, debounce_ms=50)
machine.raw[26] = 30000
an = Analog("l", machine.ADC(26), 11916, 59578, 0, 100, 2, 10000, 62500, 500)


def read_switch(n):
    t = 0
    for _ in range(n):
        t += 100
        sw.read(t)


def read_analog(n):
    t = 0
    for _ in range(n):
        t += 100
        an.read(t)


out("io_input_read_us", switch_debounced=round(per_call_us(read_switch), 2),
    analog_cal_filter_fault=round(per_call_us(read_analog), 2))

# Heap: importing the board file (and the sluice I/O modules it pulls in,
# compiled from source here), then the whole app (I/O image, kernel, 1-tank
# plant); and the scan time of that plant on the ESP32 wiring.
import sys  # noqa: E402
from board_rig import BoardRig  # noqa: E402

gc.collect()
m0 = gc.mem_alloc()
import esp32_devkitc  # noqa: E402,F401
gc.collect()
m1 = gc.mem_alloc()
rig = BoardRig("esp32_devkitc")
gc.collect()
m2 = gc.mem_alloc()
rig.set_raw("t1_level", rig.raw_for("t1_level", 50))
rig.set_raw("t1_temp", rig.raw_for("t1_temp", 20))
rig.scan(40)
rig.kernel.command("t1_mix", "start")
rig.set_switch("t1_mixer_run", True)
rig.scan(10)
SCANS = 2000
t0 = time.ticks_us()
for _ in range(SCANS):
    rig.clock.advance(100)
    rig.kernel.scan()
scan_us = time.ticks_diff(time.ticks_us(), t0) / SCANS
for o in rig.io._out:
    o.write(rig.clock.ticks_ms())
t0 = time.ticks_us()
for _ in range(SCANS):
    rig.io.read(rig.clock.ticks_ms())
    rig.io.write(rig.clock.ticks_ms())
io_us = time.ticks_diff(time.ticks_us(), t0) / SCANS
out("io_esp32_1tank", channels=len(esp32_devkitc.WIRING), scan_us=round(scan_us, 1),
    io_read_write_us=round(io_us, 1), board_import_bytes=m1 - m0, app_bytes=m2 - m1,
    port=sys.platform, word_bits=64 if sys.maxsize > 2 ** 32 else 32)
