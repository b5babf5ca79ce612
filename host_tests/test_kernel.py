"""Process kernel behaviour, run on the real micropython interpreter."""
import mpy

PRELUDE = """
from kit import Job, Rig, check_invariants
from sluice.errors import CommandError
from sluice.kernel.process import Process
"""


def run(code):
    return mpy.result(PRELUDE + code)


def test_process_starts_runs_its_steps_and_finishes():
    r = run("""
rig = Rig(outputs=("motor",))
j = rig.k.add(Job("j", rig.out("motor"), durations_ms=(900, 600)))
trace = []
rig.k.command("j", "start")
trace.append((j.state_name, j.step, rig.out("motor").value))
for _ in range(8):
    rig.scan()
    trace.append((j.state_name, j.step, rig.out("motor").value))
report({"trace": trace, "starts": j.start_count, "outcome": j.outcome, "events": [e[3] for e in rig.k.events.recent(10)]})
""")
    t = r["trace"]
    assert t[0] == ["inactive", "first", 0]          # queued, applied by the next scan
    assert t[1] == ["active", "first", 1]            # active and output on in the first scan
    assert ["active", "second", 1] in t
    assert t[-1] == ["inactive", "first", 0]         # finished: back to the first step, output safe
    assert r["starts"] == 1 and r["outcome"] == 1    # DONE
    assert r["events"][:3] == ["start", "active", "done"]


def test_higher_priority_preempts_and_lower_resumes_at_its_step():
    r = run("""
rig = Rig(outputs=("pump_lo", "pump_hi"))
rig.k.add_resource("pump", 1)
lo = rig.k.add(Job("lo", rig.out("pump_lo"), durations_ms=(600, 3000), priority=1, needs=("pump",)))
hi = rig.k.add(Job("hi", rig.out("pump_hi"), durations_ms=(600, 600), priority=9, needs=("pump",)))
rig.k.command("lo", "start")
rig.scan(4)   # lo finishes its first step and runs 900 ms of the second
before = (lo.step, lo.step_elapsed_ms())
rig.k.command("hi", "start")
rig.scan()
during = (lo.state_name, lo.blocked_on, lo.blocked_by, lo.step, lo.step_elapsed_ms(), rig.out("pump_lo").value,
          lo.safe_calls, hi.state_name, rig.out("pump_hi").value)
rig.scan(5)
after = (lo.state_name, lo.step, hi.state_name, rig.out("pump_lo").value)
rig.scan(20)
report({"before": before, "during": during, "after": after, "lo_final": (lo.state_name, lo.outcome, lo.start_count)})
""")
    step, elapsed = r["before"]
    assert step == "second" and elapsed > 0
    assert r["during"] == ["blocked", "pump", "hi", "second", elapsed + 300, 0, 1, "active", 1]  # banked at preemption
    assert r["after"] == ["active", "second", "inactive", 1]   # resumed at its step once hi finished
    assert r["lo_final"] == ["inactive", 1, 1]                  # done, started once


def test_non_preemptible_holder_makes_higher_priority_wait():
    r = run("""
rig = Rig(outputs=("a", "b"))
rig.k.add_resource("pump", 1)
lo = rig.k.add(Job("lo", rig.out("a"), durations_ms=(900, 900), priority=1, needs=("pump",), preemptible=False))
hi = rig.k.add(Job("hi", rig.out("b"), durations_ms=(300, 300), priority=9, needs=("pump",)))
rig.k.command("lo", "start")
rig.scan()
rig.k.command("hi", "start")
seen = []
for _ in range(12):
    rig.scan()
    seen.append((lo.state_name, hi.state_name, hi.blocked_by))
report(seen)
""")
    assert r[0] == ["active", "blocked", "lo"]
    lo_done = next(i for i, s in enumerate(r) if s[0] == "inactive")
    assert lo_done >= 3                                     # lo ran its 1.8 s to the end
    assert all(s[1:] == ["blocked", "lo"] for s in r[:lo_done])
    assert r[lo_done + 1][1] == "active"                    # hi gets the pump at the next arbitration


