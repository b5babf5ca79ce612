# Advancing the active processes, once per scan (Kernel.scan calls
# step_running). Waits are checked here without resuming the step: time and
# condition waits from stored ticks and bound methods, child waits when a
# child left. When a wait is over the process's runner resumes the step.
#
# Frames: MicroPython puts a call's locals on the heap when they need more
# than 11 words (try/except-as and for loops cost several), so the functions
# run for every process or step change are kept that small; host_tests/
# test_frames.py checks it. In a steady-state scan (no step ends, no state
# changes) nothing here allocates.
from sluice.compat import const, ticks_diff
from sluice.kernel import process
from sluice.kernel.process import DONE, FAULTED, INACTIVE, W_CHILDREN, W_COND, W_NONE

# Copies of process constants for the per-process loop: the compiler inlines
# a module's own _CONST names, while an imported name is a dict lookup each time.
_ACTIVE = const(1)
_W_TIME = const(1)
_W_COND = const(2)
_W_CHILDREN = const(3)
assert (_ACTIVE, _W_TIME, _W_COND, _W_CHILDREN) == (process.ACTIVE, process.W_TIME, process.W_COND, W_CHILDREN)

_ENDED = object()  # the runner's signal: a step returned (its value in p._ret)


def step_failed(p, e):
    return "step %s: %s: %s" % (p.step, type(e).__name__, e)


def timed_out(p, w):
    return "step %s: timeout after %d ms waiting for %s" % (
        p.step, p.step_elapsed_ms(), "a condition" if w == W_COND else "children")


def step_running(k, now):
    """Advance every active process whose wait is over, in rank order. An
    exception in a step or condition faults that process only."""
    for p in k._running:  # may grow while stepping: a started child runs this scan
        if p.state != _ACTIVE:
            continue
        w = p._wait
        try:
            if w == _W_CHILDREN:  # woken by a child leaving; with a timeout, every scan
                if not p._wake or not children_done(k, p):
                    continue
            elif w == _W_TIME:
                if ticks_diff(now, p._wait_until) < 0:
                    continue
            elif w == _W_COND:
                if not p._cond():
                    if p._wait_timeout and ticks_diff(now, p._wait_until) >= 0:
                        k.fault(p, timed_out(p, w))
                    continue
            p._wait = W_NONE
            advance(k, p, now)
        except Exception as e:
            k.fault(p, step_failed(p, e))


def children_done(k, p):
    """For a W_CHILDREN wait: True when every child has finished."""
    p._wake = p._wait_timeout
    for c in p._children:
        if c.state != INACTIVE or c.outcome != DONE:
            return _child_pending(k, p, c)
    return True


def _child_pending(k, p, c):
    """c has not finished: fault p if c faulted or was stopped, or at the
    wait's timeout. False."""
    s = c.state
    if s == FAULTED or s == INACTIVE:
        k.fault(p, "child %s %s" % (c.name, "faulted" if s == FAULTED else "was stopped"))
    elif p._wait_timeout and ticks_diff(k.now_ms, p._wait_until) >= 0:
        k.fault(p, timed_out(p, W_CHILDREN))
    return False


def _generator():
    yield


_GENERATOR = type(_generator())


def _runner(p):
    """Run p's steps from p.step_index, one after another: yield what the
    step yields, and _ENDED after each step, with its return value in p._ret.
    `yield from` hands over that value without raising StopIteration."""
    while True:
        g = p._step_fns[p.step_index](p)
        if type(g) is not _GENERATOR:
            raise TypeError("step %s is not a generator (it needs a yield)" % p.step)
        p._ret = yield from g
        yield _ENDED


def advance(k, p, now):
    """Resume p's step, whose wait is over; go on to the next step when it
    ends. Raises what the step raises."""
    hops = len(p.steps)  # bounds step changes per scan, so a loop of empty steps cannot hang the scan
    while hops > 0:
        if p._gen is None:
            p._gen = _runner(p)
        if next(p._gen) is not _ENDED:
            return
        t = p._ret  # None (the next step) or a step name
        p._wait = W_NONE
        if t is None:
            t = p.step_index + 1
            if t >= len(p.steps):
                k._finish(p)
                return
        elif t in p.steps:
            t = p.steps.index(t)
        else:
            raise ValueError("returned unknown step %r" % (t,))
        p.step_index = t  # enter step t
        p.step = p.steps[t]
        p._step_ms = 0
        p._stint_t0 = now
        p.rev += 1  # Kernel._touch, inlined: this is the hot path
        k.rev += 1
        hops -= 1
