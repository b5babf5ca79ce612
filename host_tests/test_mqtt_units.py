"""MQTT pieces without a broker, on the real micropython: command validation,
settings checks, payload formats, and the scan hook proven allocation-free."""
import json

import mpy

RIG = """
from sluice.io.image import Input, IoImage, Output
from sluice.kernel.clock import ManualClock
from sluice.kernel.kernel import Kernel
from plant import demo
from sluice.net.mqtt_commands import CommandHandler
from sluice.net.mqtt_topics import Topics

def kernel():
    io = IoImage()
    outs, ins = demo.io_names(2)
    for n in outs:
        io.add_output(Output(n))
    for n in ins:
        io.add_input(Input(n))
    k = Kernel(io, ManualClock(0))
    demo.build(k, 2)
    for p in k.processes.values():
        p.auto = False
    return k
"""


def test_command_validation_replies_and_never_touches_the_kernel_when_bad():
    cases = [  # (topic suffix, payload, retained, expected: "ok" | "pending" | "none" | error substring)
        ("/t1_fill", b"start", False, "pending"),
        ("/t1_fill", b'{"cmd": "priority", "arg": 7, "id": "p1"}', False, "pending"),
        ("/t1_fill", b'{"cmd": "priority 9", "id": 5}', False, "pending"),
        ("", b"status", False, "ok"),
        ("", b"halt", False, "pending"),
        ("/t1_fill", b"", False, "none"),
        ("/t1_fill", None, False, "longer than"),
        ("/t1_fill", b"start", True, "retained"),
        ("/t1_fill", b'{"cmd": "start", "session": "00000000"}', False, "stale"),
        ("/t1_fill", b"\xff\xfe", False, "UTF-8"),
        ("/t1_fill", b"launch", False, "unknown command"),
        ("/t1_fill", b"priority", False, "needs an integer"),
        ("/t1_fill", b"priority 1001", False, "0..1000"),
        ("/t1_fill", b"priority -5", False, "integer"),
        ("/t1_fill", b"priority 12345", False, "integer"),
        ("/t1_fill", b"start now", False, "no argument"),
        ("/t1_fill", b"stop", False, "not running"),
        ("/t1_fill", b"reset", False, "not faulted"),
        ("/t1_fill", b"a b c", False, "expected"),
        ("/t1_fill", b"{not json", False, "bad JSON"),
        ("/t1_fill", b"[1, 2]", False, "unknown command"),
        ("/t1_fill", b'["start"]', False, "unknown command"),
        ("/t1_fill", b'{"cmd": 5}', False, '"cmd" must be a string'),
        ("/t1_fill", b'{"cmd": "start", "x": 1}', False, "unknown field"),
        ("/t1_fill", b'{"cmd": "start", "id": [1]}', False, "id must be"),
        ("/t1_fill", b'{"cmd": "priority", "arg": true}', False, "integer"),
        ("/t1_fill", b'{"cmd": "priority", "arg": 2.5}', False, "integer"),
        ("/t1_fill", b'{"cmd": "priority 3", "arg": 4}', False, "twice"),
        ("/t1_fill", b'{"cmd": "start", "session": 7}', False, "session"),
        ("/t9_fill", b"start", False, "unknown process"),
        ("/t1_fill/x", b"start", False, "bad command topic"),
        ("/", b"start", False, "bad command topic"),
        ("/\xff", b"start", False, "not UTF-8"),
        ("", b"start", False, "not a node command"),
        ("", b"resume_all now", False, "no argument"),
    ]
    r = mpy.result(RIG + """
cases = %r
k = kernel()
t = Topics("n1")
h = CommandHandler(k, t, "cafe0001", status=lambda: {"scan_count": k.scan_count})
out = []
for suffix, payload, retained, _ in cases:
    topic = t.cmd + (suffix.encode() if isinstance(suffix, str) else suffix)
    before = (k.rev, len(k._queue), k.halted)
    reply, pending = h.handle(topic, payload, retained)
    changed = (k.rev, len(k._queue), k.halted) != before
    out.append([reply, pending is not None, changed])
    k._queue.clear()
    k.halted = False
report(out)
""" % ([(c[0].encode("latin-1") if "\xff" in c[0] else c[0], c[1], c[2], c[3]) for c in cases],))
    for (suffix, payload, retained, want), (reply, pending, changed) in zip(cases, r):
        label = "%r %r retained=%s" % (suffix, payload, retained)
        if want == "pending":
            assert reply is None and pending and changed, label
        elif want == "none":
            assert reply is None and not pending and not changed, label
        elif want == "ok":
            d = json.loads(reply)
            assert d["ok"] is True and "status" in d and not changed, label
        else:
            d = json.loads(reply)
            assert d["ok"] is False and want in d["error"] and not pending and not changed, (label, d)
    ids = [json.loads(x[0])["id"] for x in r if x[0]]
    assert "p1" not in ids  # accepted commands answer later, from the scan


def test_accepted_command_is_answered_after_the_scan_that_applies_it():
    r = mpy.result(RIG + """
k = kernel()
t = Topics("n1")
h = CommandHandler(k, t, "s1")
_, p = h.handle(t.cmd + b"/t1_fill", b'{"cmd": "start", "id": "a"}', False)
_, q = h.handle(t.cmd + b"/t2_mix", b'{"cmd": "start", "id": "b"}', False)  # interlocked at scan: mixer dry
before = (p.ready, k.io.outputs["t1_fill"].value)
k.clock.advance(300)
k.scan()
report({"before": before, "after": [p.ready, k.io.outputs["t1_fill"].value],
        "p": p.reply(), "q": q.reply()})
""")
    assert r["before"] == [False, 0]
    assert r["after"] == [True, 1]
    assert json.loads(r["p"]) == {"id": "a", "ok": True, "error": None, "target": "t1_fill", "cmd": "start"}
    q = json.loads(r["q"])
    assert q["id"] == "b" and q["ok"] is True  # accepted: the interlock inhibits the output, not the start