def test_capacity_resource_and_first_come_first_served():
    r = run("""
rig = Rig(outputs=("m1", "m2", "m3", "m4", "m5"))
rig.k.add_resource("power", 3)
ms = [rig.k.add(Job("m%d" % i, rig.out("m%d" % i), durations_ms=(900, 0), needs=("power",), priority=5)) for i in range(1, 6)]
for name in ("m3", "m1", "m5", "m2", "m4"):
    rig.k.command(name, "start")
rig.scan()
first = [m.state_name for m in ms]
order = []
for _ in range(12):
    rig.scan()
    for m in ms:
        if m.state_name == "active" and m.name not in order:
            order.append(m.name)
report({"first": first, "order": order, "energised": sum(rig.out("m%d" % i).value for i in range(1, 6))})
""")
    # m3, m1, m5 asked first and got the three units; m2 then m4 waited in request order.
    assert r["first"] == ["active", "blocked", "active", "blocked", "active"]
    assert r["order"][-2:] == ["m2", "m4"]
    assert r["energised"] == 0


def test_waiting_process_is_not_starved_by_a_stream_of_equal_priority_work():
    # B needs the pump and a power unit; a stream of equal-priority jobs keeps
    # using power. B must get power before every job that asked after it.
    r = run("""
rig = Rig(outputs=("x",))
rig.k.add_resource("pump", 1)
rig.k.add_resource("power", 2)
holder = rig.k.add(Job("holder", None, durations_ms=(1500, 0), priority=5, needs=("pump",), preemptible=False))
b = rig.k.add(Job("b", None, durations_ms=(300, 0), priority=5, needs=("pump", "power")))
stream = [rig.k.add(Job("s%d" % i, None, durations_ms=(1200, 0), priority=5, needs=("power",))) for i in range(30)]
rig.k.command("holder", "start")
rig.scan()
rig.k.command("b", "start")
nxt = 0
b_active_at = None
for scan in range(200):
    # keep stream jobs asking all the time: a new one every scan while fewer than 3 wait or run
    if nxt < len(stream) and sum(1 for s in stream if s.state_name in ("active", "blocked")) < 3:
        rig.k.command(stream[nxt].name, "start")
        nxt += 1
    rig.scan()
    if b.state_name == "active" and b_active_at is None:
        b_active_at = (scan, nxt)
report({"b_active_at": b_active_at, "b_outcome": b.outcome})
""")
    assert r["b_active_at"] is not None, "B starved"
    scan, _ = r["b_active_at"]
    assert scan < 15
    assert r["b_outcome"] == 1


def test_interlock_overrides_priority_commands_and_auto_start():
    r = run("""
rig = Rig(outputs=("fill",), inputs=("high",))
high = rig.io.inputs["high"]
class Fill(Process):
    steps = ("fill",)
    priority = 1000
    def __init__(self, name, out):
        super().__init__(name, outputs=(out,))
        self.out = out
    def auto_start(self):
        return True
    def fill(self):
        while True:
            self.out.on()   # keeps commanding the valve open
            yield
f = rig.k.add(Fill("fill", rig.out("fill")))
rig.k.add_interlock("high_level", lambda: high.value, outputs=("fill",), stops=("fill",))
rig.scan(2)
a = (f.state_name, rig.out("fill").value)
high.value = 1
rig.scan()
b = (f.state_name, rig.out("fill").value, f.outcome)
try:
    rig.k.command("fill", "start")
    err = None
except CommandError as e:
    err = str(e)
rig.scan(3)
c = (f.state_name, rig.out("fill").value)
# a command-driven output that is not stopped, only forced: energise it by hand
rig.out("fill").on()
rig.scan()
d = rig.out("fill").value
high.value = 0
rig.scan(2)
e = (f.state_name, rig.out("fill").value)
report({"a": a, "b": b, "err": err, "c": c, "d": d, "e": e, "trips": rig.k.interlocks[0].trip_count})
""")
    assert r["a"] == ["active", 1]
    assert r["b"] == ["inactive", 0, 2]   # stopped the same scan, valve forced shut
    assert r["err"] == "fill: interlocked by high_level"
    assert r["c"] == ["inactive", 0]      # no auto-restart while tripped
    assert r["d"] == 0                    # a direct command cannot energise it either
    assert r["e"] == ["active", 1]        # auto-start resumes once clear
    assert r["trips"] == 1


def test_interlock_condition_that_raises_counts_as_tripped():
    r = run("""
rig = Rig(outputs=("valve",))
j = rig.k.add(Job("j", rig.out("valve"), durations_ms=(3000, 0)))
def broken():
    raise OSError("sensor bus")
rig.k.add_interlock("bus", broken, outputs=("valve",))
rig.k.command("j", "start")
rig.scan(2)
report((j.state_name, rig.out("valve").cmd, rig.out("valve").value, rig.k.interlocks[0].tripped))
""")
    assert r == ["active", 1, 0, True]


