"""How a process moves between its steps, run on the real micropython interpreter:
jumps by name, bad steps, a step's cleanup when it is cut short."""
import mpy

PRELUDE = """
from kit import Rig
from sluice.kernel.process import Process


class Cycle(Process):
    # count -> check, which jumps back to count twice, then on to done.
    steps = ("count", "check", "done")

    def __init__(self, name, out):
        super().__init__(name, outputs=(out,))
        self.out = out
        self.rounds = 0
        self.seen = []

    def count(self):
        self.rounds += 1
        self.seen.append("count")
        yield

    def check(self):
        self.seen.append("check")
        yield
        if self.rounds < 3:
            return "count"

    def done(self):
        self.seen.append("done")
        self.out.on()
        yield self.wait_ms(600)
        self.out.off()
"""


def run(code):
    return mpy.result(PRELUDE + code)


def test_a_step_that_returns_a_step_name_jumps_there():
    r = run("""
rig = Rig(outputs=("o",))
p = rig.k.add(Cycle("c", rig.out("o")))
rig.k.command("c", "start")
trace = []
for _ in range(12):
    rig.scan()
    trace.append((p.state_name, p.step, p.step_index))
report({"seen": p.seen, "trace": trace, "outcome": p.outcome, "out": rig.out("o").value})
""")
    assert r["seen"] == ["count", "check", "count", "check", "count", "check", "done"]
    assert ["active", "check", 1] in r["trace"] and ["active", "done", 2] in r["trace"]
    assert r["trace"][-1] == ["inactive", "count", 0]  # finished, back at the first step
    assert r["outcome"] == 1 and r["out"] == 0  # done, output off


def test_bad_steps_fault_their_process_with_a_clear_text():
    r = run("""
class Bad(Process):
    steps = ("a",)

    def a(self):
        yield
        return "nowhere"


class NotGen(Process):
    steps = ("a",)

    def a(self):
        return 5


rig = Rig()
jump = rig.k.add(Bad("jump"))
plain = rig.k.add(NotGen("plain"))
for n in ("jump", "plain"):
    rig.k.command(n, "start")
rig.scan(3)
report({"jump": [jump.state_name, jump.fault], "plain": [plain.state_name, plain.fault],
        "scans": rig.k.scan_count})
""")
    assert r["jump"] == ["faulted", "step a: ValueError: returned unknown step 'nowhere'"]
    assert r["plain"] == ["faulted", "step a: TypeError: step a is not a generator (it needs a yield)"]
    assert r["scans"] == 3


def test_a_step_cut_short_runs_its_cleanup_and_restarts_from_its_start():
    r = run("""
class Careful(Process):
    steps = ("work",)

    def __init__(self, name):
        super().__init__(name)
        self.entered = self.cleaned = 0

    def work(self):
        self.entered += 1
        try:
            yield self.wait_ms(10000)
        finally:
            self.cleaned += 1


rig = Rig()
p = rig.k.add(Careful("p"))
rig.k.command("p", "start")
rig.scan(2)
rig.k.command("p", "pause")
rig.scan()
paused = (p.state_name, p.entered, p.cleaned)
rig.k.command("p", "resume")
rig.scan(2)
resumed = (p.state_name, p.entered, p.cleaned)
rig.k.command("p", "stop")
rig.scan()
report({"paused": paused, "resumed": resumed, "stopped": (p.state_name, p.entered, p.cleaned)})
""")
    assert r["paused"] == ["paused", 1, 1]
    assert r["resumed"] == ["active", 2, 1]
    assert r["stopped"] == ["inactive", 2, 2]


def test_steps_that_end_at_once_cannot_hang_the_scan():
    r = run("""
class Spin(Process):
    steps = ("a", "b")

    def a(self):
        return "b"
        yield

    def b(self):
        return "a"
        yield


rig = Rig()
p = rig.k.add(Spin("spin"))
rig.k.command("spin", "start")
rig.scan(50)
report([p.state_name, rig.k.scan_count, p.rev > 50])
""")
    assert r == ["active", 50, True]  # a couple of step changes per scan, and the scan goes on