def test_settings_are_checked_at_load():
    r = mpy.result("""
from sluice.errors import ConfigError
from sluice.net.mqtt_settings import Settings
bad = [dict(host=""), dict(host="h", port=0), dict(host="h", node_id="a/b"), dict(host="h", user="u"),
       dict(host="h", keepalive_s=1), dict(host="h", timeout_ms=5000), dict(host="h", base="x/#"),
       dict(host="h", backoff_min_ms=1000, backoff_max_ms=500), dict(host="h", tls="yes")]
errs = []
for kw in bad:
    try:
        Settings(**kw)
        errs.append(None)
    except ConfigError as e:
        errs.append(str(e))
class C:
    MQTT_HOST = "10.0.0.2"
    MQTT_NODE_ID = "press7"
class Off:
    pass
s = Settings.from_config(C)
report({"errs": errs, "node": s.node_id, "port": s.port, "off": Settings.from_config(Off) is None})
""")
    assert all(r["errs"]), r["errs"]
    assert r["node"] == "press7" and r["port"] == 1883 and r["off"] is True


def test_state_json_and_discovery_follow_the_contract():
    r = mpy.result(RIG + """
from sluice.net.mqtt_topics import proc_state_json, discovery
k = kernel()
k.command("t1_fill", "start")
k.clock.advance(300)
k.scan()
k.clock.advance(1250)
k.now_ms = k.clock.ticks_ms()
t = Topics("n1")
p = k.processes["t1_fill"]
d = [discovery(t, "proc", "t1_fill"), discovery(t, "out", "t1_fill"), discovery(t, "in", "t1_level")]
report({"state": proc_state_json(p), "disc": [[x[0].decode(), x[1]] for x in d],
        "off": discovery(Topics("n1", discovery_prefix=None), "proc", "t1_fill")})
""")
    st = json.loads(r["state"])
    assert st == {"state": "active", "step": "fill", "priority": 5, "blocked_by": "", "blocked_on": "",
                  "step_elapsed_s": 1.2, "fault": "", "rev": st["rev"]} and st["rev"] > 0
    (t0, p0), (t1, p1), (t2, p2) = r["disc"]
    assert t0 == "homeassistant/sensor/sluice_n1/t1_fill/config"
    assert json.loads(p0)["state_topic"] == "sluice/n1/proc/t1_fill/state"
    assert t1 == "homeassistant/binary_sensor/sluice_n1/t1_fill/config"
    assert json.loads(p1)["state_topic"] == "sluice/n1/io/t1_fill"
    assert json.loads(p2)["availability_topic"] == "sluice/n1/availability"
    assert r["off"] is None


def test_the_scan_hook_does_not_allocate():
    # The node's after_scan hook only schedules its slice: run scans with the
    # heap locked and the hook attached (no broker: the slice itself fails to
    # connect afterwards, outside the locked scan).
    r = mpy.result(RIG + """
import gc, micropython
from sluice.net.mqtt_node import MqttNode, Settings
k = kernel()
node = MqttNode(k, Settings("127.0.0.1", port=1, backoff_min_ms=100)).attach()
ran = [0]
def stand_in(_arg):  # runs right after each scan, still locked: it must not allocate either
    ran[0] += 1
node._slice_ref = stand_in
k.scan()
errors = 0
for i in range(200):
    k.clock.advance(300)
    gc.collect()
    micropython.heap_lock()
    try:
        k.scan()
    except MemoryError:
        errors += 1
    micropython.heap_unlock()
    node._scheduled = False  # what the slice does first
report({"errors": errors, "hooked": len(k.after_scan), "ran": ran[0],
        "failures_after_one_slice": (node.slice(), node.link.failures)[1]})
""")
    assert r["errors"] == 0 and r["hooked"] == 1 and r["ran"] >= 200
    assert r["failures_after_one_slice"] == 1  # nothing listens on port 1: refused, backoff armed


def test_app_starts_mqtt_only_when_configured():
    r = mpy.result("""
from sluice.app import App
from sluice.io.image import Input, IoImage, Output

class Board:
    TIMER_PERIODIC = 1
    def __init__(self, broker=None):
        if broker:
            self.mqtt_broker = lambda: broker
    def make_io(self, outputs, inputs):
        io = IoImage()
        for n in outputs:
            io.add_output(Output(n))
        for n in inputs:
            io.add_input(Input(n))
        return io
    def make_timer(self):
        return None

class Config:
    PLANT = "plant.demo"
    PLANT_ARGS = {"tanks": 1}
    SCAN_PERIOD_MS = 300

class WithMqtt(Config):
    MQTT_HOST = "10.1.2.3"
    MQTT_NODE_ID = "cfg"

out = {}
for label, board, config in (("off", Board(), Config), ("config", Board(), WithMqtt),
                             ("virtual", Board(("127.0.0.1", 18830)), Config)):
    a = App(board, config)
    m = a.mqtt
    out[label] = None if m is None else [m.settings.host, m.settings.port, m.settings.node_id,
                                         m._hook_ref in a.kernel.after_scan]
report(out)
""", heap="512K")  # three whole apps at once
    assert r["off"] is None
    assert r["config"] == ["10.1.2.3", 1883, "cfg", True]
    assert r["virtual"] == ["127.0.0.1", 18830, "plc1", True]
