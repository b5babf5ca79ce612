# End-to-end persistence of the demo plant (runs under micropython).
# run(): the 8-tank demo plant with the store on a file-backed flash image,
# scanning until the host kills the process. Before each commit it prints
# "P <json>" (what the store will hold once it completes), after it "A".
# restore(): a fresh controller on the same image, as after a power cut;
# reports what the store held, what each process became, and how it runs on.
import json

import vfs
from demo_rig import DemoRig
from flashdev import FileFlash

from sluice.store import persist
from sluice.store.proc_record import decode, step_hash

TANKS = 8


class Config:
    STATE_DIR = "/state"
    RESTART_POLICY = {}
    for _i in range(TANKS):
        for _p in ("fill", "dose", "mix", "heat", "sample", "transfer", "rinse", "batch"):
            _n = "t%d_%s" % (_i + 1, _p)
            if _i in (0, 4):
                RESTART_POLICY[_n] = "resume"
            elif _i in (1, 5):
                RESTART_POLICY[_n] = "restart"


def _open(path):
    dev = FileFlash(path, 256)
    try:
        fs = vfs.VfsLfs2(dev)
    except OSError:
        vfs.VfsLfs2.mkfs(dev)
        fs = vfs.VfsLfs2(dev)
    rig = DemoRig(TANKS)
    ps = persist.start(rig.kernel, Config, fs)
    return rig, ps


def _records(k, values):
    out = {}
    for name, v in values.items():
        p = k.processes.get(name)
        if p is None:
            continue
        r = decode(v)
        step = [s for s in p.steps if step_hash(s) == r["step_hash"]]
        out[name] = [r["state"], step[0] if step else None, r["step_ms"], r["start_count"], r["fault"]]
    return out


def run(path):
    rig, ps = _open(path)
    k = rig.kernel
    st = ps.store
    commit = st.commit

    def traced():
        after = dict(st._flashed)
        after.update(st._staged)
        print("P " + json.dumps(_records(k, after)))
        n = commit()
        print("A %d" % k.scan_count)
        return n
    st.commit = traced
    rig.plant.tanks[2].fill_stuck = 0  # t3 never fills: t3_fill faults after its timeout
    while True:
        rig.scan()
        if k.scan_count == 100:
            k.command("t8_batch", "pause")


def restore(path, scans):
    rig, ps = _open(path)
    k = rig.kernel
    saved = _records(k, ps.store._flashed)
    view = {p.name: [p.state, p.step, p.step_elapsed_ms(), p.start_count, p.fault, p.auto]
            for p in k.processes.values()}
    outputs = sorted(set(o.value == o.safe for o in rig.io.outputs.values()))
    before = [k.processes["t%d_batch" % (i + 1)].batches for i in range(TANKS)]
    rig.run(scans)
    evs = [k.events.entry(s)[2:] for s in range(k.events.oldest_seq(), k.events.seq)]
    print("@@RESULT " + json.dumps({
        "saved": saved, "view": view, "outputs_safe": outputs, "policies": Config.RESTART_POLICY,
        "batches_before": before,
        "batches_after": [k.processes["t%d_batch" % (i + 1)].batches for i in range(TANKS)],
        "states_after": {p.name: p.state for p in k.processes.values()},
        "events": evs}))
