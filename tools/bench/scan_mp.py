# `make bench` scan figures, run under micropython: the demo plant's kernel
# scan for 16, 64 and 256 processes, and the asyncio baseline doing the same
# work. Prints one JSON line per figure.
import gc
import json

import asyncio
from asyncio_baseline import Baseline
from demo_rig import DemoRig
from sluice.compat import ticks_diff, ticks_us

WARMUP = 1000
SCANS = 3000


def p99(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, (len(xs) * 99) // 100)]


def scan_bench(processes):
    rig = DemoRig(processes // 8)
    rig.run(WARMUP)
    k = rig.kernel
    times = []
    steady_alloc = steady = all_alloc = 0
    for _ in range(SCANS):
        rig.clock.advance(rig.period_ms)
        rig.plant.step(rig.period_ms)
        rev = k.rev
        gc.collect()
        gc.disable()
        a = gc.mem_alloc()
        t0 = ticks_us()
        k.scan()
        t = ticks_diff(ticks_us(), t0)
        b = gc.mem_alloc()
        gc.enable()
        times.append(t)
        all_alloc += b - a
        if k.rev == rev:  # steady state: no process changed state or step
            steady += 1
            steady_alloc += b - a
    assert len(k.processes) == processes
    return {"bench": "scan", "processes": processes,
            "scan_us_mean": round(sum(times) / len(times), 1), "scan_us_p99": p99(times),
            "alloc_bytes_per_scan": round(steady_alloc / steady, 2) if steady else None,
            "steady_scan_fraction": round(steady / SCANS, 3),
            "alloc_bytes_per_scan_incl_step_changes": round(all_alloc / SCANS, 1),
            "interpreter": "micropython"}


def baseline_bench(processes):
    rig = DemoRig(processes // 8)
    # The same plant and I/O image, driven by the asyncio tasks instead of the kernel.
    times = []
    asyncio.run(Baseline(rig, processes // 8).main(WARMUP, SCANS, times))
    return {"bench": "scan_baseline_asyncio", "processes": processes,
            "cycle_us_mean": round(sum(times) / len(times), 1), "cycle_us_p99": p99(times),
            "interpreter": "micropython"}


for n in (16, 64, 256):
    print(json.dumps(scan_bench(n)))
    gc.collect()
    print(json.dumps(baseline_bench(n)))
    gc.collect()
