"""sluice.store.kv on real littlefs (vfs.VfsLfs2 on a counting NOR-flash device) under micropython."""
import mpy

SETUP = """
import vfs
from flashdev import FlashDev
from sluice.store.kv import Store, StoreError
dev = FlashDev(64)
vfs.VfsLfs2.mkfs(dev)
fs = vfs.VfsLfs2(dev)
def reopen():
    return Store.open("/state", vfs.VfsLfs2(FlashDev(64, image=bytearray(dev.image))))
"""


def test_roundtrip_batches_and_identical_values_cost_nothing():
    r = mpy.result(SETUP + """
st = Store.open("/state", fs)
fresh = (st.keys(), st.seq)
st.put("t1_fill", b"\\x01\\x02")
st.put("t1_mix", b"")
one = st.commit()
st.put("t1_fill", b"\\x03")
single = st.commit()
before = dev.counters()
st.put("t1_fill", b"\\x03")   # identical to flash
st.put("t1_mix", b"")
noop = (st.pending(), st.commit(), dev.counters() == before)
again = reopen()
bad = []
for k in ("", "a/b", "x" * 33, "..", 7):
    try:
        st.put(k, b"")
    except StoreError:
        bad.append(k)
report({"fresh": fresh, "one": one, "single": single, "noop": noop,
        "loaded": sorted((k, list(again.get(k))) for k in again.keys()), "seq": again.seq,
        "bad": len(bad), "problems": again.problems})
""", heap="4M")
    assert r["fresh"] == [[], 0]
    assert r["one"] == 2 and r["single"] == 1
    assert r["noop"] == [0, 0, True]          # nothing staged, nothing written, no flash op
    assert r["loaded"] == [["t1_fill", [3]], ["t1_mix", []]]
    assert r["seq"] == 2
    assert r["bad"] == 5
    assert r["problems"] == []


def test_commit_wear_on_one_key_commits_is_an_inline_metadata_program():
    r = mpy.result(SETUP + """
st = Store.open("/state", fs)
names = ["p%d" % i for i in range(48)]
for n in names:
    st.put(n, b"0123456789ab")
st.commit()
e0, p0 = dev.counters()
for i in range(1200):
    st.put(names[(i * 7) % 48], bytes([i & 255]) * 12)
    st.commit()
e1, p1 = dev.counters()
report({"erases": (e1 - e0) / 1200, "bytes": (p1 - p0) / 1200})
""", heap="4M")
    # one 64-byte littlefs commit per store commit, an erase every ~60 commits
    assert r["bytes"] < 80, r
    assert r["erases"] < 0.024, r


def test_power_cut_at_every_operation_and_torn_programs_loses_nothing_acknowledged():
    r = mpy.result("""
import time
import store_powercut as pc
t0 = time.time()
base, trace, acks, multi = pc.record(seed=4, commits=1000)
stats = pc.sweep(base, trace, acks)
stats["operations"] = len(trace)
stats["erases"] = sum(1 for op in trace if isinstance(op, int))
stats["multi_key_commits"] = multi
stats["commits"] = len(acks)
stats["s"] = time.time() - t0
report(stats)
""", heap="64M", timeout=400)
    print("\npower-cut sweep: %d cut points (every operation of %d commits: %d programs/erases, %d erases, "
          "%d multi-key) + %d torn programs; loads as acknowledged %d, as in-flight %d, %.0f s" % (
              r["cut_points"], r["commits"], r["operations"], r["erases"], r["multi_key_commits"],
              r["torn_programs"], r["as_acked"], r["as_in_flight"], r["s"]))
    assert r["commits"] == 1000 and r["multi_key_commits"] > 100 and r["erases"] > 20
    assert r["cut_points"] == r["operations"] + 1
    assert r["torn_programs"] > r["operations"] // 2
    assert r["failed_mounts"] == 0
    assert r["failed_loads"] == 0
    assert r["wrong_loads"] == 0
    assert r["unstable_loads"] == 0
    assert r["as_acked"] + r["as_in_flight"] == r["cut_points"] + r["torn_programs"]


def test_corrupt_truncated_and_foreign_files_are_reported_and_survived():
    r = mpy.result(SETUP + """
st = Store.open("/state", fs)
for i in range(12):
    st.put("k%d" % i, bytes([i]) * 10)
st.commit()
st.put("k0", b"new")
st.commit()
with fs.open("/state/notes.txt", "w") as f:   # not ours: must survive
    f.write("operator notes")
fs.mkdir("/state/backup")
where = {k: st._where[k] for k in ("k1", "k2", "k3", "k4")}
def rw(path, fn):
    with fs.open(path, "rb") as f:
        d = f.read()
    with fs.open(path, "wb") as f:
        f.write(fn(d))
rw(where["k1"] + "/k1", lambda d: d[:-3])                          # truncated
rw(where["k2"] + "/k2", lambda d: d[:6] + bytes([d[6] ^ 1]) + d[7:])  # bit flip
rw(where["k3"] + "/k3", lambda d: b"PK\\x03\\x04" + d[4:])          # foreign magic
with fs.open(where["k4"] + "/k4", "wb") as f:                       # empty: power lost after create
    pass
with fs.open("/state/j", "wb") as f:
    f.write(b"\\xa6garbage")
s2 = Store.open("/state", fs)
got = {k: list(s2.get(k)) for k in s2.keys()}
s2.put("k1", b"repaired")
s2.put("k5", b"changed")
s2.commit()
s3 = Store.open("/state", fs)
with fs.open("/state/notes.txt", "r") as f:
    notes = f.read()
report({"keys": sorted(got), "k0": got.get("k0"), "problems": sorted(p[0] for p in s2.problems),
        "k1": list(s3.get("k1")), "k5": list(s3.get("k5")), "problems3": [p[0] for p in s3.problems],
        "notes": notes, "backup": [e[0] for e in fs.ilistdir("/state")]})
""", heap="4M")
    assert r["keys"] == sorted(["k0"] + ["k%d" % i for i in range(5, 12)])
    assert r["k0"] == list(b"new")
    assert r["problems"] == ["corrupt journal", "corrupt record", "corrupt record", "corrupt record"]
    assert r["k1"] == list(b"repaired") and r["k5"] == list(b"changed")
    assert r["problems3"] == ["corrupt record", "corrupt record"]  # k2, k3; the batch rewrote the journal
    assert r["notes"] == "operator notes"
    assert "backup" in r["backup"] and "notes.txt" in r["backup"]