def test_step_timeout_faults_the_process_and_makes_it_safe():
    r = run("""
rig = Rig(outputs=("valve",), inputs=("level",))
lvl = rig.io.inputs["level"]
class Fill(Process):
    steps = ("fill",)
    needs = ("water",)
    def __init__(self, name, out):
        super().__init__(name, outputs=(out,))
        self.out = out
    def full(self):
        return lvl.value >= 80
    def fill(self):
        self.out.on()
        yield self.until(self.full, timeout_ms=3000)
rig.k.add_resource("water", 1)
f = rig.k.add(Fill("fill", rig.out("valve")))
rig.k.command("fill", "start")
rig.scan(9)
a = (f.state_name, rig.out("valve").value)
rig.scan(2)
b = (f.state_name, rig.out("valve").value, f.fault, f.step)
try:
    rig.k.command("fill", "start")
except CommandError as e:
    err = str(e)
rig.k.command("fill", "reset")
rig.scan()
report({"a": a, "b": b, "err": err, "after_reset": (f.state_name, f.fault, f.step), "water_held": rig.k.resources["water"].used})
""")
    assert r["a"] == ["active", 1]
    state, valve, fault, step = r["b"]
    assert (state, valve, step, r["water_held"]) == ("faulted", 0, "fill", 0)
    assert fault.startswith("step fill: timeout after 3") and "waiting for a condition" in fault
    assert r["err"] == "fill: faulted: reset it first"
    assert r["after_reset"] == ["inactive", "", "fill"]


def test_exception_in_one_step_faults_only_that_process():
    r = run("""
rig = Rig(outputs=("a", "b"))
bad = rig.k.add(Job("bad", rig.out("a"), durations_ms=(600, 600), fail_in="second"))
good = rig.k.add(Job("good", rig.out("b"), durations_ms=(600, 1500)))
rig.k.command("bad", "start")
rig.k.command("good", "start")
rig.scan(4)
report({"bad": (bad.state_name, bad.fault, rig.out("a").value, bad.safe_calls),
        "good": (good.state_name, good.step, rig.out("b").value),
        "scans": rig.k.scan_count})
""")
    assert r["bad"] == ["faulted", "step second: ValueError: sensor exploded", 0, 1]
    assert r["good"] == ["active", "second", 1]
    assert r["scans"] == 4


def test_bad_commands_are_refused_with_clear_errors_and_change_nothing():
    r = run("""
rig = Rig(outputs=("a",))
j = rig.k.add(Job("j", rig.out("a")))
def snapshot():
    return [(p.name, p.state, p.step_index, p.priority, p.rev) for p in rig.k.procs] + [len(rig.k._queue), rig.k.halted]
before = snapshot()
errors = []
for args in [("nope", "start"), ("j", "explode"), ("j", "priority", 5000), ("j", "priority", "7"), ("j", "priority", True),
             ("j", "priority", -1), ("j", "stop"), ("j", "pause"), ("j", "resume"), ("j", "reset"), (None, "start"), (42, "stop")]:
    try:
        rig.k.command(*args)
        errors.append(None)
    except CommandError as e:
        errors.append(str(e))
try:
    rig.k.node_command("reboot")
except CommandError as e:
    errors.append(str(e))
rig.scan()
report({"errors": errors, "unchanged": snapshot() == before or snapshot()[:-2] == before[:-2], "state": j.state_name,
        "out": rig.out("a").value})
""")
    e = r["errors"]
    assert e[0] == "unknown process 'nope'"
    assert e[1].startswith("unknown command 'explode' (one of: start, stop")
    assert e[2] == "j: priority must be an integer 0..1000, got 5000"
    assert e[3] == "j: priority must be an integer 0..1000, got '7'"
    assert e[4].startswith("j: priority must be an integer")
    assert e[5].startswith("j: priority must be an integer")
    assert e[6] == "j: not running (inactive)"
    assert e[7] == "j: not running (inactive)"
    assert e[8] == "j: not paused"
    assert e[9] == "j: not faulted"
    assert e[10] == "unknown process None" and e[11] == "unknown process 42"
    assert e[12].startswith("unknown node command 'reboot'")
    assert all(x is not None for x in e)
    assert r["unchanged"] and r["state"] == "inactive" and r["out"] == 0


