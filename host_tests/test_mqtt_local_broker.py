"""tools/mqtt_local.py: the broker `make sim` falls back to without mosquitto.
The firmware on micropython and a paho client talk through it."""
import json
import os
import sys

import mpy
from mqtt_rig import Board, Watcher, mqtt_settings, wait_online

sys.path.insert(0, os.path.join(mpy.ROOT, "tools"))
import mqtt_local  # noqa: E402

BASE = "sluice/n1"


def test_topic_filters():
    m = mqtt_local.topic_matches
    assert m("a/+/c", "a/b/c") and m("a/#", "a") and m("a/#", "a/b/c") and m("#", "x/y")
    assert not m("a/+", "a/b/c") and not m("a/b", "a/b/c") and not m("#", "$SYS/x") and not m("a/+/c", "a/b")


def test_firmware_round_trip_and_last_will_through_the_mini_broker():
    broker = mqtt_local.MiniBroker().start()
    watch = Watcher(broker, topics=[BASE + "/#"])
    board = Board(mqtt_settings(broker, user=None, password=None))
    try:
        assert wait_online(watch)
        m = watch.mark()
        watch.publish(BASE + "/cmd/t2_fill", json.dumps({"cmd": "start", "id": "mb"}))
        rep = watch.wait(lambda t, p: t == BASE + "/reply", 5, m)
        assert rep and json.loads(rep[2])["ok"] is True
        assert watch.wait(lambda t, p: t == BASE + "/io/t2_fill" and p == b"1", 5, m)
        late = Watcher(broker, topics=[BASE + "/proc/t2_fill/state"])
        hit = late.wait(lambda t, p: True, 3)
        late.close()
        assert hit and hit[3] and json.loads(hit[2])["state"] == "active"  # retained
        m = watch.mark()
        board.kill()
        assert watch.wait(lambda t, p: t == BASE + "/availability" and p == b"offline", 10, m)
    finally:
        watch.close()
        if board.alive():
            board.kill()
        broker.stop()


def test_ensure_broker_prefers_a_running_one():
    b = mqtt_local.MiniBroker().start()
    try:
        host, port, stop = mqtt_local.ensure_broker(b.port)
        assert (host, port) == ("127.0.0.1", b.port)
        stop()
    finally:
        b.stop()
    host, port, stop = mqtt_local.ensure_broker(mqtt_local._free_port())  # nothing there: start one
    try:
        assert mqtt_local._listening(host, port)
    finally:
        stop()
