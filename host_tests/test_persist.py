"""Process state saved by sluice.store.persist and restored after a reset, on real littlefs under micropython."""
import mpy

RUNNING = ("blocked", "active")  # granted at once if it needs no resource, else at the next scan

PHASE1 = """
import persist_rig as pr
rig = pr.build()
k = rig.k
dev, fs = pr.volume()
WALL0 = 1000000
def wall_s():
    return WALL0 + rig.clock.ticks_ms() // 1000
ps = pr.attach(rig, fs, wall_s=wall_s, checkpoint_ms=600, heartbeat_ms=3000)
for n in ("res", "rst", "ina", "pau", "flt", "gone", "short", "cnt"):
    k.command(n, "start")
rig.scan(8)                    # first steps (1200 ms) done: all in "second"
k.command("pau", "pause")
rig.scan(20)
at_kill = pr.view(k)
image = bytearray(dev.image)   # power lost here
wall_at_kill = wall_s()
"""


def test_restart_policies_steps_timers_faults_and_migration_after_reset():
    r = mpy.result(PHASE1 + """
def reset(wall, edited=True):
    rig2 = pr.build(edited)
    dev2, fs2 = pr.volume(bytearray(image))
    pr.attach(rig2, fs2, wall_s=wall)
    return rig2
rig2 = reset(lambda: wall_at_kill + 30)
k2 = rig2.k
restored = pr.view(k2)
outputs = sorted(set(o.value for o in rig2.io.outputs.values()))
cnt = k2.processes["cnt"]
evs = pr.events(k2)
res_ms = restored["res"][2]
t = 0
while k2.processes["res"].state_name != "inactive" and t < 20000:
    rig2.scan()
    t += rig2.period_ms
long_outage = pr.view(reset(lambda: wall_at_kill + 3600).k)
no_clock = pr.view(reset(None).k)
same_code = pr.view(reset(lambda: wall_at_kill + 30, edited=False).k)
report({"at_kill": at_kill, "restored": restored, "outputs": outputs, "count": [cnt.count, cnt.label],
        "events": evs, "res_done_after_ms": t, "res_outcome": k2.processes["res"].outcome,
        "long_outage": long_outage, "no_clock": no_clock, "same_code": same_code})
""", heap="8M")
    a, b, ev = r["at_kill"], r["restored"], r["events"]
    assert a["res"][:2] == ["active", "second"] and a["pau"][0] == "paused" and a["flt"][0] == "faulted"
    # resume: back at its step with its banked step time (saved at most a checkpoint round ago)
    assert b["res"][0] in RUNNING and b["res"][1] == "second"
    assert 0 < b["res"][2] <= a["res"][2] and a["res"][2] - b["res"][2] <= 600 * 7
    assert b["res"][3] == a["res"][3]
    # ... and its retentive timer finishes the step after the time it still had
    assert r["res_outcome"] == 1  # DONE
    assert abs(r["res_done_after_ms"] - (9000 - b["res"][2])) <= 600
    # restart: from the first step, a new start
    assert b["rst"][0] in RUNNING and b["rst"][1:3] == ["first", 0] and b["rst"][3] == a["rst"][3] + 1
    # inactive (the default): waits for an operator, even in auto mode
    assert b["ina"][0] == "inactive" and b["ina"][5] is False
    assert ["ina", "not resumed", "policy inactive"] in ev
    # paused stays paused at its step and time; faulted stays faulted with its text
    assert b["pau"][:3] == a["pau"][:3]
    assert b["flt"][0] == "faulted" and b["flt"][4] == a["flt"][4] and "sensor exploded" in b["flt"][4]
    assert b["idle"] == a["idle"]
    # a step removed by an edit: the safe policy, and an event says why
    assert b["gone"][0] == "inactive" and ["gone", "not resumed", "saved step missing"] in ev
    # outage under the limit: resumed; over it, or unknown (no clock): not
    assert b["short"][0] in RUNNING and b["short"][1] == "second"
    assert r["long_outage"]["short"][0] == "inactive" and r["no_clock"]["short"][0] == "inactive"
    assert r["long_outage"]["res"][0] in RUNNING and r["long_outage"]["res"][1] == "second"   # no limit set: resumes anyway
    # state version 1 -> 2 through migrate(); retained values restored
    assert r["count"] == [10, "batch-1"] and ["cnt", "state migrated", "v1 -> v2"] in ev
    assert b["cnt"][0] in RUNNING and b["cnt"][1] == "second"
    assert r["same_code"]["gone"][0] in RUNNING and r["same_code"]["gone"][1] == "second"
    # boot leaves every output safe: restored processes only ask to run
    assert r["outputs"] == [0]


