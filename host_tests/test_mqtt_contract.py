"""The MQTT topic contract end to end: the firmware on micropython, a real
mosquitto on loopback, an operator client on paho-mqtt."""
import json
import time

import pytest

from mqtt_rig import Board, Watcher, broker, mqtt_settings, wait_online  # noqa: F401 (fixture)

BASE = "sluice/n1"
N_PROCS, N_OUTS, N_INS = 64, 58, 24


class Rig:
    def __init__(self, broker):
        self.broker = broker
        self.watch = Watcher(broker, topics=[BASE + "/#", "homeassistant/#"])
        self.board = Board(mqtt_settings(broker))
        assert wait_online(self.watch), "board never came online"

    def send(self, target, payload, timeout=5.0, retain=False):
        """Publish a command; return (reply dict, seconds until the reply)."""
        topic = BASE + "/cmd" + ("/" + target if target else "")
        m = self.watch.mark()
        t0 = time.time()
        self.watch.publish(topic, payload, retain=retain)
        hit = self.watch.wait(lambda t, p: t == BASE + "/reply", timeout, m)
        assert hit, "no reply to %r on %s" % (payload, topic)
        return json.loads(hit[2]), hit[0] - t0

    def io(self, name, value, timeout=5.0, since=0):
        v = str(value).encode()
        return self.watch.wait(lambda t, p: t == BASE + "/io/" + name and p == v, timeout, since)

    def state(self, name):
        return json.loads(self.watch.latest(BASE + "/proc/%s/state" % name))


@pytest.fixture(scope="module")
def rig(broker):  # noqa: F811
    r = Rig(broker)
    yield r
    r.watch.close()
    if r.board.alive():
        r.board.kill()


def _count(watch, pred):
    with watch.cond:
        return len({m[1] for m in watch.msgs if pred(m[1])})


def test_status_contract_is_published_and_retained(rig, broker):  # noqa: F811
    w = rig.watch
    deadline = time.time() + 20
    want = (N_PROCS, N_OUTS + N_INS, N_PROCS + N_OUTS + N_INS)
    while time.time() < deadline:
        got = (_count(w, lambda t: t.startswith(BASE + "/proc/") and t.endswith("/state")),
               _count(w, lambda t: t.startswith(BASE + "/io/")),
               _count(w, lambda t: t.startswith("homeassistant/") and t.endswith("/config")))
        if got == want:
            break
        time.sleep(0.2)
    assert got == want
    st = rig.state("t1_fill")
    assert set(st) == {"state", "step", "priority", "blocked_by", "blocked_on", "step_elapsed_s", "fault", "rev"}
    assert st["state"] == "inactive" and st["priority"] == 5
    # A client connecting later gets the retained picture at once.
    late = Watcher(broker, topics=[BASE + "/availability", BASE + "/session", BASE + "/proc/t2_fill/state"])
    try:
        got = {}
        for topic in ("availability", "session", "proc/t2_fill/state"):
            m = late.wait(lambda t, p, topic=topic: t == BASE + "/" + topic, 5)
            assert m and m[3], topic + " is not retained"
            got[topic] = m[2]
        assert got["availability"] == b"online" and len(got["session"]) == 8
        assert json.loads(got["proc/t2_fill/state"])["state"] == "inactive"
    finally:
        late.close()


def test_start_and_stop_round_trip_drive_the_output(rig):
    for _ in range(3):
        m = rig.watch.mark()
        reply, dt = rig.send("t1_fill", json.dumps({"cmd": "start", "id": "go-1"}))
        assert reply == {"id": "go-1", "ok": True, "error": None, "target": "t1_fill", "cmd": "start"}
        assert dt < 1.5
        assert rig.io("t1_fill", 1, since=m)
        assert rig.watch.wait(lambda t, p: t == BASE + "/proc/t1_fill/state" and b'"active"' in p, 3, m)
        m = rig.watch.mark()
        reply, _ = rig.send("t1_fill", "stop")
        assert reply["ok"] is True and reply["id"] is None
        assert rig.io("t1_fill", 0, since=m)
    ev = rig.watch.wait(lambda t, p: t == BASE + "/event" and b"t1_fill" in p and b"start" in p, 1)
    assert ev, "no event line for the start"


