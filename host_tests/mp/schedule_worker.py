# Runs random schedules sent by the host (one JSON scenario per stdin line) and
# answers one JSON line each: the first invariant violation, or counts.
import json
import sys

from kit import Job, Rig, check_invariants
from sluice.errors import CommandError


class AutoJob(Job):
    def auto_start(self):
        return True


def run(sc):
    outs = ["o%d" % i for i in range(len(sc["procs"]))]
    ins = ["i%d" % i for i in range(len(sc["interlocks"]))]
    rig = Rig(outputs=outs, inputs=ins)
    k = rig.k
    for i, cap in enumerate(sc["resources"]):
        k.add_resource("r%d" % i, cap)
    procs = []
    for i, p in enumerate(sc["procs"]):
        cls = AutoJob if p["auto"] else Job
        procs.append(k.add(cls("p%d" % i, rig.out(outs[i]), durations_ms=p["durations"], priority=p["prio"],
                               needs=tuple("r%d" % n for n in p["needs"]), preemptible=p["preemptible"],
                               fail_in=p["fail_in"])))
    for i, ilk in enumerate(sc["interlocks"]):
        inp = rig.io.inputs[ins[i]]
        k.add_interlock("ilk%d" % i, (lambda inp: lambda: inp.value)(inp),
                        outputs=tuple(outs[j] for j in ilk["outputs"]), stops=tuple("p%d" % j for j in ilk["stops"]))
    by_scan = {}
    for ev in sc["events"]:
        by_scan.setdefault(ev[0], []).append(ev)
    refused = applied = active_seen = 0
    for n in range(sc["scans"]):
        for ev in by_scan.get(n, ()):
            kind = ev[1]
            try:
                if kind == "toggle":
                    inp = rig.io.inputs[ins[ev[2] % len(ins)]] if ins else None
                    if inp:
                        inp.value = 1 - inp.value
                elif kind == "halt":
                    k.halt()
                elif kind == "resume_all":
                    k.node_command("resume_all")
                elif kind == "force_on":  # a rogue write straight into the image
                    rig.out(outs[ev[2] % len(outs)]).on()
                else:
                    k.command("p%d" % (ev[2] % len(procs)), kind, ev[3] if kind == "priority" else None)
                    applied += 1
            except CommandError:
                refused += 1
        try:
            rig.scan()
        except AssertionError as e:
            return {"violation": str(e), "scan": n}
        active_seen += sum(1 for p in procs if p.state_name == "active")
    return {"violation": None, "refused": refused, "applied": applied, "active_seen": active_seen}


while True:
    line = sys.stdin.readline()
    if not line:
        break
    try:
        res = run(json.loads(line))
    except Exception as e:
        res = {"violation": "crash: %s: %s" % (type(e).__name__, e)}
    print(json.dumps(res))