def test_random_garbage_images_never_crash_and_never_format():
    r = mpy.result("""
import random, vfs
from flashdev import FlashDev
from sluice.store.kv import Store, StoreError
random.seed(11)
dev = FlashDev(32)
vfs.VfsLfs2.mkfs(dev)
st = Store.open("/state", vfs.VfsLfs2(dev))
for i in range(200):
    st.put("k%d" % (i % 9), bytes([i & 255]) * (i % 23))
    st.commit()
good = bytes(dev.image)
out = {"images": 0, "mounted": 0, "loaded": 0, "store_errors": 0, "crashes": [], "lost_files": 0}
for trial in range(300):
    img = bytearray(good)
    mode = trial % 3
    if mode == 0:      # pure noise
        for i in range(len(img)):
            img[i] = random.getrandbits(8)
    else:              # a valid volume with blocks or bytes overwritten
        for _ in range(1 + random.getrandbits(4)):
            b = random.getrandbits(5)
            if mode == 1:
                img[b * 4096:(b + 1) * 4096] = bytes(random.getrandbits(8) for _ in range(4096))
            else:
                a = b * 4096 + random.getrandbits(12)
                img[a] = random.getrandbits(8)
    d = FlashDev(32, image=img)
    out["images"] += 1
    try:
        fs = vfs.VfsLfs2(d)
    except OSError:
        continue       # not a volume: the store is never asked to format it
    out["mounted"] += 1
    try:
        before = sorted(e[0] for e in fs.ilistdir("/"))
    except OSError:
        before = None
    try:
        s = Store.open("/state", fs)
        for k in s.keys():
            s.get(k)
        out["loaded"] += 1
    except (StoreError, OSError):
        out["store_errors"] += 1
    except Exception as e:
        out["crashes"].append(repr(e))
    if before is not None:
        try:
            after = [e[0] for e in fs.ilistdir("/")]
        except OSError:
            after = []
        out["lost_files"] += len([n for n in before if n not in after])
report(out)
""", heap="8M", timeout=300)
    print("\ngarbage images: %(images)d, mounted %(mounted)d, loaded %(loaded)d, refused %(store_errors)d" % r)
    assert r["images"] == 300
    assert r["crashes"] == []
    assert r["mounted"] > 100 and r["loaded"] > 100
    assert r["lost_files"] == 0  # nothing deleted, nothing formatted
    src = open(mpy.FIRMWARE + "/sluice/store/kv.py").read()
    assert "mkfs" not in src and "remove(" not in src and "rmdir" not in src


def test_full_filesystem_and_failing_writes_keep_the_last_good_state_and_recover():
    r = mpy.result(SETUP + """
st = Store.open("/state", fs)
st.put("a", b"1")
st.put("b", b"1")
st.commit()
# fill the volume, one closed file per block
n_fill = 0
while True:
    try:
        with fs.open("/fill%d" % n_fill, "wb") as f:
            f.write(b"x" * 4000)
        n_fill += 1
    except OSError:
        break
full = []
for i in range(3):
    st.put("a", bytes([2 + i]) * 200)   # a non-inline value needs a free block
    st.put("b", b"2")
    try:
        st.commit()
        full.append("ok")
    except StoreError as e:
        full.append("StoreError")
on_flash_when_full = sorted((k, list(v)) for k, v in reopen()._flashed.items())
for i in range(n_fill):
    fs.remove("/fill%d" % i)
st.commit()                             # retried: still staged
after_space = sorted((k, len(v)) for k, v in reopen()._flashed.items())
dev.failing = True                      # the chip stops programming
st.put("a", b"3")
try:
    st.commit()
    failing = "ok"
except StoreError:
    failing = "StoreError"
on_flash_failing = sorted((k, len(v)) for k, v in reopen()._flashed.items())
dev.failing = False
n = st.commit()
report({"full": full, "when_full": on_flash_when_full, "after_space": after_space,
        "failing": failing, "on_flash_failing": on_flash_failing, "recovered": n,
        "final": sorted((k, list(v)) for k, v in reopen()._flashed.items())})
""", heap="4M")
    assert "StoreError" in r["full"]
    assert r["full"][0] == "StoreError" and r["when_full"] == [["a", [49]], ["b", [49]]]
    assert r["after_space"] == [["a", 200], ["b", 1]]
    assert r["failing"] == "StoreError"
    assert r["on_flash_failing"] == [["a", 200], ["b", 1]]
    assert r["recovered"] == 1
    assert r["final"] == [["a", [51]], ["b", [50]]]
