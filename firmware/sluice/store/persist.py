# Process state across resets: saved to a Store when it changes (one commit
# per scan at most, from Kernel.after_scan) and restored at boot after the
# plant is built, before the first scan. The record format: sluice.store.proc_record.
from sluice.compat import ticks_diff
from sluice.errors import ConfigError
from sluice.kernel.events import EV_FAULT, EV_INFO, EV_WARN
from sluice.kernel.process import ACTIVE, FAULTED, INACTIVE, PAUSED, PRIORITY_MAX, PRIORITY_MIN, STATE_NAMES, STOPPED
from sluice.store.kv import Store, StoreError
from sluice.store.proc_record import decode, encode, step_hash
from sluice.store.records import get_varint, put_varint

ALIVE_KEY = "~alive"  # wall-clock seconds of the last heartbeat: measures the outage
POLICIES = ("resume", "restart", "inactive")
RETRY_MS = 10000  # after a failed commit, changes wait this long before the next try


def _due(now, last, every_ms, quiet):
    d = ticks_diff(now, last)
    return d >= every_ms and (quiet or d >= 4 * every_ms)


class Persist:
    """kernel: the Kernel, plant built. store: an open sluice.store.kv.Store.
    wall_s: callable -> wall-clock seconds, or None while unknown (no RTC);
    without it an outage counts as unknown, i.e. longer than any limit.
    policies: {process name: "resume" | "restart" | "inactive"} overriding
    each class's `restart` (a site's choice, from config).
    checkpoint_ms: how often the step time of one active process (round robin)
    is saved while nothing else changes, so a retentive timer loses at most
    about checkpoint_ms * (active processes) at a reset; 0 disables it.
    Checkpoints and heartbeats wait for a scan with nothing else to commit
    (a one-key commit is the cheapest), up to 4 intervals."""

    def __init__(self, kernel, store, wall_s=None, policies=None,
                 checkpoint_ms=5000, heartbeat_ms=60000):
        self.kernel = kernel
        self.store = store
        self.wall_s = wall_s
        self.policies = policies or {}
        self.checkpoint_ms = checkpoint_ms
        self.heartbeat_ms = heartbeat_ms
        self.outage_s = None   # measured at restore(), None if unknown
        self.failures = 0      # commits that raised
        self._procs = []
        self._saved = {}       # process name -> p.rev last handed to the store
        self._rev = -1
        self._ckpt_t = kernel.now_ms
        self._ckpt_i = 0
        self._alive_t = kernel.now_ms
        self._failing = False
        self._fail_t = 0       # ticks of the last failed commit
        for name, pol in self.policies.items():
            if pol not in POLICIES:
                raise ConfigError("restart policy for %s: %r (one of %s)" % (name, pol, ", ".join(POLICIES)))

    # --- boot -------------------------------------------------------------

    def restore(self):
        """Apply saved state to every process. Call once, before the first scan."""
        k = self.kernel
        self._log_problems()
        self.outage_s = self._outage()
        self._procs = list(k.processes.values())
        for p in self._procs:
            data = self.store.get(p.name)
            if data is None:
                continue
            try:
                r = decode(data)
            except (ValueError, IndexError, UnicodeError) as e:
                k._log(EV_WARN, p.name, "saved state unreadable", str(e))
                continue
            self._apply(p, r)
        k.after_scan.append(self.after_scan)

    def _outage(self):
        now = self.wall_s() if self.wall_s else None
        saved = self.store.get(ALIVE_KEY)
        if now is None or saved is None:
            return None
        try:
            t, _ = get_varint(saved, 0)
        except (IndexError, ValueError):
            return None
        return now - t if now >= t else None

    def policy(self, p):
        return self.policies.get(p.name, p.restart)

    def _apply(self, p, r):
        k = self.kernel
        if PRIORITY_MIN <= r["priority"] <= PRIORITY_MAX:
            p.priority = r["priority"]  # an operator's change survives; so does an old default
        p.start_count = r["start_count"]
        p.auto = r["auto"]
        p.outcome = r["outcome"]
        idx = -1
        for i, s in enumerate(p.steps):
            if step_hash(s) == r["step_hash"]:
                idx = i
        vals = r["retained"]
        current = r["version"] == p.state_version
        if not current:
            vals = p.migrate(r["version"], vals)
            k._log(EV_INFO if vals is not None else EV_WARN, p.name,
                   "state migrated" if vals is not None else "state version changed, retained values dropped",
                   "v%d -> v%d" % (r["version"], p.state_version))
        if vals is not None and len(vals) == len(p.retain):
            for name, v in zip(p.retain, vals):
                setattr(p, name, v)
        elif vals is not None and current:
            k._log(EV_WARN, p.name, "retained values dropped", "saved %d, declared %d" % (len(vals), len(p.retain)))
        state = r["state"]
        if state == FAULTED:
            p.state = FAULTED
            p.state_name = STATE_NAMES[FAULTED]
            p.fault = r["fault"]
            if idx >= 0:
                p.step_index, p._step_ms = idx, r["step_ms"]
                p.step = p.steps[idx]
            k._touch(p)
            return
        if state == INACTIVE:
            return
        policy = "resume" if state == PAUSED else self.policy(p)
        why = ""
        if policy == "resume" and idx < 0:
            why = "saved step missing"
        elif not current and vals is None:
            why = "state version changed"
        elif state != PAUSED and policy != "inactive" and p.max_outage_s is not None and (
                self.outage_s is None or self.outage_s > p.max_outage_s):
            why = "outage %s s over limit %d s" % (self.outage_s, p.max_outage_s)
        if why:
            policy = "inactive"
            k._log(EV_WARN, p.name, "not resumed", why)
        if policy == "inactive":
            p.auto = False  # an auto-start process waits for an operator too
            p.outcome = STOPPED
            if not why:
                k._log(EV_INFO, p.name, "not resumed", "policy inactive")
        elif policy == "restart":
            k._request(p)
            k._log(EV_INFO, p.name, "restarted")
        else:
            p.state = PAUSED  # _request keeps the step of a paused process
            p.state_name = STATE_NAMES[PAUSED]
            p.step_index, p._step_ms = idx, r["step_ms"]
            p.step = p.steps[idx]
            if state != PAUSED:
                k._request(p)
                k._log(EV_INFO, p.name, "resumed", p.step)
        k._touch(p)

    # --- every scan (Kernel.after_scan) -------------------------------------

    def after_scan(self, k):
        """Stage every process whose rev moved and commit them as one batch.
        Allocates nothing when nothing changed and no checkpoint is due."""
        now = k.now_ms
        quiet = k.rev == self._rev  # extras ride on scans with nothing else to commit, unless overdue
        if not quiet:
            self._rev = k.rev
            self._stage()
        if self.checkpoint_ms and _due(now, self._ckpt_t, self.checkpoint_ms, quiet):
            self._ckpt_t = now
            self._checkpoint(k)
        elif self.wall_s and _due(now, self._alive_t, self.heartbeat_ms, quiet):
            self._alive_t = now
            self._heartbeat()
        if self.store.pending() and not (self._failing and ticks_diff(now, self._fail_t) < RETRY_MS):
            self._commit(k)

    def _stage(self):
        """Put every process whose rev moved since it was last staged."""
        saved = self._saved
        for p in self._procs:
            if saved.get(p.name, -1) != p.rev:
                saved[p.name] = p.rev
                self.store.put(p.name, encode(p))

    def _heartbeat(self):
        t = self.wall_s()
        if t is not None:
            b = bytearray()
            put_varint(b, t)
            self.store.put(ALIVE_KEY, b)

    def _checkpoint(self, k):
        procs = self._procs
        n = len(procs)
        for j in range(n):
            p = procs[(self._ckpt_i + j) % n]
            if p.state == ACTIVE:
                self._ckpt_i = (self._ckpt_i + j + 1) % n
                self.store.put(p.name, encode(p))
                return

    def _commit(self, k):
        try:
            self.store.commit()
        except StoreError as e:
            self.failures += 1
            self._fail_t = k.now_ms
            if not self._failing:  # once per failing spell, not every retry
                self._failing = True
                k._log(EV_FAULT, "store", "commit failed", str(e))
            return
        if self._failing:
            self._failing = False
            k._log(EV_INFO, "store", "commit ok again")
        self._log_problems()

    def _log_problems(self):
        for what, detail in self.store.problems:
            self.kernel._log(EV_WARN, "store", what, detail)
        self.store.problems = []


def start(kernel, config, fs=None, wall_s=None):
    """Open the store in config.STATE_DIR (absent or "": state is not saved),
    restore every process and hook the commit into the scan. Optional config:
    RESTART_POLICY {process name: policy}, STATE_CHECKPOINT_MS, STATE_BUCKETS,
    STATE_JOURNAL_MAX.
    Returns the Persist, or None without a store or if it cannot be opened
    (logged; the controller then runs without saved state)."""
    path = getattr(config, "STATE_DIR", "")
    if not path:
        return None
    try:
        store = Store.open(path, fs, getattr(config, "STATE_BUCKETS", 8),
                           getattr(config, "STATE_JOURNAL_MAX", 120))
    except (StoreError, OSError) as e:
        kernel._log(EV_FAULT, "store", "unavailable, state not restored", str(e))
        return None
    ps = Persist(kernel, store, wall_s=wall_s, policies=getattr(config, "RESTART_POLICY", None),
                 checkpoint_ms=getattr(config, "STATE_CHECKPOINT_MS", 5000))
    ps.restore()
    return ps
