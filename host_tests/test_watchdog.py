"""The watchdog on the real micropython interpreter: fed only after a good
scan, its timeout checked against the RP2040 limit, and a soft reset that
leaves it counting handled by a bounded maintenance feed."""
import os

import mpy

BOARDS = os.path.join(mpy.ROOT, "boards")
CHIP = os.path.join(mpy.ROOT, "host_tests", "mp", "chip")
BOOT = os.path.join(mpy.FIRMWARE, "boot.py")
ON_CHIP = "import sys\nsys.path[:0] = [%r, %r]\n" % (CHIP, BOARDS)


def test_fed_only_after_a_scan_that_completed():
    r = mpy.result(ON_CHIP + """
import machine
from board_rig import BoardRig
rig = BoardRig("pico_w")
st = rig.app.scan_timer
rig.app.start()
wdt = machine.wdts[-1]
for _ in range(5):
    st._run(None)
good = wdt.feeds

class Broken:                       # an input driver that fails: the scan raises
    def value(self):
        raise OSError(5)
high = rig.io.input("t1_high")
pin, high.source = high.source, Broken()
for _ in range(3):
    st._run(None)
failed = (wdt.feeds, st.scan_errors, rig.kernel.halted)

st.pending = True                   # a tick while the scan is still pending: overrun, no feed
st._tick(None)
overrun = (wdt.feeds, st.overruns)
st.pending = False

high.source = pin
st._run(None)
st._tick(None)                      # the timer path: schedule, then the scan runs and feeds
for _ in range(100):
    pass
report({"timeout": wdt.timeout, "good": good, "failed": failed, "overrun": overrun,
        "after": wdt.feeds, "errors_logged": [e[3] for e in rig.kernel.events.recent(5) if e[1] == "FAULT"]})
""")
    assert r["timeout"] == 5000
    assert r["good"] == 5
    assert r["failed"] == [5, 3, True]   # failing scans: no feed, node halted (outputs safe)
    assert r["overrun"] == [5, 1]
    assert r["after"] == 7
    assert "scan failed" in r["errors_logged"]


def test_timeout_is_checked_against_the_chip_and_the_scan_period():
    r = mpy.result(ON_CHIP + """
from sluice.errors import ConfigError
from sluice.io.watchdog import check_timeout
from board_rig import BoardRig, Config
out = []
for t, period in ((5000, 300), (8388, 300), (8389, 300), (0, 300), (600, 300), (1500, 600)):
    try:
        check_timeout(t, period)
        out.append("ok")
    except ConfigError as e:
        out.append(str(e))
import pico_w
pico_w.WATCHDOG_MS = 20000
try:
    BoardRig("pico_w")
    app = "ok"
except ConfigError as e:
    app = str(e)
report({"checks": out, "app": app})
""")
    c = r["checks"]
    assert c[0] == "ok" and c[1] == "ok"
    assert c[2] == "watchdog timeout must be 1..8388 ms (RP2040 limit), got 8389"
    assert c[3].startswith("watchdog timeout must be 1..8388 ms")
    assert c[4] == "watchdog timeout 600 ms is shorter than 3 scans of 300 ms"
    assert c[5] == "watchdog timeout 1500 ms is shorter than 3 scans of 600 ms"
    assert r["app"] == "watchdog timeout must be 1..8388 ms (RP2040 limit), got 20000"


def test_soft_reset_outputs_safe_then_a_bounded_maintenance_feed_until_the_controller_runs():
    r = mpy.result(ON_CHIP + """
import machine, sys, time
import esp32_devkitc as b
machine.cause[0] = machine.SOFT_RESET
for s in b.WIRING.values():          # left energised by the program that was running
    if s["kind"] == "relay":
        machine.levels[s["pin"]] = 0
sys.modules["board"] = b
exec(open(%r).read())                # boot.py, as after mpremote's soft reset
from sluice.io import watchdog
held = watchdog._held
safe = all(machine.levels[s["pin"]] == 1 for s in b.WIRING.values() if s["kind"] == "relay")
wdt, timer = held.wdt, held.timer
fed0 = wdt.feeds
for _ in range(3):
    timer.fire()                     # the maintenance timer, every second
during = wdt.feeds - fed0

from board_rig import BoardRig      # main.py starts the controller: scans take over
rig = BoardRig("esp32_devkitc")
rig.app.start()
released = (watchdog._held is None, held.active, timer.callback is None)
rig.app.scan_timer._run(None)
scan_wdt = machine.wdts[-1]

# a forgotten session: the window ends and nothing feeds any more
short = watchdog.MaintenanceFeed(machine.WDT(timeout=5000), machine.Timer(3), 1, window_ms=200)
short.timer.fire(); f1 = short.wdt.feeds
time.sleep_ms(250)
short.timer.fire(); short.timer.fire()
report({"safe": safe, "period": timer.period, "timeout": wdt.timeout, "during": during,
        "released": released, "scan_feeds": scan_wdt.feeds,
        "window": [f1, short.wdt.feeds, short.active]})
""" % BOOT)
    assert r["safe"]
    assert r["timeout"] == 5000 and r["period"] == 1000
    assert r["during"] == 3
    assert r["released"] == [True, False, True]
    assert r["scan_feeds"] == 1
    assert r["window"] == [2, 2, False]   # fed at start and once; after the window: no more feeds, so the watchdog resets the board


def test_power_on_boot_starts_no_watchdog_before_the_controller():
    r = mpy.result(ON_CHIP + """
import machine, sys
import pico_w as b
sys.modules["board"] = b
exec(open(%r).read())
from sluice.io import watchdog
report([len(machine.wdts), watchdog._held is None])
""" % BOOT)
    assert r == [0, True]
