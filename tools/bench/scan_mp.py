# `make bench` scan figures, run under micropython: `scan_mp.py kernel|asyncio N`.
# The demo plant (N processes, N/8 tanks) after a warm-up; each figure is the
# best of 3 runs of the same deterministic workload (the machine may be busy).
# Times include the garbage collections the workload causes; allocation is
# measured separately with the collector off.
import gc
import json
import sys
from array import array

import asyncio
from asyncio_baseline import Baseline
from demo_rig import DemoRig
from sluice.compat import ticks_diff, ticks_us

WARMUP = 1000
SCANS = 3000
RUNS = 3


def p99(xs):
    # The smallest of the largest 1 %: no sorted copy of the whole run.
    top = [0] * (len(xs) // 100 + 1)
    for x in xs:
        if x > top[0]:
            top[0] = x
            top.sort()
    return top[0]


def new_times():
    return array("I", bytes(4 * SCANS))  # preallocated: the measurement must not grow the heap


def time_kernel(processes):
    rig = DemoRig(processes // 8)
    rig.run(WARMUP)
    k = rig.kernel
    times = new_times()
    for i in range(SCANS):
        rig.clock.advance(rig.period_ms)
        rig.plant.step(rig.period_ms)
        t0 = ticks_us()
        k.scan()
        times[i] = ticks_diff(ticks_us(), t0)
    assert len(k.processes) == processes
    return times


def alloc_kernel(processes):
    rig = DemoRig(processes // 8)
    rig.run(WARMUP)
    k = rig.kernel
    steady_alloc = steady = all_alloc = 0
    for _ in range(SCANS):
        rig.clock.advance(rig.period_ms)
        rig.plant.step(rig.period_ms)
        rev = k.rev
        gc.collect()
        gc.disable()
        a = gc.mem_alloc()
        k.scan()
        b = gc.mem_alloc()
        gc.enable()
        all_alloc += b - a
        if k.rev == rev:  # steady state: no process changed state or step
            steady += 1
            steady_alloc += b - a
    return steady_alloc / steady, steady / SCANS, all_alloc / SCANS


def time_baseline(processes):
    rig = DemoRig(processes // 8)  # same plant and I/O image, driven by asyncio tasks
    times = new_times()
    asyncio.run(Baseline(rig, processes // 8).main(WARMUP, SCANS, times))
    asyncio.new_event_loop()  # drops the tasks still queued, so the next run starts clean
    return times


def best(f, n):
    runs = []
    for _ in range(RUNS):
        t = f(n)
        gc.collect()
        runs.append((sum(t) / len(t), p99(t)))
        t = None
        gc.collect()
    return min(runs)


mode, n = sys.argv[1], int(sys.argv[2])
if mode == "kernel":
    mean, tail = best(time_kernel, n)
    steady_alloc, steady_frac, all_alloc = alloc_kernel(n)
    print(json.dumps({"bench": "scan", "processes": n, "scan_us_mean": round(mean, 1), "scan_us_p99": tail,
                      "alloc_bytes_per_scan": round(steady_alloc, 2), "steady_scan_fraction": round(steady_frac, 3),
                      "alloc_bytes_per_scan_incl_step_changes": round(all_alloc, 1), "interpreter": "micropython"}))
else:
    mean, tail = best(time_baseline, n)
    print(json.dumps({"bench": "scan_baseline_asyncio", "processes": n, "cycle_us_mean": round(mean, 1),
                      "cycle_us_p99": tail, "interpreter": "micropython"}))
