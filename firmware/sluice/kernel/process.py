# The process authoring API. A process is a class: named steps (generator
# methods), a priority, the resources it needs while it runs, the outputs it
# drives. The kernel (sluice.kernel.kernel) owns every state change; the helpers here
# only record what the current step waits for, and are called from steps.
from sluice.compat import const, ticks_add, ticks_diff
from sluice.errors import ConfigError

# Process.state. These numbers are persisted and published: never renumber.
INACTIVE = const(0)
ACTIVE = const(1)   # holds its resources; its step advances every scan
BLOCKED = const(2)  # wants to run; blocked_on/blocked_by say who holds what it needs
PAUSED = const(3)   # operator hold: outputs safe, resources released, step kept
FAULTED = const(4)  # outputs safe, resources released; needs a reset command
STATE_NAMES = ("inactive", "active", "blocked", "paused", "faulted")

# Process.outcome: how the process last left the running states.
NO_OUTCOME = const(0)
DONE = const(1)
STOPPED = const(2)
FAULTED_OUT = const(3)
OUTCOME_NAMES = ("", "done", "stopped", "faulted")

# Process._wait: what the current step waits for before the kernel resumes it.
W_NONE = const(0)
W_TIME = const(1)      # until ticks _wait_until
W_COND = const(2)      # until _cond() is true; faults at _wait_until if _wait_timeout
W_CHILDREN = const(3)  # until every process in _children finished

PRIORITY_MIN = const(0)
PRIORITY_MAX = const(1000)


class Process:
    """Subclass and set, as class attributes or through __init__:

    steps        names of the step methods, run in order. A step is a generator
                 method; each `yield` waits one scan. It may `return "name"` to
                 jump to another step. A step is restarted from its start after
                 preemption, pause or reboot, so it must be safe to re-enter.
    priority     higher wins (PRIORITY_MIN..PRIORITY_MAX).
    needs        resource names, one unit of each, held while active.
    preemptible  False: once active, runs to its end; higher ones wait.
    outputs      Output objects forced safe whenever the process stops running.
    auto_start   define this method to start the process when it returns True
                 (checked each scan while inactive and in auto mode).
    """

    steps = ()
    priority = 0
    needs = ()
    preemptible = True
    retain = ()  # names of attributes saved with the process state
    # After a reset, a process that was running: "resume" at its step with the
    # step time it had, "restart" from the first step, or "inactive": wait for
    # an operator's start (the safe default). See sluice.store.persist.
    restart = "inactive"
    max_outage_s = None  # resume/restart only if the power was off less than this (s)
    state_version = 0    # bump when `retain` or the steps change meaning; see migrate()

    def __init__(self, name, priority=None, needs=None, outputs=(), preemptible=None):
        if not isinstance(name, str) or not name or len(name) > 32 or "/" in name or " " in name:
            raise ConfigError("bad process name %r (1-32 chars, no '/' or spaces)" % (name,))
        self.name = name
        # Class settings are copied onto the instance: on MicroPython an
        # instance attribute is read about 15 times faster than a class one,
        # and the scan reads these often.
        self.priority = self.priority if priority is None else priority
        self.needs = self.needs if needs is None else needs
        self.preemptible = self.preemptible if preemptible is None else preemptible
        self.steps = tuple(self.steps)
        self.outputs = tuple(outputs)
        if not self.steps:
            raise ConfigError(name + ": no steps")
        fns = []
        for s in self.steps:
            f = getattr(type(self), s, None)
            if not callable(f):
                raise ConfigError("%s: step %s has no method" % (name, s))
            fns.append(f)
        self._step_fns = tuple(fns)  # plain functions, called with self: no bound method per step
        self._auto = type(self).auto_start is not Process.auto_start
        self.auto = True  # auto mode; a stop command clears it, start sets it
        self.kernel = None
        # state and step_index change only in the kernel, which keeps state_name
        # and step (their names, for people) with them. Plain attributes, not
        # properties: a class with a property makes every attribute store on
        # its instances search the class tree (about 10x slower on MicroPython).
        self.state = INACTIVE
        self.state_name = STATE_NAMES[INACTIVE]
        self.outcome = NO_OUTCOME
        self.step_index = 0
        self.step = self.steps[0]
        self.start_count = 0
        self.fault = ""
        self.blocked_on = ""  # resource name while BLOCKED
        self.blocked_by = ""  # holder's process name while BLOCKED
        self.rev = 0          # bumped on every visible change; observers compare it
        self.seq = 0          # when it last asked to run: FCFS among equal priorities
        self._needs = ()      # Resource objects, resolved by the kernel
        self._mask = 0        # their Resource.bit values or-ed: overlap tests without `in`
        self._listed = False  # in Kernel._running
        self._interlocks = ()  # Interlock objects that stop this process
        self._gen = None      # the runner generator of the current active stint (sluice.kernel.stepper)
        self._ret = None      # what the step that just ended returned
        self._wait = W_NONE
        self._wait_until = 0
        self._wait_timeout = False
        self._cond = None
        self._children = ()
        self._parent = None   # the process whose run() started this one
        self._wake = False    # check W_CHILDREN this scan: a child left (always, with a timeout)
        self._step_ms = 0     # time in step banked before the current active stint
        self._stint_t0 = 0    # ticks when the current active stint began
        self._arb = 0         # arbitration scratch (see arbiter.arbitrate)

    # --- overridables ------------------------------------------------------

    def auto_start(self):
        return False

    def migrate(self, old_version, values):
        """Saved retained values (in the old `retain` order) from a record of
        state_version old_version -> values for the current `retain`, or None
        to drop the saved state (a running process then stays inactive)."""
        return None

    def on_safe(self):
        """Called whenever the process stops running (finish, stop, pause,
        preemption, fault, halt). Default: every declared output to safe."""
        for o in self.outputs:
            o.to_safe()

    # --- read-only views ---------------------------------------------------

    def step_elapsed_ms(self):
        """Active time spent in the current step, kept across preemption, pause and reboot."""
        if self.state == ACTIVE:
            return self._step_ms + ticks_diff(self.kernel.now_ms, self._stint_t0)
        return self._step_ms

    # --- helpers for steps: `yield self.wait_ms(500)` ------------------------

    def wait_ms(self, ms):
        """Wait `ms` from now."""
        self._wait = W_TIME
        self._wait_until = ticks_add(self.kernel.now_ms, ms)

    def wait_step_ms(self, total_ms):
        """Wait until the step has been active `total_ms` in all (a retentive
        timer: time before a preemption or reboot counts)."""
        now = self.kernel.now_ms  # a step runs while active: step_elapsed_ms, inlined
        self._wait = W_TIME
        self._wait_until = ticks_add(now, total_ms - self._step_ms - ticks_diff(now, self._stint_t0))

    def until(self, cond, timeout_ms=0):
        """Wait until cond() is true, checked once per scan. With a timeout,
        the process faults when it expires."""
        self._wait = W_COND
        self._cond = cond
        self._wait_timeout = timeout_ms > 0
        self._wait_until = ticks_add(self.kernel.now_ms, timeout_ms)

    def run(self, *children, timeout_ms=0):
        """Start each child that is not already running and wait until all
        have finished. A child that faults or is stopped faults this process."""
        for c in children:
            if c.state == INACTIVE:
                self.kernel.start_now(c)
            c._parent = self
        self._wait = W_CHILDREN
        self._wake = True
        self._children = children
        self._wait_timeout = timeout_ms > 0
        self._wait_until = ticks_add(self.kernel.now_ms, timeout_ms)
