# The kernel: one scan reads inputs, applies queued commands and interlocks,
# arbitrates resources by priority, advances every active process one step
# and writes outputs. It owns every process state change.
#
# Threading contract: scan() and everything below it run in scheduled (soft-IRQ)
# context and are never interrupted by other Python code; the operator commands
# (sluice.kernel.commands) may be called from anywhere.
from sluice.compat import const, ticks_diff
from sluice.errors import ConfigError
from sluice.kernel.arbiter import arbitrate, grant_now, release, tidy
from sluice.kernel.commands import Commands, describe
from sluice.kernel.events import EV_FAULT, EV_INFO, EV_WARN, EventLog
from sluice.kernel.interlock import Interlock, check_interlocks, limit_group
from sluice.kernel.process import (ACTIVE, BLOCKED, DONE, FAULTED, FAULTED_OUT, INACTIVE, PAUSED,
                                   PRIORITY_MAX, PRIORITY_MIN, STATE_NAMES, STOPPED, W_NONE)
from sluice.kernel.resource import Resource
from sluice.kernel.stepper import step_running

_INACTIVE = const(0)  # INACTIVE, inlined by the compiler (an imported name is a lookup each time)
assert _INACTIVE == INACTIVE


def _close_step(p):
    g = p._gen
    p._gen = None
    try:
        g.close()  # the step's finally blocks run
    except Exception:
        pass


