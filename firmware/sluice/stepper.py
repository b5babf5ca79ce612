# Advancing one active process by one scan. Kernel.scan checks time and
# condition waits inline and calls advance() when the step may go on; in a
# steady-state scan (no step ends, no state changes) nothing here allocates:
# waits are checked from stored ticks and bound methods, and a generator
# resumes in place.
from sluice.compat import ticks_diff
from sluice.process import ACTIVE, DONE, FAULTED, INACTIVE, W_CHILDREN, W_COND, W_NONE, W_TIME


def step_failed(p, e):
    return "step %s: %s: %s" % (p.step, type(e).__name__, e)


def timed_out(p, w):
    return "step %s: timeout after %d ms waiting for %s" % (
        p.step, p.step_elapsed_ms, "a condition" if w == W_COND else "children")


def _children_done(k, p):
    for c in p._children:
        s = c.state
        if s == FAULTED or (s == INACTIVE and c.outcome != DONE):
            k.fault(p, "child %s %s" % (c.name, "faulted" if s == FAULTED else "was stopped"))
            return False
        if s != INACTIVE:
            return False
    return True


def _ready(k, p, now):
    """True when the step may resume this scan. May fault p."""
    w = p._wait
    if w == W_TIME:
        return ticks_diff(now, p._wait_until) >= 0
    try:
        ok = p._cond() if w == W_COND else _children_done(k, p)
    except Exception as e:
        k.fault(p, step_failed(p, e))
        return False
    if ok or p.state != ACTIVE:
        return ok
    if p._wait_timeout and ticks_diff(now, p._wait_until) >= 0:
        k.fault(p, timed_out(p, w))
    return False


def _enter(k, p, index, now):
    p.step_index = index
    p._step_ms = 0
    p._stint_t0 = now
    p.rev += 1  # _touch, inlined: this is the hot path
    k.rev += 1


def advance(k, p, now):
    if p._wait != W_NONE:
        if not _ready(k, p, now):
            return
        p._wait = W_NONE
    hops = len(p.steps)  # bounds step changes per scan, so a loop of empty steps cannot hang the scan
    while True:
        if p._gen is None:
            g = p._step_fns[p.step_index](p)
            if g is None or not hasattr(g, "send"):
                k.fault(p, "step %s is not a generator (it needs a yield)" % p.step)
                return
            p._gen = g
        try:
            next(p._gen)
            return
        except StopIteration as e:
            target = e.value
        except Exception as e:
            k.fault(p, step_failed(p, e))
            return
        p._gen = None
        p._wait = W_NONE
        if target is None:
            if p.step_index + 1 >= len(p.steps):
                k._finish(p)
                return
            _enter(k, p, p.step_index + 1, now)
        elif target in p.steps:
            _enter(k, p, p.steps.index(target), now)
        else:
            k.fault(p, "step %s returned unknown step %r" % (p.step, target))
            return
        hops -= 1
        if hops <= 0:
            return