def test_command_refused_when_applied_reports_through_done():
    r = run("""
rig = Rig(outputs=("a",))
j = rig.k.add(Job("j", rig.out("a")))
replies = []
rig.k.command("j", "start", done=lambda ok, err: replies.append((ok, err)))
rig.k.command("j", "stop", done=None) if False else None
rig.scan()
# valid when queued, stale when applied: stop queued twice
rig.k.command("j", "stop", done=lambda ok, err: replies.append((ok, err)))
rig.k.command("j", "stop", done=lambda ok, err: replies.append((ok, err)))
rig.scan()
report({"replies": replies, "state": j.state_name})
""")
    assert r["replies"] == [[True, None], [True, None], [False, "not running (inactive)"]]
    assert r["state"] == "inactive"


def test_pause_resume_halt_and_resume_all():
    r = run("""
rig = Rig(outputs=("a", "b"))
a = rig.k.add(Job("a", rig.out("a"), durations_ms=(3000, 3000)))
b = rig.k.add(Job("b", rig.out("b"), durations_ms=(3000, 3000)))
rig.k.command("a", "start"); rig.k.command("b", "start")
rig.scan(3)
rig.k.command("a", "pause")
rig.scan()
paused = (a.state_name, rig.out("a").value, a.step_elapsed_ms(), b.state_name)
rig.scan(3)
still = a.step_elapsed_ms()
rig.k.command("a", "resume")
rig.scan()
resumed = (a.state_name, rig.out("a").value)
rig.k.halt()
halted_now = (rig.out("a").value, rig.out("b").value)
rig.scan(3)
halted = (a.state_name, b.state_name, rig.out("a").value, rig.out("b").value)
errs = []
for name, verb in (("a", "resume"), ("b", "start")):
    try:
        rig.k.command(name, verb)
    except CommandError as e:
        errs.append(str(e))
rig.k.node_command("resume_all")
rig.scan()
report({"paused": paused, "still": still, "resumed": resumed, "halted_now": halted_now, "halted": halted, "errs": errs,
        "after": (a.state_name, b.state_name, rig.out("a").value, rig.out("b").value, rig.k.halted)})
""")
    st, out, elapsed, other = r["paused"]
    assert (st, out, other) == ("paused", 0, "active") and elapsed == r["still"]
    assert r["resumed"] == ["active", 1]
    assert r["halted_now"] == [0, 0]
    assert r["halted"] == ["paused", "paused", 0, 0]
    assert r["errs"] == ["a: node halted: resume_all first", "b: already paused"]
    assert r["after"] == ["active", "active", 1, 1, False]


def test_parent_runs_children_and_faults_when_a_child_faults():
    r = run("""
rig = Rig(outputs=("a", "b"))
class Parent(Process):
    steps = ("both", "after")
    def __init__(self, name, kids):
        super().__init__(name)
        self.kids = kids
    def both(self):
        yield self.run(*self.kids)
    def after(self):
        yield
ok1 = rig.k.add(Job("ok1", rig.out("a"), durations_ms=(600, 300)))
ok2 = rig.k.add(Job("ok2", rig.out("b"), durations_ms=(900, 300)))
p = rig.k.add(Parent("p", (ok1, ok2)))
rig.k.command("p", "start")
rig.scan(2)
mid = (p.step, ok1.state_name, ok2.state_name)
rig.scan(10)
done = (p.state_name, p.outcome, ok1.outcome, ok2.outcome)
bad = rig.k.add(Job("bad", None, fail_in="first"))
q = rig.k.add(Parent("q", (bad,)))
rig.k.command("q", "start")
rig.scan(4)
report({"mid": mid, "done": done, "q": (q.state_name, q.fault), "bad": bad.state_name})
""")
    assert r["mid"] == ["both", "active", "active"]
    assert r["done"] == ["inactive", 1, 1, 1]
    assert r["q"] == ["faulted", "child bad faulted"]
    assert r["bad"] == "faulted"


def test_priority_command_changes_who_wins():
    r = run("""
rig = Rig(outputs=("a", "b"))
rig.k.add_resource("pump", 1)
a = rig.k.add(Job("a", rig.out("a"), durations_ms=(3000, 0), priority=5, needs=("pump",)))
b = rig.k.add(Job("b", rig.out("b"), durations_ms=(3000, 0), priority=4, needs=("pump",)))
rig.k.command("a", "start"); rig.k.command("b", "start")
rig.scan()
first = (a.state_name, b.state_name)
rig.k.command("b", "priority", 8)
rig.scan()
report({"first": first, "then": (a.state_name, a.blocked_by, b.state_name, b.priority)})
""")
    assert r["first"] == ["active", "blocked"]
    assert r["then"] == ["blocked", "b", "active", 8]


