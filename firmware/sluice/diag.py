# REPL diagnostics, usable while scans run: `from sluice.diag import *`.
# Everything here formats strings and allocates freely; it never runs in the scan.
from sluice.kernel.process import ACTIVE, BLOCKED, FAULTED, OUTCOME_NAMES, STATE_NAMES

_app = None


def attach(app):
    """app: anything with .kernel (and optionally .scan_timer)."""
    global _app
    _app = app


def _k():
    if _app is None:
        raise RuntimeError("no controller attached (diag.attach(app))")
    return _app.kernel


def _where(p):
    if p.state == BLOCKED:
        return ("by %s on %s" % (p.blocked_by, p.blocked_on)) if p.blocked_on else "waiting for scan"
    if p.state == ACTIVE and p.needs:
        return "holds " + ",".join(p.needs)
    if p.state == FAULTED:
        return p.fault[:40]
    return ""


def status_lines(only_running=False):
    k = _k()
    counts = [0] * len(STATE_NAMES)
    rows = []
    for p in k.procs:
        counts[p.state] += 1
        if only_running and p.state == 0:
            continue
        rows.append("%-16s %-8s %-12s %7.1f %4d  %s" % (
            p.name, p.state_name, p.step, p.step_elapsed_ms() / 1000, p.priority, _where(p)))
    head = ["scan %d%s | %s" % (k.scan_count, "  HALTED" if k.halted else "",
                                " ".join("%s %d" % (STATE_NAMES[i], c) for i, c in enumerate(counts)))]
    st = getattr(_app, "scan_timer", None)
    if st is not None:
        head.append("scan %d us (max %d), overruns %d, long scans %d, errors %d" % (
            st.scan_us, st.scan_us_max, st.overruns, st.long_scans, st.scan_errors))
    tripped = [i.name for i in k.interlocks if i.tripped]
    if tripped:
        head.append("interlocks tripped: " + " ".join(tripped))
    head.append("%-16s %-8s %-12s %7s %4s  %s" % ("process", "state", "step", "t_step", "prio", "blocked by / holding"))
    return head + rows


def status(only_running=False):
    """One line per process (only_running=True hides the inactive ones)."""
    for line in status_lines(only_running):
        print(line)


def show(name):
    """Everything about one process."""
    k = _k()
    p = k.process(name)
    print("%s (%s)" % (p.name, type(p).__name__))
    print("  state     %s%s" % (p.state_name, "" if p.auto else " (auto off)"))
    print("  step      %s (%d of %d: %s), %d ms in step" % (
        p.step, p.step_index + 1, len(p.steps), ", ".join(p.steps), p.step_elapsed_ms()))
    print("  priority  %d%s" % (p.priority, "" if p.preemptible else ", not preemptible"))
    print("  needs     %s" % (", ".join(p.needs) or "-"))
    if p.state == BLOCKED:
        print("  blocked   %s" % _where(p))
    print("  starts    %d, last outcome %s" % (p.start_count, OUTCOME_NAMES[p.outcome] or "-"))
    print("  fault     %s" % (p.fault or "-"))
    print("  outputs   %s" % (", ".join("%s=%d" % (o.name, o.value) for o in p.outputs) or "-"))
    for ilk in p._interlocks:
        print("  interlock %s (%s)%s" % (ilk.name, ilk.describe(), " TRIPPED" if ilk.tripped else ""))


def events(n=20):
    """The last n entries of the event log."""
    k = _k()
    for e in k.events.recent(n):
        print(k.events.format(e))


def _cmd(name, verb, arg=None):
    _k().command(name, verb, arg)
    print("%s %s: queued for the next scan" % (verb, name))


def start(name):
    _cmd(name, "start")


def stop(name):
    _cmd(name, "stop")


def pause(name):
    _cmd(name, "pause")


def resume(name):
    _cmd(name, "resume")


def reset(name):
    _cmd(name, "reset")


def priority(name, n):
    _cmd(name, "priority", n)


def halt():
    """Every output safe now; nothing restarts until resume_all()."""
    _k().halt()
    print("halted: all outputs safe")


def resume_all():
    _k().node_command("resume_all")
    print("resume_all: queued for the next scan")
