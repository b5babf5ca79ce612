"""Flash wear of process-state persistence (issue 4), measured at the block device.

Worst-case churn: 48 processes, one of them changes state every 300 ms scan,
24/7, one commit per scan. Each design runs on a fresh 1 MiB littlefs volume
(vfs.VfsLfs2, 4 KiB blocks, MicroPython's default mount options) on a NOR-flash
model that counts erases and bytes programmed. Projected life assumes littlefs
spreads erases over all 256 blocks (it relocates metadata pairs every 100
erases) rated 100,000 cycles:
    years = 256 * 100000 / (erases_per_commit * commits per year)
Prints one JSON line per design: store (sluice.store.kv), store_naive_append (one
growing log file, append + flush per commit), store_naive_inline_files (one
small file per process, all in one directory, rewritten when it changes), and
store_rp2_progsize256 (sluice.store.kv mounted like the rp2 port, 256-byte programs)
and store_demo_plant (the 8-tank demo plant for one simulated hour: real batches,
often several processes per scan, per scan rather than per commit).
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "host_tests"))
import mpy  # noqa: E402

MP = r"""
import json, random, vfs
from flashdev import FlashDev
from sluice.store.kv import Store
from sluice.store.proc_record import encode

BLOCKS = 256
SCAN_S = 0.3
COMMITS_PER_YEAR = 365.25 * 24 * 3600 / SCAN_S
PROCS = 48


class Proc:  # what sluice.store.proc_record.encode reads from a Process
    retain = ()
    state_version = 0
    fault = ""
    auto = True

    def __init__(self, i):
        self.name = "t%d_p%d" % (i // 8 + 1, i % 8)
        self.state = self.outcome = self.start_count = self.elapsed_ms = 0
        self.priority = i % 7
        self.step = "fill"

    def change(self):
        # one state change: a step ends, the process starts, or finishes
        self.state = (self.state + 1) % 3
        if self.state == 1:
            self.start_count += 1
        self.step = random.choice(("fill", "dose", "mix_heat", "sample", "transfer", "rinse"))
        self.elapsed_ms = random.getrandbits(17)

    def step_elapsed_ms(self):
        return self.elapsed_ms


def volume(progsize=None):
    dev = FlashDev(BLOCKS)
    if progsize:
        vfs.VfsLfs2.mkfs(dev, progsize=progsize)
        return dev, vfs.VfsLfs2(dev, progsize=progsize)
    vfs.VfsLfs2.mkfs(dev)
    return dev, vfs.VfsLfs2(dev)


def run(name, scans, writer, dev, note, scans_per_commit=1):
    random.seed(1)
    procs = [Proc(i) for i in range(PROCS)]
    for p in procs:
        writer([p])
    e0, b0 = dev.counters()
    for _ in range(scans):
        p = procs[random.getrandbits(8) % PROCS]
        p.change()
        writer([p])
    e1, b1 = dev.counters()
    commits = scans // scans_per_commit
    eps = (e1 - e0) / scans
    out = {"bench": name, "erases_per_commit": (e1 - e0) / commits,
           "bytes_programmed_per_commit": (b1 - b0) / commits,
           "projected_life_years": BLOCKS * 100000 / (eps * COMMITS_PER_YEAR) if eps else None,
           "commits": commits, "processes": PROCS, "record_bytes": len(encode(procs[0])),
           "region_kib": BLOCKS * 4, "design": note}
    if scans_per_commit > 1:
        out["scans_per_commit"] = scans_per_commit
    print(json.dumps(out))


def ours(commits, progsize=None, name="store", scans_per_commit=1, journal_max=120):
    dev, fs = volume(progsize)
    st = Store.open("/state", fs, journal_max=journal_max)
    n = [0]

    def write(ps):  # one scan's changes; a commit every scans_per_commit scans
        for p in ps:
            st.put(p.name, encode(p))
        n[0] += 1
        if n[0] % scans_per_commit == 0:
            st.commit()
    run(name, commits, write, dev, "one record file per process in 8 bucket directories; multi-key "
        "batches in a small journal file", scans_per_commit)


def naive_append(commits):
    dev, fs = volume()
    f = fs.open("/state.log", "ab")

    def write(ps):
        nonlocal f
        for p in ps:
            f.write(p.name.encode() + b"=" + encode(p) + b"\n")
        f.flush()
        if f.tell() > 64 * 1024:  # compaction: rewrite the live state
            f.close()
            with fs.open("/state.new", "wb") as g:
                for q in ps:
                    g.write(q.name.encode() + b"=" + encode(q) + b"\n")
            fs.rename("/state.new", "/state.log")
            f = fs.open("/state.log", "ab")
    run("store_naive_append", commits, write, dev, "append + flush to one growing log file")


def naive_inline_files(commits):
    dev, fs = volume()
    fs.mkdir("/state")

    def write(ps):
        for p in ps:
            with fs.open("/state/" + p.name, "wb") as f:
                f.write(encode(p))
    run("store_naive_inline_files", commits, write, dev,
        "rewrite one small (inline) file per process, all in one directory")


def demo_plant(scans):
    # the real workload: 8 tanks, 64 processes, the kernel's own batches (often several keys)
    from demo_rig import DemoRig
    from sluice.store.persist import Persist
    dev, fs = volume()
    rig = DemoRig(8)
    ps = Persist(rig.kernel, Store.open("/state", fs))
    ps.restore()
    rig.run(200)
    e0, b0 = dev.counters()
    c0 = ps.store.commits
    rig.run(scans)
    e1, b1 = dev.counters()
    eps = (e1 - e0) / scans
    print(json.dumps({"bench": "store_demo_plant", "erases_per_scan": eps,
                      "bytes_programmed_per_scan": (b1 - b0) / scans,
                      "commits_per_scan": (ps.store.commits - c0) / scans,
                      "projected_life_years": BLOCKS * 100000 / (eps * COMMITS_PER_YEAR) if eps else None,
                      "scans": scans, "processes": 64, "region_kib": BLOCKS * 4}))


ours(20000)
naive_append(1500)
naive_inline_files(20000)
ours(5000, progsize=256, name="store_rp2_progsize256")
demo_plant(12000)
"""


def _rounded(v):
    if isinstance(v, float):
        return round(v, 1) if abs(v) >= 1 else round(v, 5)
    return v


if __name__ == "__main__":
    src = mpy.prelude() + MP
    p = subprocess.run([mpy.micropython_bin(), "-X", "heapsize=16M", "-c", src], cwd=mpy.ROOT,
                       stdout=subprocess.PIPE, text=True)
    for line in p.stdout.splitlines():
        print(json.dumps({k: _rounded(v) for k, v in json.loads(line).items()}))
    sys.exit(p.returncode)