def test_waits_survive_ticks_wraparound():
    r = run("""
rig = Rig(outputs=("a",), start_ms=(1 << 30) - 1000)   # ticks wrap 1 s after start
j = rig.k.add(Job("j", rig.out("a"), durations_ms=(1500, 0)))
rig.k.command("j", "start")
seen = []
for _ in range(8):
    rig.scan()
    seen.append((j.state_name, j.step, j.step_elapsed_ms()))
report(seen)
""")
    assert r[0][0] == "active"
    assert any(s[1] == "second" or s[0] == "inactive" for s in r[4:6])
    assert all(0 <= s[2] <= 1800 for s in r)


def test_scan_timer_counts_overruns_and_long_scans_never_queues():
    r = run("""
import micropython
from sluice.kernel.scan_timer import ScanTimer
rig = Rig(outputs=("a",))
class FakeTimer:
    def init(self, **kw):
        self.kw = kw
    def deinit(self):
        pass
st = None
class Slow(Process):
    steps = ("s",)
    def s(self):
        while True:
            st._tick(None)   # the timer fires while this scan is still running
            st._tick(None)
            yield
rig.k.add(Slow("slow"))
st = ScanTimer(rig.k, FakeTimer())
st.start(1)
rig.k.command("slow", "start")
for _ in range(3):
    st._tick(None)
    for _ in range(50):   # let the scheduler run the scan
        pass
report({"scans": rig.k.scan_count, "overruns": st.overruns, "pending": st.pending, "period": st.timer.kw["period"]})
""")
    assert r["scans"] == 3
    assert r["overruns"] == 6   # two ticks during each of the three scans (slow starts in the first)
    assert r["pending"] is False and r["period"] == 300


def test_config_errors_are_raised_at_load():
    r = run("""
from sluice.errors import ConfigError
rig = Rig(outputs=("a",))
errs = []
def attempt(f):
    try:
        f()
        errs.append(None)
    except ConfigError as e:
        errs.append(str(e))
rig.k.add_resource("pump", 1)
attempt(lambda: rig.k.add_resource("pump", 1))
attempt(lambda: rig.k.add_resource("x", 0))
attempt(lambda: rig.k.add(Job("j", None, needs=("nothing",))))
rig.k.add(Job("k", None))
attempt(lambda: rig.k.add(Job("k", None)))
attempt(lambda: rig.k.add(Job("p", None, priority=99999)))
attempt(lambda: Job("bad name", None))
attempt(lambda: rig.k.add_interlock("i", lambda: 0, outputs=("zz",)))
attempt(lambda: rig.k.add_interlock("i", lambda: 0, stops=("zz",)))
report(errs)
""")
    assert r == ["resource defined twice: pump", "resource x: capacity must be 1..64, got 0",
                 "j needs unknown resource nothing", "process defined twice: k",
                 "p: priority must be an int 0..1000", "bad process name 'bad name' (1-32 chars, no '/' or spaces)",
                 "unknown output: zz", "interlock i stops unknown process zz"]


def test_a_scan_that_fails_halts_with_every_output_safe_and_scans_go_on():
    r = run("""
from sluice.io.image import Input
from sluice.kernel.scan_timer import ScanTimer
class FlakyPin:
    broken = False
    def value(self):
        if self.broken:
            raise OSError(5)
        return 1
pin = FlakyPin()
rig = Rig(outputs=("a",))
rig.io.add_input(Input("in", pin))
j = rig.k.add(Job("j", rig.out("a"), durations_ms=(30000, 0)))
class FakeTimer:
    def init(self, **kw):
        pass
st = ScanTimer(rig.k, FakeTimer())
rig.k.command("j", "start")
def tick():
    rig.clock.advance(300)
    st._tick(None)
    for _ in range(50):
        pass
tick()
before = (j.state_name, rig.out("a").value)
pin.broken = True
tick()
during = (st.scan_errors, st.pending, rig.k.halted, rig.out("a").value, rig.k.events.recent(1)[0][3])
pin.broken = False
tick(); tick()
report({"before": before, "during": during, "after": (rig.k.scan_count, j.state_name, rig.out("a").value)})
""")
    assert r["before"] == ["active", 1]
    assert r["during"] == [1, False, True, 0, "halt"]
    assert r["after"] == [3, "paused", 0]   # scans continue, halted: nothing restarts by itself
