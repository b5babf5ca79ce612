"""10,000+ random and malformed commands and topics against the firmware on
micropython through a real mosquitto: no crash, no output or process change,
one error reply for every command the node receives."""
import json
import random
import time

from mqtt_rig import Board, Watcher, broker, mqtt_settings, percentile, periods_ms, wait_online  # noqa: F401

BASE = "sluice/n1"
TOTAL, BATCH = 10200, 300
PROCS = ["t%d_%s" % (t, s) for t in range(1, 9)
         for s in ("fill", "dose", "mix", "heat", "sample", "transfer", "rinse", "batch")]
# Refused for an inactive, unfaulted process whatever its name: stop, pause, resume, reset.
REFUSED_VERBS = ["stop", "pause", "resume", "reset"]
JUNK_CHARS = "abcxyz_019 -.:;{}[]\"'\\\t\u00e9\u4e2d\U0001f4a5"
TOPIC_CHARS = JUNK_CHARS.replace("\t", "")  # mosquitto drops a client that sends control characters in a topic


def _junk(rng, n, chars=JUNK_CHARS):
    return "".join(rng.choice(chars) for _ in range(rng.randint(0, n)))


def _bad_name(rng):
    kind = rng.randrange(5)
    if kind == 0:
        return rng.choice(PROCS) + _junk(rng, 3, TOPIC_CHARS) + "x"
    if kind == 1:
        return _junk(rng, 20, TOPIC_CHARS) or "?"
    if kind == 2:
        return "x" * rng.randint(33, 200)
    if kind == 3:
        return rng.choice(PROCS).upper()
    return rng.choice(PROCS) + "/" + _junk(rng, 5, TOPIC_CHARS)  # one level too deep


def _bad_payload(rng, target_known):
    """A payload that must be refused (target_known: the topic names a real process)."""
    kind = rng.randrange(12)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 80))).replace(b"{", b"(") + b"\xff"
    if kind == 1:
        return ("start " + _junk(rng, 8) + "z").encode()
    if kind == 2:
        return ("priority %d" % rng.choice([-1, 1001, 5000, 99999])).encode()
    if kind == 3:
        return ("priority " + rng.choice(["", "abc", "1.5", "1e3", "0x10", "--1"])).encode()
    if kind == 4:
        return json.dumps({"cmd": "priority", "arg": rng.choice([1001, -3, 2.5, "7", None, True, [1]]),
                           "id": rng.randrange(10 ** 6)}).encode()
    if kind == 5:
        return ("x" * rng.randint(257, 3000)).encode()
    if kind == 6:
        return json.dumps({"cmd": rng.choice(["start", "priority 3"]), "id": "s%d" % rng.randrange(10 ** 6),
                           "session": "%08x" % rng.randrange(1 << 32)}).encode()  # stale session
    if kind == 7:
        return rng.choice([b"{", b'{"cmd":', b"{}", b'{"cmd": null}', b'{"id": 1}', b"{'cmd': 'start'}",
                           b'{"cmd": "start", "extra": 1}', b'{"cmd": "start", "id": {"a": 1}}'])
    if kind == 8:
        return _junk(rng, 30).encode() + b"#"
    if kind == 9 and target_known:
        return json.dumps({"cmd": rng.choice(REFUSED_VERBS), "id": "r%d" % rng.randrange(10 ** 6)}).encode()
    if kind == 10 and target_known:  # node commands sent to a process
        return rng.choice([b"START", b"halt", b"resume_all", b"status", b"start start", b"priority 1 2"])
    return rng.choice(REFUSED_VERBS).encode() + (b" 5" if rng.random() < 0.5 else b"")


def _case(rng):
    """(topic, payload, expect_reply)"""
    r = rng.random()
    if r < 0.45:
        return BASE + "/cmd/" + rng.choice(PROCS), _bad_payload(rng, True), True
    if r < 0.80:
        return BASE + "/cmd/" + _bad_name(rng), _bad_payload(rng, False) if rng.random() < 0.5 else b"start", True
    if r < 0.92:
        node_bad = [b"start", b"stop", b"halt now", b"resume_all 3", b"status 1", b"priority 3", b"reboot"]
        return BASE + "/cmd", rng.choice(node_bad + [_bad_payload(rng, False)]), True
    # Not command topics: spoofed status, neighbours of the command topic. No reply, no effect.
    topic = rng.choice([BASE + "/cmdx", BASE + "/proc/t1_fill/state", BASE + "/reply2",
                        "sluice/n2/cmd/t1_fill", BASE + "/cmd_/t1_fill", BASE + "/ioo/t1_fill"])
    return topic, rng.choice([b"1", b"start", b'{"cmd": "start"}']), False


def test_fuzzed_commands_and_topics(broker):  # noqa: F811
    rng = random.Random(20260512)
    watch = Watcher(broker, topics=[BASE + "/reply", BASE + "/availability", BASE + "/io/#"])
    board = Board(mqtt_settings(broker, keepalive_s=30), max_s=400)
    sent = expected = 0
    try:
        assert wait_online(watch)
        time.sleep(1.5)  # initial status publishing done
        m0 = watch.mark()
        while sent < TOTAL:
            mark = watch.mark()
            batch_expected = 0
            for _ in range(BATCH):
                topic, payload, expect = _case(rng)
                watch.client.publish(topic, payload, qos=0)
                batch_expected += expect
            sent += BATCH
            expected += batch_expected
            deadline = time.time() + 30
            while time.time() < deadline:
                with watch.cond:
                    got = sum(1 for x in watch.msgs[mark:] if x[1] == BASE + "/reply")
                if got >= batch_expected:
                    break
                time.sleep(0.05)
            assert got == batch_expected, "batch ending at %d: %d replies for %d commands" % (sent, got, batch_expected)
            assert board.alive(), "board died"
        time.sleep(1.0)  # late or duplicate replies would show now
        with watch.cond:
            msgs = watch.msgs[m0:]
    finally:
        watch.close()
        r = board.finish()
    replies = [json.loads(x[2]) for x in msgs if x[1] == BASE + "/reply"]
    assert len(replies) == expected
    assert all(x["ok"] is False and isinstance(x["error"], str) and x["error"] for x in replies)
    assert not [x for x in msgs if x[1].startswith(BASE + "/io/")], "an output or input was republished"
    assert not [x for x in msgs if x[1] == BASE + "/availability"], "the node reconnected"
    assert r["rc"] == 0 and r["scan_errors"] == 0 and r["connects"] == 1 and r["failures"] == 0
    assert r["output_changes"] == 0 and not r["halted"]
    assert r["refused"] == expected and r["accepted"] == 0
    assert all(s[0] == "inactive" for s in r["states"].values())
    assert r["proc_rev_sum"] == 0  # no process changed in any way (state, priority, step)
    periods = periods_ms(r)
    print("fuzz: %d messages sent, %d error replies, %d scans, scan period p99 %d ms" % (
        sent, len(replies), r["scans"], percentile(periods, 99)))
    assert 200 <= min(periods) and percentile(periods, 99) <= 400
