"""End to end: the demo plant on micropython with its state on a file-backed
littlefs image is killed (SIGKILL) mid-run and restarted; every process comes
back as its saved state and restart policy say."""
import json
import random
import subprocess
import threading
import time

import mpy

INACTIVE, ACTIVE, BLOCKED, PAUSED, FAULTED = range(5)


def _run_until_killed(img, min_scan, rng):
    src = mpy.prelude() + "import persist_e2e\npersist_e2e.run(%r)\n" % img
    p = subprocess.Popen([mpy.micropython_bin(), "-X", "heapsize=16M", "-c", src],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=mpy.ROOT)
    chunks = []
    reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: p.stdout.read(65536), b"")))
    reader.start()
    deadline = time.time() + 60
    while time.time() < deadline:
        tail = b"".join(chunks[-4:])
        acks = [ln for ln in tail.split(b"\n") if ln.startswith(b"A ")]
        if acks and int(acks[-1][2:]) >= min_scan:
            break
        if p.poll() is not None:
            raise AssertionError("controller died: " + p.stderr.read().decode()[-2000:])
        time.sleep(0.01)
    time.sleep(rng.uniform(0, 0.2))   # the kill lands anywhere: mid-commit, mid-scan
    p.kill()
    p.wait()
    reader.join()
    lines = b"".join(chunks).split(b"\n")[:-1]  # the last one may be cut short
    acked, pending, last_scan = {}, None, 0
    for ln in lines:
        if ln.startswith(b"P "):
            pending = json.loads(ln[2:])
        elif ln.startswith(b"A "):
            acked, pending, last_scan = pending, None, int(ln[2:])
    return acked, pending, last_scan


def _expect(name, saved, view, policy):
    """Why view (state, step, step_ms, starts, fault, auto) breaks the rules for a saved record, or None."""
    s, step, ms, starts, fault = saved
    vs, vstep, vms, vstarts, vfault, vauto = view
    if s == INACTIVE:
        ok = vs == INACTIVE and vstarts == starts
    elif s == FAULTED:
        ok = vs == FAULTED and vfault == fault
    elif s == PAUSED:
        ok = vs == PAUSED and vstep == step and vms == ms
    elif policy == "resume":
        ok = vs in (ACTIVE, BLOCKED) and vstep == step and vms == ms and vstarts == starts
    elif policy == "restart":
        ok = vs in (ACTIVE, BLOCKED) and vms == 0 and vstarts == starts + 1
    else:
        ok = vs == INACTIVE and vauto is False
    return None if ok else "%s: saved %r, policy %s, restored %r" % (name, saved, policy, view)


def test_demo_plant_killed_mid_run_restores_every_process_by_policy(tmp_path):
    rng = random.Random(7)
    img = str(tmp_path / "flash.img")
    acked, pending, last_scan = _run_until_killed(img, 1000, rng)
    r = mpy.result("import persist_e2e\npersist_e2e.restore(%r, 2000)\n" % img, heap="16M", timeout=120)
    saved, view, pol = r["saved"], r["view"], r["policies"]
    print("\nkilled after scan %d (%s); restored %d processes" % (
        last_scan, "a commit in flight" if pending else "between commits", len(view)))
    assert saved == acked or (pending is not None and saved == pending)
    assert len(saved) == 64
    wrong = [_expect(n, saved[n], view[n], pol.get(n, "inactive")) for n in sorted(saved)]
    assert [w for w in wrong if w] == []
    states = [saved[n][0] for n in saved]
    assert FAULTED in states and PAUSED in states                  # t3 faulted, t8 paused
    running = [n for n in saved if saved[n][0] in (ACTIVE, BLOCKED)]
    assert any(pol.get(n) == "resume" for n in running)            # mid-step work to resume
    assert any(pol.get(n) == "restart" for n in running)
    assert any(n not in pol for n in running)
    assert r["outputs_safe"] == [True]                             # boot: nothing energised
    # and it runs on: resumed and restarted tanks finish batches, no scan failed
    assert r["batches_after"][0] > r["batches_before"][0] and r["batches_after"][1] > r["batches_before"][1]
    assert not [e for e in r["events"] if e[1] == "scan failed"]
