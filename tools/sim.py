"""`make sim`: the virtual board running the unchanged firmware against the
simulated demo plant, with a live terminal view until Ctrl-C.

  make sim                                   live view, real time
  make sim SIM_ARGS="--speed 10"             10 simulated seconds per second
  make sim SIM_ARGS="--headless"             1 simulated hour, as fast as possible, then a summary
  make sim SIM_ARGS="--headless --duration 8h --png build/sim.png"
  make sim SIM_ARGS="--fault 60:stick:t1_fill=0 --fault 120:sensor:t2_level=error"
  make sim SIM_ARGS="--config config_1tank --speed 5"

While it runs, the board's REPL is on a pseudo-terminal (build/vboard/tty):
`mpremote connect build/vboard/tty repl`, then status(), show("t1_fill")...
"""
import argparse
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "vboard"))

import host  # noqa: E402
import mqtt_local  # noqa: E402

STATE_NAMES = ("inactive", "active", "blocked", "paused", "faulted")
STATE_COLORS = ("#eeeeee", "#2ca02c", "#ff7f0e", "#1f77b4", "#d62728")
_REFRESH_S = 0.25


def duration_s(text):
    """"90", "90s", "15m", "8h" -> seconds."""
    mult = {"s": 1, "m": 60, "h": 3600}.get(text[-1:], None)
    return int(float(text[:-1] if mult else text) * (mult or 1))


def config_tanks(config):
    """The demo plant's size in a config file (plain assignments)."""
    path = os.path.join(ROOT, "firmware", "config.py") if config == "config" else \
        os.path.join(ROOT, "boards", config + ".py")
    ns = {}
    with open(path) as f:
        exec(compile(f.read(), path, "exec"), ns)
    if ns.get("PLANT") != "plant.demo":
        raise SystemExit("sim: %s: only the demo plant (PLANT = 'plant.demo') has a plant model" % path)
    return ns.get("PLANT_ARGS", {}).get("tanks", 8)


def hms(ms):
    s = ms // 1000
    return "%02d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)


class Recording:
    """Everything the board reported: meta, samples, summary."""

    def __init__(self):
        self.meta = None
        self.samples = []
        self.summary = None

    def __call__(self, tag, obj):
        if tag == "M":
            self.meta = obj
            self.samples.append(None)  # a reboot: a gap in the timeline
        elif tag == "T":
            self.samples.append(obj)
        elif tag == "S":
            self.summary = obj


# --- live view --------------------------------------------------------------