def test_bad_commands_get_error_replies_and_change_nothing(rig):
    m = rig.watch.mark()
    cases = [("t1_fill", "explode"), ("no_such_proc", "start"), ("t1_fill", "priority 5000"),
             ("t1_fill", '{"cmd": "start", "id": "s1", "session": "00000000"}'),
             ("t1_fill", "x" * 300), ("t1_fill", b"\xc3\x28"), ("t1_fill", '{"cmd": '),
             ("t1_fill", "stop"), ("", "format_disk")]
    for target, payload in cases:
        reply, _ = rig.send(target, payload)
        assert reply["ok"] is False and reply["error"], (payload, reply)
    errs = [json.loads(x[2])["error"] for x in rig.watch.msgs[m:] if x[1] == BASE + "/reply"]
    assert any("stale" in e for e in errs) and any("longer than" in e for e in errs)
    assert not any(x[1].startswith(BASE + "/io/") for x in rig.watch.msgs[m:])


def test_priority_and_node_wide_commands(rig):
    reply, _ = rig.send("t2_mix", json.dumps({"cmd": "priority", "arg": 700, "id": 9}))
    assert reply["ok"] is True and reply["id"] == 9 and reply["cmd"] == "priority 700"
    assert rig.watch.wait(lambda t, p: t == BASE + "/proc/t2_mix/state" and b'"priority":700' in p, 3)
    m = rig.watch.mark()
    reply, _ = rig.send("", json.dumps({"cmd": "status", "id": "st"}))
    assert reply["ok"] is True and reply["status"]["processes"]["inactive"] == N_PROCS
    assert reply["status"]["halted"] is False
    # `status` also publishes every state again.
    assert rig.watch.wait(lambda t, p: t == BASE + "/proc/t8_rinse/state", 3, m)
    reply, _ = rig.send("", "halt")
    assert reply["ok"] is True
    reply, _ = rig.send("t4_fill", "start")
    assert reply["ok"] is False and "halted" in reply["error"]
    reply, _ = rig.send("", "resume_all")
    assert reply["ok"] is True
    m = rig.watch.mark()
    reply, _ = rig.send("t4_fill", "start")
    assert reply["ok"] is True and rig.io("t4_fill", 1, since=m)
    rig.send("t4_fill", "stop")


def test_last_will_and_no_retained_command_acts_after_a_reboot(rig, broker):  # noqa: F811
    # A retained command published while the board is up is a fresh command...
    m = rig.watch.mark()
    reply, _ = rig.send("t3_fill", "start", retain=True)
    assert reply["ok"] is True and rig.io("t3_fill", 1, since=m)
    first = rig.board.finish()  # (orderly stop: the board's own record of this first life)
    assert first["cmd_scan_lags"] and set(first["cmd_scan_lags"]) == {0}, first["cmd_scan_lags"]
    assert first["scan_errors"] == 0 and first["rc"] == 0
    # ...restart, then drop the board off the network: the broker publishes the last will.
    m = rig.watch.mark()
    rig.board = Board(mqtt_settings(broker))
    assert rig.watch.wait(lambda t, p: t == BASE + "/availability" and p == b"online", 15, m)
    # The rebooted board saw the retained start, refused it and deleted it.
    hit = rig.watch.wait(lambda t, p: t == BASE + "/reply" and b"retained" in p, 5, m)
    assert hit and json.loads(hit[2])["target"] == "t3_fill"
    assert rig.io("t3_fill", 0, since=m)
    time.sleep(1.0)
    assert not any(x[1] == BASE + "/io/t3_fill" and x[2] == b"1" for x in rig.watch.msgs[m:])
    probe = Watcher(rig.broker, topics=[BASE + "/cmd/t3_fill"])
    try:
        assert probe.wait(lambda t, p: True, 1.0) is None, "retained command still on the broker"
    finally:
        probe.close()
    m = rig.watch.mark()
    rig.board.kill()
    hit = rig.watch.wait(lambda t, p: t == BASE + "/availability" and p == b"offline", 5, m)
    assert hit, "no last will after the board dropped"
