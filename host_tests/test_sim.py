"""`make sim` (tools/sim.py) as a user runs it: headless summary and timeline
picture, fault injection from the command line, the live view, Ctrl-C."""
import os
import re
import signal
import struct
import subprocess
import sys
import time

import pytest

import mpy

SIM = os.path.join(mpy.ROOT, "tools", "sim.py")
pytestmark = pytest.mark.timeout(180)


def sim(tmp_path, *args, timeout=120):
    p = subprocess.run([sys.executable, SIM, "--flash", str(tmp_path / "flash.bin"),
                        "--pty-link", str(tmp_path / "tty")] + list(args),
                       capture_output=True, text=True, timeout=timeout, cwd=mpy.ROOT)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    return p.stdout


def test_headless_hour_summary_shows_processes_that_ran_were_blocked_and_finished(tmp_path):
    png = tmp_path / "timeline.png"
    out = sim(tmp_path, "--headless", "--png", str(png))
    m = re.search(r"simulated 01:00:00 in ([\d.]+) s wall \(ratio (\d+)\), (\d+) scans", out)
    assert m, out
    assert int(m.group(3)) == 12000                      # 3600 s / 300 ms
    m = re.search(r"processes: 64, ran (\d+), were blocked (\d+), finished (\d+) times, faulted 0", out)
    assert m, out
    ran, blocked, finished = map(int, m.groups())
    assert ran == 64 and 8 <= blocked < 64 and finished > 64 * 10
    batches = [int(n) for n in re.findall(r"t\d (\d+)", out.split("batches:")[1].splitlines()[0])]
    assert len(batches) == 8 and min(batches) >= 20      # ~2 min per batch
    assert "mix " in out and "b" in out.split("mix ")[1].splitlines()[0]   # mixers waited for power
    with open(png, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", head[16:24])
    assert (w, h) == (1400, 1200) and png.stat().st_size > 20000


def test_injected_stuck_valve_shows_as_a_fault_in_the_summary(tmp_path):
    out = sim(tmp_path, "--headless", "--duration", "10m", "--fault", "0:stick:t1_fill=0",
              "--fault", "0:sensor:t2_level=error")
    faults = out.split("faults:")[1].splitlines()[0]
    assert "t1_fill 1" in faults and "t1_batch 1" in faults          # fill step timed out
    assert "t2_high_level" in out.split("interlock trips:")[1]         # failed sensor tripped it
    row = [ln for ln in out.splitlines() if ln.startswith("fill ")][0].split()
    assert row[1].endswith("F") and row[2] == "-"                     # t1 faulted; t2 never filled


def test_live_view_runs_for_a_duration_and_ctrl_c_stops_the_board_cleanly(tmp_path):
    out = sim(tmp_path, "--speed", "10", "--duration", "12")
    frames = set(re.findall(r"sim (\d\d:\d\d:\d\d)", out))
    assert len(frames) >= 2                                           # redrawn while time passes
    assert re.search(r"t1 +\[#* *\] +\d+%", out)                     # tank levels
    assert re.search(r"outputs on: t\d_fill", out)                    # valves open
    assert re.search(r"t\d_fill +active +fill +5", out) and "blocked by" in out
    assert "simulated 00:00:12" in out

    p = subprocess.Popen([sys.executable, SIM, "--flash", str(tmp_path / "flash2.bin"),
                          "--pty-link", str(tmp_path / "tty2")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=mpy.ROOT)
    deadline = time.monotonic() + 30
    while not os.path.islink(tmp_path / "tty2") and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)                                      # Ctrl-C in the terminal
    stdout, stderr = p.communicate(timeout=20)
    assert p.returncode == 0, stderr
    assert "processes: 64, ran" in stdout and "Traceback" not in stderr
    assert not os.path.lexists(tmp_path / "tty2")                     # pty gone: the board is off
