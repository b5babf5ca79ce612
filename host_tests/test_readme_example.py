"""The worked example in README.md runs as documented, on micropython."""
import os
import re

import mpy


def readme_example():
    text = open(os.path.join(mpy.ROOT, "README.md")).read()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 1
    return blocks[0]


def test_readme_example_fills_shares_the_pump_and_resolves_the_priority_conflict():
    r = mpy.result(readme_example() + """
from kit import Rig
rig = Rig(outputs=("t1_fill", "pump"), inputs=("t1_level", "t2_level"))
k = rig.k
build(k)
t1, t2 = rig.io.inputs["t1_level"], rig.io.inputs["t2_level"]
fill, empty, rescue = k.processes["fill_t1"], k.processes["empty_t1"], k.processes["rescue_t2"]
k.command("fill_t1", "start")
trace = []
for _ in range(60):          # the valve adds 2 % per scan while open
    rig.scan()
    if rig.out("t1_fill").value:
        t1.value += 2
    trace.append((fill.step, rig.out("t1_fill").value))
filled = (t1.value, fill.state_name, fill.outcome)
t2.value = 50
k.command("empty_t1", "start")
rig.scan(3)
k.command("rescue_t2", "start")
rig.scan()
conflict = (empty.state_name, empty.blocked_by, empty.blocked_on, rescue.state_name, rig.out("pump").value)
while rescue.state_name == "active":   # the pump empties tank 2
    t2.value -= 5
    rig.scan()
rig.scan()
after = (empty.state_name, empty.step, rescue.outcome)
t1.value = 97
rig.scan()                   # the interlock trips
errs = []
try:
    k.command("fill_t1", "start")
except Exception as e:
    errs.append(str(e))
report({"filled": filled, "settled": ["settle", 0] in [list(t) for t in trace],
        "conflict": conflict, "after": after, "errs": errs})
""")
    level, state, outcome = r["filled"]
    assert 80 <= level <= 82 and state == "inactive" and outcome == 1
    assert r["settled"]
    assert r["conflict"] == ["blocked", "rescue_t2", "transfer_pump", "active", 1]
    assert r["after"] == ["active", "pump_out", 1]
    assert r["errs"] == ["fill_t1: interlocked by t1_high"]
