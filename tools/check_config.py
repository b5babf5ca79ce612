# Validate a board and plant configuration on the host, before deploying.
# Runs on the real micropython interpreter (as the board would):
#   make check-config BOARD=pico_w CONFIG=config_1tank
#   .venv/bin/micropython -X heapsize=110K tools/check_config.py BOARD [CONFIG]
# BOARD: a module in boards/ (esp32_devkitc, pico_w, virtual) or a path to a
# board file; CONFIG: a config module in boards/ or firmware/, or a path
# (default: firmware/config.py).
# Checks the pins (boardcheck), that every I/O name the plant needs is wired
# with the right kind, builds the plant into a kernel with driverless I/O,
# checks the watchdog timeout against the scan period, and runs a few scans.
# Prints the wiring and any warnings; exits 1 on the first kind of error.
import gc
import sys

_root = __file__.rsplit("/", 2)[0] if __file__.count("/") >= 2 else "."
sys.path[:0] = [_root + "/firmware", _root + "/boards"]

from sluice.errors import SluiceError  # noqa: E402
from sluice.io.boardcheck import validate  # noqa: E402
from sluice.io.watchdog import check_timeout  # noqa: E402
from sluice.io.wiring import RELAY, build_io  # noqa: E402
from sluice.kernel.clock import ManualClock  # noqa: E402
from sluice.kernel.kernel import Kernel, describe  # noqa: E402

_DRY_SCANS = 20


def _describe_spec(s):
    k = s["kind"]
    if k == RELAY:
        extra = [n for n in ("active_low",) if s[n]]
        extra += ["%s=%s" % (n, s[n]) for n in ("safe", "min_on_ms", "min_off_ms") if s[n]]
        if s["pair"]:
            extra.append("pair=%s dead_ms=%d" % (s["pair"], s["dead_ms"]))
        if s["feedback"]:
            extra.append("feedback=%s after %d ms" % (s["feedback"], s["feedback_ms"]))
    elif k == "switch":
        extra = ["active_low"] if s["active_low"] else []
        extra += ["pull=%s" % s["pull"], "debounce_ms=%d" % s["debounce_ms"]]
    else:
        extra = ["raw %d..%d -> %d..%d" % (s["raw"] + s["eng"])]
        if s["fault_below"] >= 0 or s["fault_above"] <= 65535:
            extra.append("fault outside %d..%d" % (s["fault_below"], s["fault_above"]))
    return " ".join(extra)


def _load(name):
    """A module by name, or by path (its folder joins sys.path)."""
    if "/" in name or name.endswith(".py"):
        folder, _, base = name.rpartition("/")
        sys.path.insert(0, folder or ".")
        name = base[:-3] if base.endswith(".py") else base
    return __import__(name), name


def check(board_name, config_name="config"):
    """(errors, warnings, lines): lists of text."""
    errors, warnings, lines = [], [], []
    board, board_name = _load(board_name)
    config, _ = _load(config_name)
    plant = __import__(config.PLANT, None, None, ("io_names",))
    outs, ins = plant.io_names(**config.PLANT_ARGS)
    wiring = board.wiring(outs, ins)
    lines.append("board %s (%s), plant %s %r: %d outputs, %d inputs needed, %d channels wired" % (
        board_name, board.FAMILY.name, config.PLANT, config.PLANT_ARGS, len(outs), len(ins), len(wiring)))
    e, w = validate(board.FAMILY, wiring)
    errors += e
    warnings += w
    for names, what, kinds in ((outs, "output", ("relay",)), (ins, "input", ("switch", "analog"))):
        for n in names:
            s = wiring.get(n)
            if s is None:
                errors.append("the plant needs %s %s: the board does not wire it" % (what, n))
            elif s.get("kind") not in kinds:
                errors.append("%s: the plant needs an %s, the board wires it as %s()" % (n, what, s.get("kind")))
    feedback = [s["feedback"] for s in wiring.values() if s.get("kind") == RELAY and s["feedback"]]
    for n in sorted(wiring):
        if n not in outs and n not in ins and n not in feedback:
            warnings.append("%s: wired but not used by the plant" % n)
    for n in sorted(wiring):
        s = wiring[n]
        lines.append("  %-14s %-6s %-8s %s" % (n, s.get("kind"), board.FAMILY.pin_name(s.get("pin")),
                                               _describe_spec(s) if not e else ""))
    try:
        check_timeout(board.WATCHDOG_MS, config.SCAN_PERIOD_MS)
    except SluiceError as x:
        errors.append(str(x))
    if errors:
        return errors, warnings, lines
    try:
        gc.collect()
        m0 = gc.mem_alloc()
        io = build_io(wiring, outs, ins)
        clock = ManualClock()
        k = Kernel(io, clock, period_ms=config.SCAN_PERIOD_MS)
        plant.build(k, **config.PLANT_ARGS)
        for _ in range(_DRY_SCANS):
            k.scan()
            clock.advance(config.SCAN_PERIOD_MS)
        gc.collect()
        lines.append("plant built: %d processes, %d interlocks; %d dry scans; %d bytes of heap (this port)" % (
            len(k.processes), len(k.interlocks), _DRY_SCANS, gc.mem_alloc() - m0))
    except MemoryError:
        errors.append("the plant does not fit in this heap")
    except Exception as x:
        errors.append("building the plant failed: " + describe(x))
    return errors, warnings, lines


def main(argv):
    if not 2 <= len(argv) <= 3:
        print("usage: check_config.py BOARD [CONFIG]")
        return 2
    errors, warnings, lines = check(*argv[1:])
    for line in lines:
        print(line)
    for w in warnings:
        print("warning: " + w)
    for e in errors:
        print("error: " + e)
    print("FAILED: %d error(s)" % len(errors) if errors else "OK")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
