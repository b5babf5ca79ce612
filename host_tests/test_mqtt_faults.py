"""Fault injection on a real mosquitto: killed and restarted, frozen with
SIGSTOP for 10 s, wrong password. The scan keeps its 300 ms period, the node
reconnects, and its memory does not grow over many reconnects."""
import json
import time

from mqtt_rig import Board, Watcher, broker, mqtt_settings, percentile, periods_ms  # noqa: F401

BASE = "sluice/n1"
PERIOD_MS, TOLERANCE_MS = 300, 100


def _online_after(watch, mark, timeout):
    return watch.wait(lambda t, p: t == BASE + "/availability" and p == b"online", timeout, mark)


def _assert_period(periods, label):
    p99 = percentile(periods, 99)
    print("%s: %d scan periods, min %d ms, p99 %d ms, max %d ms" % (label, len(periods), min(periods), p99,
                                                                       max(periods)))
    assert len(periods) > 10
    # 300 +- 100 ms at the 99th percentile. Under 100 periods the p99 is the
    # maximum, one sample, which a busy CI host can push out alone: allow one
    # period outside the band there, but never a stall (two periods).
    outside = [p for p in periods if abs(p - PERIOD_MS) > TOLERANCE_MS]
    assert len(outside) <= max(1, len(periods) // 100) and max(periods) < 2 * PERIOD_MS, (label, outside)
    return p99


def _mem_growth(mem):
    """Heap in use (after a collect) over the last quarter of the link changes
    minus over the second quarter, once the board's bounded buffers are full (bytes)."""
    k = max(2, len(mem) // 4)
    h = len(mem) // 2
    return max(mem[-k:]) - max(mem[h - k:h])


def test_broker_killed_restarted_and_frozen(broker):  # noqa: F811
    watch = Watcher(broker)
    board = Board(mqtt_settings(broker))
    try:
        assert _online_after(watch, 0, 15)
        # Killed for 3 s, then back: the node reconnects by itself.
        broker.kill()
        time.sleep(3)
        broker.start()
        watch.close()
        watch = Watcher(broker)
        assert _online_after(watch, 0, 10), "no reconnect after a broker restart"
        # Many short outages: memory must not grow with reconnects.
        for _ in range(8):
            broker.kill()
            time.sleep(0.3)
            broker.start()
            watch.close()
            watch = Watcher(broker)
            assert _online_after(watch, 0, 10)
        # Frozen for 10 s: TCP still accepts, nothing answers.
        time.sleep(1)
        t_freeze = time.time()
        broker.freeze()
        time.sleep(10)
        broker.thaw()
        t_thaw = time.time()
        m = watch.mark()
        assert _online_after(watch, m, 15), "no reconnect after the broker thawed"
        # Still commandable.
        m = watch.mark()
        watch.publish(BASE + "/cmd/t1_fill", json.dumps({"cmd": "start", "id": "after"}))
        assert watch.wait(lambda t, p: t == BASE + "/io/t1_fill" and p == b"1", 5, m)
    finally:
        watch.close()
        r = board.finish()
    assert r["rc"] == 0 and r["scan_errors"] == 0 and r["overruns"] == 0
    assert r["connects"] >= 11 and r["failures"] >= 10
    _assert_period(periods_ms(r), "whole run, broker killed x9 and frozen 10 s")
    _assert_period(periods_ms(r, t_freeze, t_thaw), "while the broker was frozen")
    mem = r["mem_at_link_change"]
    print("heap in use at link changes:", mem)
    assert len(mem) >= 20
    assert _mem_growth(mem) < 512, mem


def test_wrong_password_never_connects_and_never_stalls(broker):  # noqa: F811
    watch = Watcher(broker)
    board = Board(mqtt_settings(broker, node_id="n2", password="not-the-password"))
    try:
        time.sleep(8)
        online = watch.wait(lambda t, p: t == "sluice/n2/availability", 0.1)
    finally:
        watch.close()
        r = board.finish()
    assert online is None
    assert r["connects"] == 0 and r["failures"] >= 5
    assert "MQTTException: 5" in r["last_error"] or "MQTTException: 4" in r["last_error"], r["last_error"]
    _assert_period(periods_ms(r), "wrong password")
    mem = r["mem_at_link_change"]
    assert _mem_growth(mem) < 1024, mem