def _bar(pct, width=10):
    n = max(0, min(width, pct * width // 100))
    return "[" + "#" * n + " " * (width - n) + "]"


def render(rec, args, device, width, height):
    s = next((x for x in reversed(rec.samples) if x), None)
    m = rec.meta
    if s is None or m is None:
        return ["starting the virtual board..."]
    lines = ["Sluice virtual board   sim %s   speed x%g   scan %s (%s us)   overruns %s%s" % (
        hms(s["t"]), args.speed, s.get("scan", "-"), s.get("scan_us", "-"), s.get("overruns", "-"),
        "   HALTED" if s.get("halted") else "")]
    lines.append("REPL: mpremote connect %s repl      Ctrl-C here stops the board" % device)
    if args.broker:
        lines.append("MQTT: %s, topics sluice/plc1/...   tools/sluicectl.py --port %s --node plc1 status"
                     % (args.broker, args.broker.rpartition(":")[2]))
    lines.append("")
    tanks = m["tanks"]
    per_row = max(1, (width - 6) // 22)
    for i in range(0, len(tanks), per_row):
        chunk = range(i, min(len(tanks), i + per_row))
        lines.append("  ".join("%-4s %s %3d%% %3dC" % (tanks[j], _bar(s["lv"][j]), s["lv"][j], s["tp"][j])
                               for j in chunk))
    on = [n for n, v in zip(m["outputs"], s["out"]) if v == "1"]
    lines.append("outputs on: " + (" ".join(on) or "-"))
    if s.get("ilk"):
        lines.append("interlocks tripped: " + " ".join(s["ilk"]))
    lines.append("")
    if m["procs"] and "st" in s:
        counts = [s["st"].count(str(i)) for i in range(5)]
        lines.append("processes: " + "  ".join("%s %d" % (STATE_NAMES[i], c) for i, c in enumerate(counts)))
        lines.append("%-16s %-8s %-12s %4s  %s" % ("process", "state", "step", "prio", "blocked by"))
        rows = []
        for i, name in enumerate(m["procs"]):
            st = int(s["st"][i])
            if st:
                rows.append((-s["pr"][i], name, "%-16s %-8s %-12s %4d  %s" % (
                    name, STATE_NAMES[st], m["steps"][i][s["si"][i]], s["pr"][i], s["by"].get(name, ""))))
        rows.sort()
        room = max(3, height - len(lines) - 9)
        lines += [r[2] for r in rows[:room]]
        if len(rows) > room:
            lines.append("... %d more" % (len(rows) - room))
    else:
        lines.append("no controller running (main.py did not start one)")
    lines.append("")
    lines.append("recent events:")
    events = [e for x in rec.samples[-40:] if x for e in x.get("ev", ())]
    lines += ["  " + e for e in events[-6:]]
    return [ln[:width] for ln in lines]


def live(board, rec, args):
    out = sys.stdout
    out.write("\x1b[?25l")
    try:
        while True:
            running = board.proc.poll() is None
            size = shutil.get_terminal_size((100, 40))
            lines = render(rec, args, board.device, size.columns, size.lines)
            out.write("\x1b[H" + "".join(ln + "\x1b[K\n" for ln in lines) + "\x1b[J")
            out.flush()
            if not running:  # that was the final state
                break
            time.sleep(_REFRESH_S)
    finally:
        out.write("\x1b[?25h\n")
        out.flush()


# --- summary and timeline ----------------------------------------------------------

def summary_lines(rec, wall_s):
    S = rec.summary
    if S is None:
        return ["no summary: the board did not finish cleanly"]
    sim_s = S["t"] / 1000
    lines = ["simulated %s in %.1f s wall (ratio %.0f), %d scans, longest scan %d us, overruns %d, boots %d" % (
        hms(S["t"]), wall_s, sim_s / wall_s if wall_s else 0, S.get("scans", 0), S.get("scan_us_max", 0),
        S.get("overruns", 0), S["boots"]),
        "firmware heap after boot: %d KB on this 64-bit host (a 32-bit port needs roughly half to two "
        "thirds of it; ESP32 has about 110 KB, RP2040 about 200 KB)" % (S["heap_bytes"] // 1024)]
    procs = S["procs"]
    finished = sum(S["done"].values())
    lines.append("processes: %d, ran %d, were blocked %d, finished %d times, faulted %d times" % (
        len(procs), len(S["ran"]), len(S["blocked"]), finished, sum(S["faults"].values())))
    tanks = sorted({p.split("_", 1)[0] for p in procs}, key=lambda t: (len(t), t))
    kinds = []
    for p in procs:
        k = p.split("_", 1)[1] if "_" in p else p
        if k not in kinds:
            kinds.append(k)
    if tanks and kinds:
        lines.append("finished per process (b: was blocked, F: faulted, -: never ran):")
        lines.append("%-10s" % "" + "".join("%7s" % t for t in tanks))
        for k in kinds:
            cells = []
            for t in tanks:
                n = t + "_" + k
                if n not in procs:
                    cells.append("")
                    continue
                mark = ("b" if n in S["blocked"] else "") + ("F" if n in S["faults"] else "")
                cells.append(("%d%s" % (S["done"].get(n, 0), mark)) if n in S["ran"] else "-")
            lines.append("%-10s" % k + "".join("%7s" % c for c in cells))
    if S.get("batches"):
        lines.append("batches: " + "  ".join("%s %d" % (n.split("_")[0], b) for n, b in sorted(S["batches"].items())))
    if S["faults"]:
        lines.append("faults: " + "  ".join("%s %d" % kv for kv in sorted(S["faults"].items())))
    if S["trips"]:
        lines.append("interlock trips: " + "  ".join("%s %d" % kv for kv in sorted(S["trips"].items())))
    return lines


def timeline_png(rec, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    samples = [x for x in rec.samples if x and "st" in x]
    if not samples or not rec.meta:
        raise SystemExit("sim: no samples for a timeline")
    names = rec.meta["procs"]
    order = sorted(range(len(names)), key=lambda i: names[i])
    t_min = [x["t"] / 60000 for x in samples]
    grid = [[int(x["st"][i]) for x in samples] for i in order]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(14, 12), sharex=True,
                                   gridspec_kw={"height_ratios": [3, 1]})
    ax1.imshow(grid, aspect="auto", interpolation="nearest", cmap=ListedColormap(STATE_COLORS),
               vmin=0, vmax=4, extent=(t_min[0], t_min[-1], len(order) - 0.5, -0.5))
    ax1.set_yticks(range(len(order)))
    ax1.set_yticklabels([names[i] for i in order], fontsize=5)
    ax1.set_title("process states (grey inactive, green active, orange blocked, blue paused, red faulted)")
    for j, tank in enumerate(rec.meta["tanks"]):
        ax2.plot(t_min, [x["lv"][j] for x in samples], label=tank, linewidth=0.8)
    ax2.set_ylabel("level %")
    ax2.set_xlabel("simulated time (min)")
    ax2.legend(ncol=8, fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--speed", type=float, default=1.0, help="simulated seconds per wall second (live view)")
    ap.add_argument("--duration", type=duration_s, default=None,
                    help="simulated time to run: 90, 90s, 15m, 8h (headless default: 1h; live: until Ctrl-C)")
    ap.add_argument("--headless", action="store_true", help="no live view: run as fast as possible, print a summary")
    ap.add_argument("--png", help="write a timeline picture (process states, tank levels) here at the end")
    ap.add_argument("--config", default="config",
                    help="'config' (firmware/config.py) or boards/<CONFIG>.py, installed as config.py")
    ap.add_argument("--tanks", type=int, help="tanks of the simulated plant (default: from the config)")
    ap.add_argument("--fault", action="append", default=[], metavar="T:KIND:NAME[=VALUE]",
                    help="inject at T simulated seconds: stick:t1_fill=0|1|free, sensor:t1_level=low|high|error|ok, "
                         "leak:t1=<milli-%%/s>, trip:t1_mixer, level:t1=<%%>")
    ap.add_argument("--board", default="virtual", help="boards/<BOARD>.py is the board file")
    ap.add_argument("--flash", default=os.path.join(ROOT, "build", "vboard", "flash.bin"))
    ap.add_argument("--keep-flash", action="store_true", help="boot what the flash holds (e.g. after make deploy)")
    ap.add_argument("--pty-link", default=os.path.join(ROOT, "build", "vboard", "tty"))
    ap.add_argument("--broker", help="HOST:PORT of the MQTT broker for the board (default, live view: a local one)")
    ap.add_argument("--mqtt", action=argparse.BooleanOptionalAction, default=None,
                    help="connect the board to MQTT (default: on in the live view, off headless)")
    args = ap.parse_args(argv)
    duration = args.duration if args.duration is not None else (3600 if args.headless else 0)
    if args.headless and not duration:
        ap.error("--headless needs a --duration")
    if args.tanks is None:
        args.tanks = config_tanks(args.config)
    if args.png:
        telemetry_ms = max(1000, duration * 1000 // 1500) if args.headless else 1000
    else:
        telemetry_ms = 0 if args.headless else max(300, int(_REFRESH_S * 1000 * args.speed))
    stop_broker = None
    if args.mqtt if args.mqtt is not None else not args.headless:
        if not args.broker:  # mosquitto on 127.0.0.1:1883, or one started here (tools/mqtt_local.py)
            bhost, bport, stop_broker = mqtt_local.ensure_broker()
            args.broker = "%s:%d" % (bhost, bport)
        print("MQTT: broker %s, topics under sluice/plc1 (try: .venv/bin/python tools/sluicectl.py --port %s "
              "--node plc1 status)" % (args.broker, args.broker.rpartition(":")[2]))
    rec = Recording()
    board = host.VirtualBoard(
        args.flash, install=None if args.keep_flash else host.firmware_files(args.board, args.config),
        mkfs=not args.keep_flash, speed=args.speed, fast=args.headless, duration_s=duration,
        telemetry_ms=telemetry_ms, tanks=args.tanks, faults=args.fault, broker=args.broker,
        pty_link=args.pty_link, on_line=rec, echo_stderr=args.headless)
    t0 = time.monotonic()
    board.start()
    try:
        if args.headless:
            board.wait()
        else:
            live(board, rec, args)
    except KeyboardInterrupt:
        pass
    finally:
        board.stop()
        if stop_broker:
            stop_broker()
    wall_s = time.monotonic() - t0
    if not args.headless and board.log:
        print("\n".join("[vboard] " + ln for ln in board.log[-20:]))
    print("\n".join(summary_lines(rec, rec.summary["wall_ms"] / 1000 if rec.summary else wall_s)))
    if args.png:
        timeline_png(rec, args.png)
        print("timeline: " + args.png)
    return 0 if rec.summary else 1


if __name__ == "__main__":
    sys.exit(main())
