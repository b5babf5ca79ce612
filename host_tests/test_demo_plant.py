"""The demo plant (8 tanks, 64 processes) for one simulated hour on micropython."""
import mpy


def test_demo_plant_runs_an_hour_with_contention_and_no_faults():
    r = mpy.result("""
from demo_rig import DemoRig
from kit import check_invariants
rig = DemoRig(8)
k = rig.kernel
seen_blocked = set()
max_power = 0
for i in range(12000):   # 1 h at 300 ms
    rig.scan()
    check_invariants(k)
    for p in k.procs:
        if p.state_name == "blocked" and p.blocked_on:
            seen_blocked.add(p.name)
    max_power = max(max_power, sum(1 for p in k.procs if p.state_name == "active" and "power" in p.needs))
kinds = {}
for s in range(k.events.oldest_seq(), k.events.seq):
    what = k.events.entry(s)[3]
    kinds[what] = kinds.get(what, 0) + 1
report({"processes": len(k.processes),
        "batches": [k.processes["t%d_batch" % (i + 1)].batches for i in range(8)],
        "faults": [(p.name, p.fault) for p in k.procs if p.fault],
        "blocked_kinds": sorted(set(n.split("_")[1] for n in seen_blocked)),
        "max_power": max_power,
        "preempted_in_last_events": kinds.get("preempted", 0),
        "trips": sum(i.trip_count for i in k.interlocks)})
""", timeout=300)
    assert r["processes"] == 64
    assert all(b >= 5 for b in r["batches"]), r["batches"]
    assert r["faults"] == []
    assert {"transfer", "mix", "fill"} <= set(r["blocked_kinds"])  # contention on pumps, power and water
    assert r["max_power"] == 3                                     # the power budget is used to its limit
    assert r["trips"] > 0


def test_status_table_and_detail_at_the_repl():
    out, _, _ = mpy.run("""
from demo_rig import DemoRig
from sluice import diag
rig = DemoRig(8)
rig.run(400)
diag.attach(rig)
diag.status()
print("----")
diag.show("t1_transfer")
print("----")
diag.events(5)
diag.halt()
rig.run(2)
print("----")
diag.status(True)
""")
    table, detail, events, after_halt = out.split("----\n")
    lines = table.splitlines()
    assert lines[0].startswith("scan 400 | inactive ")
    head = next(i for i, l in enumerate(lines) if l.startswith("process "))
    assert lines[head].split()[:3] == ["process", "state", "step"]
    assert len(lines) == head + 1 + 64
    assert any(" blocked " in l and " by " in l for l in lines) or any(" active " in l and "holds" in l for l in lines)
    assert "t1_transfer (TransferTank)" in detail and "not preemptible" in detail and "pump_a, power" in detail
    assert len(events.splitlines()) == 5 + 1  # five events, then the halt confirmation
    rows = after_halt.splitlines()
    assert "HALTED" in rows[0]
    head = next(i for i, l in enumerate(rows) if l.startswith("process "))
    assert rows[head + 1:] and all(l.split()[1] in ("paused", "inactive") for l in rows[head + 1:])
