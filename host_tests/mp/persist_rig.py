# Processes and a reset-able rig for persistence tests (runs under micropython).
# A "reset" builds a fresh kernel and processes (possibly edited code) and a
# fresh Store on a copy of the flash image, as a board does after power loss.
import vfs
from flashdev import FlashDev
from kit import Job, Rig

from sluice.store.kv import Store
from sluice.store.persist import Persist


class Resume(Job):
    restart = "resume"


class Restart(Job):
    restart = "restart"


class ResumeIfShort(Job):
    restart = "resume"
    max_outage_s = 60


class Counter(Job):
    """Retains a count; version 2 keeps tenths (migrate from version 1)."""
    restart = "resume"
    retain = ("count", "label")
    state_version = 1

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.count = 0
        self.label = ""

    def first(self):
        self.count += 1
        self.label = "batch-%d" % self.count
        yield from Job.first(self)


class CounterV2(Counter):
    state_version = 2

    def migrate(self, old_version, values):
        return [values[0] * 10, values[1]] if old_version == 1 else None


class Renamed(Job):
    """Edited code: step "second" became "finish"."""
    restart = "resume"
    steps = ("first", "finish")

    def finish(self):
        yield from self._run(1)


def build(edited=False):
    """Rig with one process per case; names say what each shows."""
    names = ("res", "rst", "ina", "pau", "flt", "idle", "gone", "short", "cnt")
    rig = Rig(outputs=[n + "_out" for n in names])
    o = rig.out
    k = rig.k
    k.add(Resume("res", o("res_out"), (1200, 9000)))
    k.add(Restart("rst", o("rst_out"), (1200, 9000)))
    k.add(Job("ina", o("ina_out"), (1200, 9000)))
    k.add(Resume("pau", o("pau_out"), (1200, 9000)))
    k.add(Resume("flt", o("flt_out"), (1200, 9000), fail_in="second"))
    k.add(Job("idle", o("idle_out")))
    k.add((Renamed if edited else Resume)("gone", o("gone_out"), (1200, 9000)))
    k.add(ResumeIfShort("short", o("short_out"), (1200, 9000)))
    k.add((CounterV2 if edited else Counter)("cnt", o("cnt_out"), (1200, 9000)))
    return rig


def volume(image=None):
    dev = FlashDev(64, image=image)
    if image is None:
        vfs.VfsLfs2.mkfs(dev)
    return dev, vfs.VfsLfs2(dev)


def attach(rig, fs, wall_s=None, **kw):
    ps = Persist(rig.k, Store.open("/state", fs), wall_s=wall_s, **kw)
    ps.restore()
    return ps


def view(k):
    return {p.name: [p.state_name, p.step, p.step_elapsed_ms(), p.start_count, p.fault, p.auto]
            for p in k.processes.values()}


def events(k):
    return [k.events.entry(s)[2:] for s in range(k.events.oldest_seq(), k.events.seq)]
