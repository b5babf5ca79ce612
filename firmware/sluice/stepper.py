# Advancing one active process by one scan. Kernel.scan checks the waits
# (children through children_done) and calls advance() when the step may go on; in a
# steady-state scan (no step ends, no state changes) nothing here allocates:
# waits are checked from stored ticks and bound methods, and a generator
# resumes in place.
from sluice.compat import ticks_diff
from sluice.process import DONE, FAULTED, INACTIVE, W_CHILDREN, W_COND, W_NONE


def step_failed(p, e):
    return "step %s: %s: %s" % (p.step, type(e).__name__, e)


def timed_out(p, w):
    return "step %s: timeout after %d ms waiting for %s" % (
        p.step, p.step_elapsed_ms, "a condition" if w == W_COND else "children")


def children_done(k, p, now):
    """For a W_CHILDREN wait: True when every child has finished. Faults p
    if a child faulted or was stopped, or when the wait times out."""
    for c in p._children:
        s = c.state
        if s == FAULTED or (s == INACTIVE and c.outcome != DONE):
            k.fault(p, "child %s %s" % (c.name, "faulted" if s == FAULTED else "was stopped"))
            return False
        if s != INACTIVE:
            if p._wait_timeout and ticks_diff(now, p._wait_until) >= 0:
                k.fault(p, timed_out(p, W_CHILDREN))
            return False
    return True


def _generator():
    yield


_GENERATOR = type(_generator())


def advance(k, p, now):
    """Resume p's step, whose wait is over; start the next step when it ends."""
    hops = len(p.steps)  # bounds step changes per scan, so a loop of empty steps cannot hang the scan
    while True:
        if p._gen is None:
            g = p._step_fns[p.step_index](p)
            if type(g) is not _GENERATOR:
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
            i = p.step_index + 1
            if i >= len(p.steps):
                k._finish(p)
                return
        elif target in p.steps:
            i = p.steps.index(target)
        else:
            k.fault(p, "step %s returned unknown step %r" % (p.step, target))
            return
        p.step_index = i  # enter step i
        p._step_ms = 0
        p._stint_t0 = now
        p.rev += 1  # Kernel._touch, inlined: this is the hot path
        k.rev += 1
        hops -= 1
        if hops <= 0:
            return
