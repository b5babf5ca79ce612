# Resource arbitration: who runs, who waits, who is preempted. The full pass
# (arbitrate) runs in the scan only after a change that may need it
# (Kernel._dirty); grant_now() and release() settle the uncontended cases at
# once, with the same outcome the full pass would give. Never runs in a
# steady-state scan.
#
# The rule. Processes that want to run (active or blocked) are ranked by
# priority, higher first, then by the moment they last asked to run, earlier
# first. Non-preemptible active processes keep what they hold. Then, in rank
# order, each takes one unit of every resource it needs if all are free. If
# not, and lower-priority preemptible holders could free enough units, those are
# preempted (blocked, outputs safe) and it takes them. Otherwise it is blocked
# and reserves the free units it needs, so nobody ranked below can overtake it
# on them: a waiting process is served before every later request of the same
# priority, and waits behind higher priorities only.
from sluice.kernel.events import EV_INFO, EV_WARN
from sluice.kernel.process import ACTIVE, BLOCKED, STATE_NAMES


def sort_ranked(a, start=0):
    """Insertion sort by rank, in place; a[:start] is already sorted. Cheap
    for the usual case: a few new requests appended to a sorted list."""
    for i in range(max(start, 1), len(a)):
        _insert(a, i)


def _insert(a, i):
    """Move a[i] up to its place in the sorted a[:i]."""
    p = a[i]
    while i > 0:
        q = a[i - 1]
        if p.priority < q.priority or (p.priority == q.priority and p.seq > q.seq):
            break
        a[i] = q
        i -= 1
    a[i] = p


def _victims_available(r, p):
    """Can lower-priority, not-yet-ranked active holders of r free enough units for p?"""
    need = 1 - r.free()
    i = r.ncand - 1
    while i >= 0 and need > 0:  # lowest rank first
        q = r.cand[i]
        if q._arb == 0 and q.state == ACTIVE and q.priority < p.priority:
            need -= 1
        i -= 1
    return need <= 0


def _preempt_for(k, p):
    for r in p._needs:
        i = r.ncand - 1
        while r.free() <= 0:
            q = r.cand[i]
            i -= 1
            if q._arb == 0 and q.state == ACTIVE and q.priority < p.priority:
                for rr in q._needs:
                    rr.held -= 1
                k._close(q)
                q.state = BLOCKED
                q.state_name = STATE_NAMES[BLOCKED]
                q.blocked_on = r.name
                q.blocked_by = p.name
                k._touch(q)
                k._log(EV_WARN, q.name, "preempted", "by " + p.name + " for " + r.name)


def _block(k, p):
    on = by = ""
    for r in p._needs:
        if r.free() > 0:
            r.reserved += 1  # keep it for p: nobody ranked below may take it
            if r.reserver is None:
                r.reserver = p
        elif not on:
            on = r.name
            if r.granted:
                by = r.holders[0].name
            elif r.reserver is not None:
                by = r.reserver.name
            elif r.ncand:
                by = r.cand[0].name
    k._blocked_mask |= p._mask
    if p.state != BLOCKED or p.blocked_on != on or p.blocked_by != by:
        if p.state == ACTIVE:
            k._close(p)
        p.state = BLOCKED
        p.state_name = STATE_NAMES[BLOCKED]
        p.blocked_on = on
        p.blocked_by = by
        k._touch(p)


def tidy(k):
    """Drop the processes that left (inactive, paused, faulted) from
    k._running if any did, and put the ones added since the last tidy in rank
    order. k._nsorted: how many leading entries are known to be in order."""
    n = k._nsorted
    if k._left:
        k._left = False
        n = _drop_left(k._running, n)
    sort_ranked(k._running, n)
    k._nsorted = len(k._running)


def _drop_left(a, n):
    """Remove the entries no longer running from a, in place, keeping the
    order; return how many of the first n remain."""
    j = m = 0
    for i in range(len(a)):
        p = a[i]
        if p.state == ACTIVE or p.state == BLOCKED:
            a[j] = p
            j += 1
            if i < n:
                m = j
        else:
            p._listed = False
    while len(a) > j:
        a.pop()
    return m


def grant_now(k, p):
    """Grant p's needs at once if every one has a unit free and nobody waits
    for them: then the full pass would grant it too and change nothing else."""
    needs = p._needs
    for r in needs:
        if r.used >= r.capacity:
            return False
    if k._blocked_mask & p._mask:  # someone waits for one of them
        return False
    for r in needs:
        r.used += 1
    return True


def release(k, p):
    """p leaves the running states: give back its units. Only if someone
    waits for them (or p held a reservation) is a full pass needed."""
    needs = p._needs
    if p.state == ACTIVE:
        for r in needs:
            r.used -= 1
        if k._blocked_mask & p._mask:
            k._dirty = True
    elif p.state == BLOCKED:
        k._dirty = True


def arbitrate(k):
    k._dirty = False
    k._blocked_mask = 0  # rebuilt by _block
    ranked = k._running
    for r in k._res:
        r.granted = r.held = r.reserved = r.ncand = 0
        r.reserver = None
    # _arb: 0 = not yet ranked in this pass, 1 = granted
    for p in ranked:  # processes that need nothing are never blocked: skipped
        if not p._needs:
            continue
        p._arb = 0
        if p.state != ACTIVE:
            continue
        if p.preemptible:
            for r in p._needs:
                r.cand[r.ncand] = p  # in rank order; at most `capacity` holders
                r.ncand += 1
                r.held += 1
        else:
            for r in p._needs:
                r.holders[r.granted] = p
                r.granted += 1
            p._arb = 1
    for p in ranked:
        needs = p._needs
        if not needs or p._arb:
            continue
        s = p.state
        if s == ACTIVE:  # its own units go back in the pool before it is ranked
            for r in needs:
                r.held -= 1
        elif s != BLOCKED:
            continue
        fits = preempt = True
        for r in needs:  # free units: capacity - granted - held - reserved
            if r.capacity - r.granted - r.held - r.reserved <= 0:
                fits = False
                if not _victims_available(r, p):
                    preempt = False
        if not fits:
            if not preempt:
                _block(k, p)
                continue
            _preempt_for(k, p)
        for r in needs:
            r.holders[r.granted] = p
            r.granted += 1
        p._arb = 1
        if s == BLOCKED:
            p.state = ACTIVE
            p.state_name = STATE_NAMES[ACTIVE]
            p.blocked_on = p.blocked_by = ""
            p._stint_t0 = k.now_ms
            k._touch(p)
            k._log(EV_INFO, p.name, "active", p.step)
    for r in k._res:
        r.used = r.granted