class Kernel(Commands):
    def __init__(self, io, clock, events=None, period_ms=300):
        self.io = io
        self.clock = clock
        self.events = events if events is not None else EventLog()
        self._log = self.events.log  # (level, who, what, detail=""): one call, not two, per event
        self.period_ms = period_ms
        self.now_ms = self.events.t_ms = clock.ticks_ms()  # ticks of the current (or last) scan
        self.processes = {}
        self.resources = {}
        self.interlocks = []
        self._limit_groups = []  # LimitGroup per input with limit interlocks
        self._custom_interlocks = []  # the ones with a callable condition
        self.after_scan = []  # callables(kernel) run at the end of each scan (persistence)
        self.halted = False
        self.rev = 0          # bumped with every Process.rev and interlock change
        self.scan_count = 0
        self.procs = []       # every process, in the order added
        self._running = []    # ACTIVE and BLOCKED ones (and, until the next tidy(), some
                              # that just left), by rank: see arbiter
        self._auto = []       # processes that define auto_start()
        self._res = []
        self._queue = []      # (process or None, verb, arg, done) waiting for the next scan
        self._seq = 0
        self._dirty = True    # arbitration needed
        self._blocked_mask = 0  # Resource.bit of what BLOCKED processes need (may hold stale bits)
        self._left = False    # a process left the running states: tidy() drops it from _running
        self._nsorted = 0     # _running[:_nsorted] is in rank order; tidy() sorts the rest
        self._halt_applied = True

    # --- configuration (at load, never mid-run) ------------------------------

    def add_resource(self, name, capacity=1):
        if name in self.resources:
            raise ConfigError("resource defined twice: " + name)
        if len(self._res) >= 30:
            raise ConfigError("at most 30 resources (they are bits of a small int)")
        r = self.resources[name] = Resource(name, capacity)
        r.bit = 1 << len(self._res)
        self._res.append(r)
        return r

    def add(self, p):
        if p.name in self.processes:
            raise ConfigError("process defined twice: " + p.name)
        if not isinstance(p.priority, int) or not PRIORITY_MIN <= p.priority <= PRIORITY_MAX:
            raise ConfigError("%s: priority must be an int %d..%d" % (p.name, PRIORITY_MIN, PRIORITY_MAX))
        needs = []
        for n in p.needs:
            if n not in self.resources:
                raise ConfigError("%s needs unknown resource %s" % (p.name, n))
            needs.append(self.resources[n])
            p._mask |= self.resources[n].bit
        p._needs = tuple(needs)
        p.kernel = self
        self.processes[p.name] = p
        self.procs.append(p)
        if p._auto:
            self._auto.append(p)
        return p

    def add_interlock(self, name, tripped=None, outputs=(), stops=(), input=None, high=None, low=None):
        """See sluice.kernel.interlock: tripped=callable, or input=Input with high= or low=."""
        ilk = Interlock(name, tripped, outputs, stops, input, high, low)
        ilk.outputs = tuple(self.io.output(n) for n in ilk.output_names)
        procs = []
        for n in ilk.stop_names:
            if n not in self.processes:
                raise ConfigError("interlock %s stops unknown process %s" % (name, n))
            p = self.processes[n]
            p._interlocks = p._interlocks + (ilk,)
            procs.append(p)
        ilk.processes = tuple(procs)
        self.interlocks.append(ilk)
        if ilk.input is None:
            self._custom_interlocks.append(ilk)
        else:
            limit_group(self._limit_groups, ilk)
        return ilk

    # --- state changes (scan context only) -------------------------------

    def _touch(self, p):
        p.rev += 1
        self.rev += 1

    def _request(self, p):
        """INACTIVE or PAUSED -> ACTIVE at once when what it needs is free and
        nobody waits for it (arbiter.grant_now), else BLOCKED until the next
        arbitration."""
        if p.state == INACTIVE:
            p.start_count += 1
            p.outcome = 0
            p.step_index = 0
            p.step = p.steps[0]
            p._step_ms = 0
        self._seq += 1
        p.seq = self._seq
        if not p._listed:
            p._listed = True
            self._running.append(p)
        else:  # still listed since it left: its new seq may move it
            self._nsorted = 0
        p.blocked_on = p.blocked_by = ""
        if not p._needs or grant_now(self, p):
            p.state = ACTIVE
            p.state_name = STATE_NAMES[ACTIVE]
            p._stint_t0 = self.now_ms
            self._log(EV_INFO, p.name, "active", p.step)
        else:
            p.state = BLOCKED
            p.state_name = STATE_NAMES[BLOCKED]
            self._blocked_mask |= p._mask
            self._dirty = True
        p.rev += 1  # _touch, inlined: this is the hot path
        self.rev += 1

    def _close(self, p):
        """Stop p's step and make its outputs safe; keeps step and banked time."""
        if p._gen is not None:
            _close_step(p)
        p._wait = W_NONE
        p._cond = None
        if p.state == ACTIVE:
            p._step_ms += ticks_diff(self.now_ms, p._stint_t0)
            self._on_safe(p)

    def _on_safe(self, p):
        try:
            p.on_safe()
        except Exception as e:
            self._log(EV_FAULT, p.name, "on_safe failed", describe(e))
            for o in p.outputs:
                o.to_safe()

    def _leave(self, p, state, outcome):
        """Any state -> INACTIVE, PAUSED or FAULTED. Releases resources."""
        if p._needs:
            release(self, p)
        self._left = True  # tidy _running at the next scan
        self._close(p)
        p.state = state
        p.state_name = STATE_NAMES[state]
        p.outcome = outcome
        p.blocked_on = p.blocked_by = ""
        if state == INACTIVE:
            p.step_index = 0
            p.step = p.steps[0]
            p._step_ms = 0
        if p._parent is not None:
            p._parent._wake = True
        if p._children:
            self._leave_children(p, outcome)
        p.rev += 1  # _touch, inlined: this is the hot path
        self.rev += 1

    def _leave_children(self, p, outcome):
        children = p._children
        p._children = ()
        if outcome == STOPPED or outcome == FAULTED_OUT:
            for c in children:  # a stopped or faulted parent stops what it started
                if c.state != INACTIVE and c.state != FAULTED:
                    self._leave(c, INACTIVE, STOPPED)
                    self._log(EV_INFO, c.name, "stopped", "parent " + p.name)

    def fault(self, p, text):
        self._leave(p, FAULTED, FAULTED_OUT)
        p.fault = text
        self._log(EV_FAULT, p.name, "fault", text)

    def _finish(self, p):
        self._leave(p, INACTIVE, DONE)
        self._log(EV_INFO, p.name, "done")

    # --- the scan --------------------------------------------------------

    def scan(self):
        now = self.now_ms = self.events.t_ms = self.clock.ticks_ms()
        self.io.read(now)
        if self._queue:
            self._apply_commands()
        if self.halted and not self._halt_applied:
            self._apply_halt()
        check_interlocks(self)
        if not self.halted:
            for p in self._auto:
                if p.state == _INACTIVE and p.auto:
                    self._auto_start(p)
        if self._left or self._nsorted != len(self._running):
            tidy(self)
        if self._dirty:
            arbitrate(self)
        step_running(self, now)
        self.io.write(now)
        if self.after_scan:
            self._after_scan()
        self.scan_count += 1

    def _after_scan(self):
        for hook in self.after_scan:
            try:
                hook(self)
            except Exception as e:
                self._log(EV_WARN, "node", "after_scan hook failed", describe(e))

    def _auto_start(self, p):
        try:
            want = p.auto_start()
        except Exception as e:
            self.fault(p, "auto_start: " + describe(e))
            return
        if want:
            for ilk in p._interlocks:
                if ilk.tripped:
                    return
            self._request(p)

    def _apply_halt(self):
        self._halt_applied = True
        for p in self.procs:
            if p.state == ACTIVE or p.state == BLOCKED:
                self._leave(p, PAUSED, 0)
        self.io.all_safe()
