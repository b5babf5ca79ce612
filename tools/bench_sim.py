"""Simulator speed: the demo plant (8 tanks, 64 processes, 300 ms scans) on
the virtual board in headless mode, as `make sim SIM_ARGS=--headless` runs
it. Prints {"bench": "sim_speed", ...}; ratio = simulated / wall seconds of
the board's main loop (boot and flash set-up excluded, reported apart).
Target: ratio >= 1440 (24 simulated hours in <= 60 s)."""
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "vboard"))

import host  # noqa: E402

SIM_HOURS = 24


def main():
    with tempfile.TemporaryDirectory() as d:
        t0 = time.monotonic()
        b = host.VirtualBoard(os.path.join(d, "flash.bin"), install=host.firmware_files(), mkfs=True,
                              fast=True, duration_s=SIM_HOURS * 3600, echo_stderr=False)
        b.start()
        try:
            b.wait(600)
        finally:
            b.stop()
        total_s = time.monotonic() - t0
    s = b.summary
    if s is None:
        sys.exit("bench_sim: the board did not finish: %s" % "\n".join(b.log[-20:]))
    wall_s = s["wall_ms"] / 1000
    sim_s = s["t"] / 1000
    print(json.dumps({"bench": "sim_speed", "sim_seconds": sim_s, "wall_seconds": round(wall_s, 2),
                      "ratio": round(sim_s / wall_s), "target_ratio": 1440,
                      "wall_seconds_with_boot": round(total_s, 2), "scans": s.get("scans"),
                      "firmware_scan_share": round(s["scan_ms_total"] / s["wall_ms"], 2),
                      "processes": len(s["procs"]), "finished": sum(s["done"].values()),
                      "faults": sum(s["faults"].values()), "scan_us_max": s.get("scan_us_max")}))


if __name__ == "__main__":
    main()
