"""Property-based random schedules (hypothesis) on the real micropython kernel:
no resource is ever granted beyond its capacity and no interlocked output is
ever energised, whatever the priorities, commands, faults and interlock trips."""
import json
import os
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mpy

VERBS = ["start", "stop", "pause", "resume", "reset", "priority"]


@st.composite
def scenarios(draw):
    n_res = draw(st.integers(1, 4))
    resources = [draw(st.integers(1, 3)) for _ in range(n_res)]
    n_procs = draw(st.integers(2, 10))
    procs = [{
        "prio": draw(st.integers(0, 9)),
        "needs": sorted(draw(st.sets(st.integers(0, n_res - 1), max_size=n_res))),
        "preemptible": draw(st.booleans()),
        "durations": [draw(st.integers(0, 3000)), draw(st.integers(0, 3000))],
        "fail_in": draw(st.sampled_from([None, None, None, "first", "second"])),
        "auto": draw(st.booleans()),  # auto-start whenever inactive: constant contention
    } for _ in range(n_procs)]
    interlocks = [{
        "outputs": sorted(draw(st.sets(st.integers(0, n_procs - 1), max_size=3))),
        "stops": sorted(draw(st.sets(st.integers(0, n_procs - 1), max_size=3))),
    } for _ in range(draw(st.integers(0, 3)))]
    scans = 40
    event = st.one_of(
        st.tuples(st.integers(0, scans - 1), st.sampled_from(["start"] * 4 + VERBS), st.integers(0, n_procs - 1),
                  st.integers(-5, 1005)),
        st.tuples(st.integers(0, scans - 1), st.just("toggle"), st.integers(0, 3)),
        st.tuples(st.integers(0, scans - 1), st.sampled_from(["halt", "resume_all"])),
        st.tuples(st.integers(0, scans - 1), st.just("force_on"), st.integers(0, n_procs - 1)),
    )
    events = draw(st.lists(event, max_size=60))
    return {"resources": resources, "procs": procs, "interlocks": interlocks, "events": events, "scans": scans}


@pytest.fixture(scope="module")
def worker():
    env = dict(os.environ)
    src = mpy.prelude() + "import schedule_worker\n"
    p = subprocess.Popen([mpy.micropython_bin(), "-X", "heapsize=1M", "-c", src], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True, cwd=mpy.ROOT, env=env)
    yield p
    p.stdin.close()
    p.wait(timeout=10)


def ask(worker, sc):
    worker.stdin.write(json.dumps(sc) + "\n")
    worker.stdin.flush()
    line = worker.stdout.readline()
    assert line, "micropython worker died"
    return json.loads(line)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sc=scenarios())
def test_random_schedules_keep_capacity_and_interlocks(worker, sc):
    res = ask(worker, sc)
    assert res["violation"] is None, res


def test_worker_really_checks(worker):
    # The same worker, with an interlocked output forced on and a process that
    # keeps it commanded: it must still read back safe (and the checker must run).
    sc = {"resources": [1], "procs": [{"prio": 1, "needs": [0], "preemptible": True, "durations": [3000, 3000],
                                       "fail_in": None, "auto": False}] * 3,
          "interlocks": [{"outputs": [0, 1], "stops": []}],
          "events": [[0, "start", 0, 0], [0, "start", 1, 0], [0, "start", 2, 0], [2, "toggle", 0], [3, "force_on", 1]],
          "scans": 20}
    res = ask(worker, sc)
    assert res["violation"] is None and res["applied"] == 3 and res["active_seen"] >= 19
