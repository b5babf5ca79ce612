"""The virtual board as a process: the unchanged firmware boots from a real
littlefs flash image, the REPL is on a pty, and mpremote and a terminal talk
to it exactly as to a USB board. Scans keep running while the REPL idles."""
import os
import subprocess
import sys
import time

import pytest
import serial

import mpy

sys.path.insert(0, os.path.join(mpy.ROOT, "tools", "vboard"))
import host  # noqa: E402

pytestmark = pytest.mark.timeout(120)


def mpremote(dev, *args):
    p = subprocess.run([os.path.join(os.path.dirname(sys.executable), "mpremote"), "connect", dev] + list(args),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


class Terminal:
    """A user at the board's friendly REPL, through the pty."""

    def __init__(self, dev):
        self.s = serial.Serial(dev, 115200, timeout=0.05)

    def read_until(self, marker, timeout=10):
        data = b""
        end = time.monotonic() + timeout
        while not data.endswith(marker) and time.monotonic() < end:
            data += self.s.read(4096)
        assert data.endswith(marker), data[-2000:]
        return data.decode()

    def do(self, line, timeout=10):
        self.s.write(line.encode() + b"\r")
        return self.read_until(b">>> ", timeout)

    def close(self):
        self.s.close()


@pytest.fixture
def board(tmp_path):
    b = host.VirtualBoard(str(tmp_path / "flash.bin"), install=host.firmware_files(), mkfs=True,
                          speed=1.0, echo_stderr=False)
    b.start()
    yield b
    b.stop()


def scan_of(text):
    for ln in text.splitlines():
        if ln.startswith("scan ") and "|" in ln:
            return int(ln.split()[1])
    raise AssertionError("no status header in %r" % text)


def test_status_at_the_repl_answers_while_scans_continue(board):
    t = Terminal(board.pty)
    try:
        t.s.write(b"\r\x02")                      # Ctrl-B: banner and a fresh prompt
        assert "virtual board" in t.read_until(b">>> ")
        time.sleep(1)
        first = t.do("status(True)")
        assert "t1_fill" in first and "process" in first
        time.sleep(1.5)                           # the REPL idles; the controller does not
        second = t.do("status()")
        assert scan_of(second) >= scan_of(first) + 3
        assert len([ln for ln in second.splitlines() if ln.startswith("t")]) >= 64
        shown = t.do('show("t1_batch")')
        assert "TankBatch" in shown and "priority" in shown
        assert "3" == t.do("1 + 2").splitlines()[-2].strip()   # expression values print
        err = t.do("1/0")
        assert "ZeroDivisionError" in err
        t.s.write(b"for i in range(2):\r")       # a compound statement continues...
        t.read_until(b"... ")
        t.s.write(b"    print('x', i)\r")
        t.read_until(b"... ")
        out = t.do("")                            # ...until an empty line runs it
        assert "x 0\r\nx 1\r\n" in out
    finally:
        t.close()


def test_user_code_that_sleeps_lets_scans_run_and_ctrl_c_stops_it(board):
    t = Terminal(board.pty)
    try:
        t.s.write(b"\r\x02")
        t.read_until(b">>> ")
        t.do("import time; n0 = controller.kernel.scan_count; t0 = time.ticks_ms()")
        t.s.write(b"while True: time.sleep_ms(100)\r")
        t.read_until(b"... ")
        t.s.write(b"\r")                          # end of the block: it runs
        time.sleep(1.2)
        t.s.write(b"\x03")                        # Ctrl-C interrupts, as a UART IRQ would
        out = t.read_until(b">>> ")
        assert "KeyboardInterrupt" in out
        n = t.do("print(controller.kernel.scan_count - n0, time.ticks_diff(time.ticks_ms(), t0))")
        scans, ms = map(int, n.splitlines()[-2].split())
        assert scans >= 3 and ms >= 1000
    finally:
        t.close()


def test_soft_reset_reruns_main_and_hard_reset_restarts_the_controller(board):
    t = Terminal(board.pty)
    try:
        t.s.write(b"\r\x02")
        t.read_until(b">>> ")
        t.s.write(b"\x04")                        # Ctrl-D at the friendly REPL: soft reset
        out = t.read_until(b">>> ")
        assert "MPY: soft reboot" in out
        n = t.do("import machine; print(machine.reset_cause(), controller.kernel.scan_count >= 0)")
        assert "5 True" in n                      # SOFT_RESET, and main.py ran again
    finally:
        t.close()
    mpremote(board.pty, "reset")                  # machine.reset(): boot.py and main.py again
    time.sleep(1.0)
    out = mpremote(board.pty, "resume", "exec",
                   "import machine; print(machine.reset_cause(), controller.kernel.scan_count)")
    cause, scans = map(int, out.split())
    assert cause == 2 and scans >= 1


def test_mpremote_files_exec_and_the_flash_persists(tmp_path):
    flash_path = tmp_path / "flash.bin"
    src = tmp_path / "probe.py"
    big = "\n".join("v%d = %d" % (i, i) for i in range(600))   # > raw-paste window many times
    src.write_text("X = 42\n" + big + "\n")
    with host.VirtualBoard(str(flash_path), mkfs=True, speed=1.0, echo_stderr=False) as b:
        assert mpremote(b.pty, "fs", "ls", ":").strip() == "ls :"    # a blank, formatted board
        mpremote(b.pty, "fs", "mkdir", ":lib", "+", "fs", "cp", str(src), ":lib/probe.py")
        out = mpremote(b.pty, "exec", "import probe; print(probe.X + probe.v599)")
        assert out.strip() == "641"
        out = mpremote(b.pty, "exec", big + "\nprint(v599)")         # a long script, raw-paste flow control
        assert out.strip() == "599"
        df = mpremote(b.pty, "df")
        assert "VfsLfs2" in df
    with open(flash_path, "rb") as f:
        assert b"littlefs" in f.read(8192)         # a real littlefs superblock on the host file
    with host.VirtualBoard(str(flash_path), speed=1.0, echo_stderr=False, broker="127.0.0.1:1884") as b:
        assert "X = 42" in mpremote(b.pty, "fs", "cat", ":lib/probe.py")
        # the MQTT hook: the board layer finds the simulator's broker here
        assert mpremote(b.pty, "exec", "import vhw; print(vhw.hw.broker)").strip() == "('127.0.0.1', 1884)"


def test_simulated_machine_and_time_on_micropython():
    r = mpy.result("""
import tank_plant, machine, time
from vhw import hw, HardReset
layout = tank_plant.demo_layout(1)
hw.plant = tank_plant.Plant(hw.wire(layout), layout)
out = {}
def err(f):
    try:
        f()
    except ValueError as e:
        return str(e)
out["drive_input"] = err(lambda: machine.Pin("t1_high", machine.Pin.OUT))
out["adc_on_switch"] = err(lambda: machine.ADC("t1_high"))
out["adc_unknown"] = err(lambda: machine.ADC("nope"))
led = machine.Pin("led", machine.Pin.OUT, value=1)      # an unwired pin is fine
fill = machine.Pin("t1_fill", machine.Pin.OUT, value=0)
level = machine.ADC("t1_level")
ticks = []
periodic = machine.Timer(-1)
periodic.init(period=300, mode=machine.Timer.PERIODIC, callback=lambda t: ticks.append(time.ticks_ms()))
once = []
machine.Timer(-1).init(period=1000, mode=machine.Timer.ONE_SHOT, callback=lambda t: once.append(time.ticks_ms()))
fill.on()
t0 = time.ticks_ms()
time.sleep(4)                                           # user code sleeps: time, plant and timers move
out["slept_ms"] = time.ticks_diff(time.ticks_ms(), t0)
out["ticks"] = len(ticks)
out["once"] = once
out["level_u16"] = level.read_u16()
periodic.deinit()
wdt = machine.WDT(timeout=2000)
try:
    time.sleep_ms(1500); wdt.feed(); time.sleep_ms(1500); wdt.feed()
    time.sleep_ms(3000)
    out["wdt"] = None
except HardReset as e:
    out["wdt"] = [str(e), machine.reset_cause(), hw.now_ms]
out["led"] = led.value()
report(out)
""")
    assert "plant input" in r["drive_input"] and "not an analog" in r["adc_on_switch"]
    assert "no analog input" in r["adc_unknown"] and r["led"] == 1
    assert r["slept_ms"] == 4000 and r["ticks"] == 13 and r["once"] == [1000]
    assert r["level_u16"] == (10 * 65535 + 99) // 100          # 2.5 %/s for 4 s
    assert r["wdt"] == ["watchdog", 3, 9100]                   # last fed at 7000: > 2000 ms later


def test_raw_repl_protocol_byte_for_byte(board):
    t = Terminal(board.pty)
    try:
        t.s.write(b"\r\x03\x01")                                   # Ctrl-C, Ctrl-A: raw REPL
        t.read_until(b"raw REPL; CTRL-B to exit\r\n>")
        t.s.write(b"print(6 * 7)\x04")                             # plain raw REPL: OK, output, EOF, error, EOF
        assert t.read_until(b"\x04\x04>") .endswith("OK42\r\n\x04\x04>")
        t.s.write(b"1/0\x04")
        err = t.read_until(b"\x04>")
        assert err.startswith("OK\x04") and "ZeroDivisionError" in err
        t.s.write(b"\x05B\x01")                                    # unknown raw-paste command
        assert t.s.read(2) == b"R\x00"
        t.s.write(b"\x05A\x01")                                    # raw-paste: window, then flow control
        head = t.s.read(5)
        assert head[:2] == b"R\x01" and head[4:5] == b"\x01"
        window = head[2] | head[3] << 8
        t.s.write(b"x = 1\n" * (window // 6 + 1))                  # more than one window: another \x01
        assert t.read_until(b"\x01") == "\x01"
        t.s.write(b"print(x)\x04")
        assert t.read_until(b"\x04>").endswith("\x041\r\n\x04\x04>")
        t.s.write(b"\x02")                                         # Ctrl-B: friendly REPL again
        assert "virtual board" in t.read_until(b">>> ")
    finally:
        t.close()
