"""Board definitions are validated when loaded, with errors naming the I/O and
the pin; tools/check_config.py validates a board and plant on the host."""
import os
import subprocess

import mpy

BOARDS = os.path.join(mpy.ROOT, "boards")
CHIP = os.path.join(mpy.ROOT, "host_tests", "mp", "chip")
# The chip stand-in and the board files go first: before tools/vboard's machine.
ON_CHIP = "import sys\nsys.path[:0] = [%r, %r]\n" % (CHIP, BOARDS)


def validate_all(cases, family):
    """cases: {label: wiring-expression}; returns {label: [errors, warnings]}."""
    body = "\n".join("    %r: %s," % (k, v) for k, v in cases.items())
    return mpy.result("""
from sluice.io import boardcheck
from sluice.io.wiring import relay, switch, analog
cases = {
%s
}
report({k: list(boardcheck.validate(boardcheck.%s, w)) for k, w in cases.items()})
""" % (body, family))


def only_error(r, label):
    errors, _ = r[label]
    assert len(errors) == 1, (label, r[label])
    return errors[0]


def test_esp32_pin_rules_each_name_the_io_and_the_pin():
    r = validate_all({
        "good": '{"a": relay(16), "b": switch(27, pull="up"), "c": analog(36)}',
        "twice": '{"fill": relay(16), "drain": relay(16)}',
        "flash": '{"fill": relay(6)}',
        "flash_in": '{"hi": switch(11)}',
        "uart": '{"fill": relay(1)}',
        "adc2": '{"level": analog(25)}',
        "no_adc": '{"level": analog(16)}',
        "input_only": '{"mixer": relay(34)}',
        "no_pull": '{"hi": switch(35, pull="up")}',
        "no_gpio": '{"fill": relay(24)}',
        "strap12": '{"fill": relay(12, active_low=True)}',
        "strap0": '{"fill": relay(0)}',
    }, "ESP32")
    assert r["good"] == [[], []]
    assert only_error(r, "twice") == "fill: GPIO16 used twice (drain and fill)"
    assert only_error(r, "flash") == "fill: GPIO6 is wired to the SPI flash"
    assert only_error(r, "flash_in") == "hi: GPIO11 is wired to the SPI flash"
    assert only_error(r, "uart") == "fill: GPIO1 is UART0 TX (the REPL and mpremote)"
    e = only_error(r, "adc2")
    assert e.startswith("level: GPIO25 is on ADC2, which is unusable while WiFi is on")
    assert "GPIO32, GPIO33, GPIO34, GPIO35, GPIO36, GPIO39" in e
    assert only_error(r, "no_adc").startswith("level: GPIO16 has no ADC")
    assert only_error(r, "input_only") == "mixer: GPIO34 is input-only and cannot drive a relay"
    assert "GPIO35 has no internal pull resistor" in only_error(r, "no_pull")
    assert only_error(r, "no_gpio") == "fill: GPIO24 is not a usable pin on ESP32-WROOM-32"
    assert "GPIO12 is a strapping pin" in only_error(r, "strap12")
    errors, warnings = r["strap0"]  # strapping pins that only risk trouble are warned about
    assert errors == [] and warnings == ["fill: GPIO0 is a strapping pin (low at reset enters the bootloader)"]


def test_pico_w_pin_rules():
    r = validate_all({
        "good": '{"a": relay(2), "b": analog(26), "c": analog(28), "d": switch(22)}',
        "adc": '{"level": analog(22)}',
        "wl_on": '{"fill": relay(23)}',
        "wl_cs": '{"hi": switch(25)}',
        "vsys": '{"level": analog(29)}',
        "no_gpio": '{"fill": relay(30)}',
        "not_int": '{"fill": relay("GP2")}',
        "twice": '{"a": relay(2), "b": switch(2)}',
    }, "PICO_W")
    assert r["good"] == [[], []]
    assert only_error(r, "adc") == "level: GP22 has no ADC (ADC pins: GP26, GP27, GP28)"
    assert only_error(r, "wl_on") == "fill: GP23 is reserved for the wireless chip (CYW43) power"
    assert only_error(r, "wl_cs") == "hi: GP25 is reserved for the wireless chip (CYW43) chip select"
    assert only_error(r, "vsys").startswith("level: GP29 is reserved for the wireless chip")
    assert only_error(r, "no_gpio") == "fill: GP30 is not a usable pin on Raspberry Pi Pico W (RP2040)"
    assert "not a usable pin" in only_error(r, "not_int")
    assert only_error(r, "twice") == "b: GP2 used twice (a and b)"