def test_at_most_one_commit_per_scan_none_when_idle_and_no_allocation():
    r = mpy.result("""
import micropython
import persist_rig as pr
rig = pr.build()
k = rig.k
dev, fs = pr.volume()
ps = pr.attach(rig, fs, wall_s=lambda: 1000000, checkpoint_ms=600000)  # timers checked, not due
st = ps.store
per_scan = []
for n in ("res", "rst", "ina", "cnt"):
    k.command(n, "start")
for i in range(12):
    c = st.commits
    rig.scan()
    per_scan.append(st.commits - c)
ops = dev.counters()
c = st.commits
rig.scan(10)                  # every process waits in a timed step: nothing changes
idle = [st.commits - c, dev.counters() == ops]
micropython.heap_lock()
try:
    for i in range(50):
        ps.after_scan(k)
    locked = "ok"
except MemoryError:
    locked = "allocated"
micropython.heap_unlock()
report({"per_scan": per_scan, "idle": idle, "locked": locked})
""", heap="4M")
    assert max(r["per_scan"]) == 1 and sum(r["per_scan"]) == 2  # started; entered step 2
    assert r["idle"] == [0, True]
    assert r["locked"] == "ok"


def test_unreadable_records_and_a_missing_store_are_logged_and_survived():
    r = mpy.result(PHASE1 + """
from sluice.store import persist
from sluice.store.kv import Store
fs3 = pr.volume(bytearray(image))[1]
st = Store.open("/state", fs3)
st.put("res", b"\\x07\\x00")       # state 7 does not exist
st.commit()
rig3 = pr.build()
pr.attach(rig3, fs3)
v = pr.view(rig3.k)
ev = pr.events(rig3.k)
with fs.open("/notadir", "w") as f:
    f.write("x")
class Cfg:
    STATE_DIR = "/notadir/state"
rig4 = pr.build()
none = persist.start(rig4.k, Cfg, fs)
class Off:
    pass
report({"res": v["res"], "rst": v["rst"], "events": ev, "none": none is None,
        "ev4": pr.events(rig4.k), "off": persist.start(rig4.k, Off, fs) is None})
""", heap="8M")
    assert r["res"][0] == "inactive"
    assert any(e[0] == "res" and e[1] == "saved state unreadable" for e in r["events"])
    assert r["rst"][0] in RUNNING and r["rst"][1] == "first"          # the others are restored
    assert r["none"] and r["off"]
    assert r["ev4"][0][:2] == ["store", "unavailable, state not restored"]


def test_record_encoding_roundtrip_and_size():
    r = mpy.result("""
import persist_rig as pr
from sluice.store.proc_record import decode, encode
rig = pr.build()
k = rig.k
p = k.processes["cnt"]
k.command("cnt", "start")
rig.scan(3)
p.count = -123456
p.label = "x" * 20
p.fault = "f" * 100
a = decode(encode(p))
q = k.processes["res"]
k.command("res", "start")
rig.scan(2)
report({"a": [a["state"], a["start_count"], a["fault"], a["retained"], a["version"]],
        "typical": len(encode(q)), "idle": len(encode(k.processes["idle"]))})
""")
    assert r["a"] == [1, 1, "f" * 60, [-123456, "x" * 20], 1]
    assert r["typical"] <= 17 and r["idle"] <= 17   # fits one 64-byte littlefs commit


def test_failing_flash_is_logged_once_survived_and_retried():
    r = mpy.result("""
import persist_rig as pr
from sluice.store.kv import Store
rig = pr.build()
k = rig.k
dev, fs = pr.volume()
ps = pr.attach(rig, fs, checkpoint_ms=0)
k.command("res", "start")
rig.scan(2)
dev.failing = True             # the chip stops programming
k.command("rst", "start")
rig.scan(10)                   # 3 s: commits fail, scans go on
during = [ps.failures, Store.open("/state", pr.volume(bytearray(dev.image))[1]).get("rst")[0] & 7]
dev.failing = False
rig.scan(30)                   # 9 s more: the retry after 10 s succeeds
ev = pr.events(k)
saved = Store.open("/state", pr.volume(bytearray(dev.image))[1])
from sluice.store.proc_record import decode
report({"during": during, "failures": ps.failures,
        "store_events": [e[1] for e in ev if e[0] == "store"],
        "rst_saved_state": decode(saved.get("rst"))["state"], "rst_state": k.processes["rst"].state})
""", heap="4M")
    assert r["during"] == [1, 0]               # one try, then it waits; flash keeps "inactive"
    assert r["failures"] == 1
    assert r["store_events"] == ["commit failed", "commit ok again"]
    assert r["rst_saved_state"] == r["rst_state"]