def test_channel_options_are_checked():
    r = validate_all({
        "pair_missing": '{"fill": relay("f", pair="drain")}',
        "pair_self": '{"fill": relay("f", pair="fill")}',
        "pair_input": '{"fill": relay("f", pair="hi"), "hi": switch("h")}',
        "pair_safe_on": '{"fill": relay("f", pair="drain"), "drain": relay("d", safe=1)}',
        "pair_triangle": '{"a": relay(1, pair="b"), "b": relay(2, pair="c"), "c": relay(3)}',
        "feedback": '{"mixer": relay("m", feedback="mixer_run"), "mixer_run": relay("r")}',
        "neg_time": '{"pump": relay("p", min_off_ms=-1)}',
        "cal_order": '{"level": analog("l", raw=(5000, 100))}',
        "cal_span": '{"level": analog("l", raw=(0, 65535), eng=(0, 100000))}',
        "fault_inside": '{"level": analog("l", raw=(10000, 50000), fault_below=12000)}',
        "pull": '{"hi": switch("h", pull="sideways")}',
        "not_spec": '{"hi": 7}',
    }, "VIRTUAL")
    assert only_error(r, "pair_missing") == "fill: pair drain is not another relay"
    assert only_error(r, "pair_self") == "fill: pair fill is not another relay"
    assert only_error(r, "pair_input") == "fill: pair hi is not another relay"
    assert only_error(r, "pair_safe_on").startswith("fill: an exclusive pair must be safe when off")
    assert only_error(r, "pair_triangle") == "a: pair b is already paired with c"
    assert only_error(r, "feedback") == "mixer: feedback mixer_run is not a switch() input"
    assert only_error(r, "neg_time").startswith("pump: min_off_ms must be an int 0..")
    assert "raw calibration needs 0 <= low < high <= 65535" in only_error(r, "cal_order")
    assert "use coarser units" in only_error(r, "cal_span")
    assert "must lie outside the calibration range" in only_error(r, "fault_inside")
    assert only_error(r, "pull") == "hi: pull must be None, 'up' or 'down'"
    assert only_error(r, "not_spec") == "hi: not a relay(), switch() or analog() spec"


def test_board_files_refuse_bad_wiring_and_missing_io_at_load():
    r = mpy.result(ON_CHIP + """
import machine
from sluice.errors import ConfigError
import esp32_devkitc as b
out = {}
def attempt(label, fn):
    try:
        fn()
        out[label] = "ok"
    except ConfigError as e:
        out[label] = str(e)
attempt("good", lambda: b.make_io(["t1_fill"], ["t1_level", "t1_high"]))
attempt("missing", lambda: b.make_io(["t1_fill", "t2_fill"], []))
attempt("kind", lambda: b.make_io(["t1_level"], []))
attempt("kind_in", lambda: b.make_io([], ["t1_fill"]))
b.WIRING["t1_drain"] = b.relay(35, active_low=True)
attempt("bad_pin", lambda: b.make_io(["t1_fill"], []))
report(out)
""")
    assert r["good"] == "ok"
    assert r["missing"] == "board wires no output t2_fill"
    assert r["kind"] == "t1_level: the plant needs an output, the board wires it as analog()"
    assert r["kind_in"] == "t1_fill: the plant needs an input, the board wires it as relay()"
    assert r["bad_pin"] == "t1_drain: GPIO35 is input-only and cannot drive a relay"


def check_config(*args):
    p = subprocess.run([mpy.micropython_bin(), os.path.join(mpy.ROOT, "tools", "check_config.py")] + list(args),
                       capture_output=True, text=True, timeout=60, cwd=mpy.ROOT)
    return p.returncode, p.stdout


def test_check_config_accepts_the_shipped_boards():
    for board, config in (("esp32_devkitc", "config_1tank"), ("pico_w", "config_1tank"), ("virtual", "config")):
        rc, out = check_config(board, config)
        assert rc == 0, out
        assert out.splitlines()[-1] == "OK"
        assert "plant built: " in out


def test_check_config_warns_about_strapping_pins_and_unused_channels(tmp_path):
    board = tmp_path / "spare_board.py"
    board.write_text(open(os.path.join(BOARDS, "esp32_devkitc.py")).read().replace(
        '"t1_sample":  relay(23,', '"spare": relay(13), "t1_sample":  relay(2,'))
    rc, out = check_config(str(board), "config_1tank")
    assert rc == 0, out
    assert "warning: t1_sample: GPIO2 is a strapping pin (must be low or floating at reset)" in out
    assert "warning: spare: wired but not used by the plant" in out
    assert out.splitlines()[-1] == "OK"


def test_check_config_reports_every_problem(tmp_path):
    # The 8-tank demo plant on the 1-tank ESP32 wiring, plus a bad board.
    rc, out = check_config("esp32_devkitc", "config")
    assert rc == 1
    assert "error: the plant needs output t2_fill: the board does not wire it" in out
    assert "error: the plant needs input t8_level: the board does not wire it" in out
    assert out.splitlines()[-1] == "FAILED: 70 error(s)"  # 7 outputs + 3 inputs for 7 missing tanks
    bad = tmp_path / "bad_board.py"
    bad.write_text(open(os.path.join(BOARDS, "pico_w.py")).read().replace(
        'analog(27,', 'analog(23,').replace('relay(3,', 'relay(2,').replace("WATCHDOG_MS = 5000", "WATCHDOG_MS = 9000"))
    rc, out = check_config(str(bad), "config_1tank")
    assert rc == 1
    assert "error: t1_fill: GP2 used twice (t1_drain and t1_fill)" in out
    assert "error: t1_temp: GP23 is reserved for the wireless chip (CYW43) power" in out
    assert "error: watchdog timeout must be 1..8388 ms (RP2040 limit), got 9000" in out
    assert out.splitlines()[-1] == "FAILED: 3 error(s)"
