"""`make sim`'s MQTT: the virtual board running the unchanged firmware talks to
a local broker (tools/mqtt_local.py) like a board on the plant network."""
import json
import os
import sys

import pytest

import mpy
from mqtt_rig import Watcher, free_port, wait_online

sys.path.insert(0, os.path.join(mpy.ROOT, "tools"))
sys.path.insert(0, os.path.join(mpy.ROOT, "tools", "vboard"))
import host  # noqa: E402
import mqtt_local  # noqa: E402

pytestmark = pytest.mark.timeout(120)


class _Port:
    def __init__(self, port):
        self.port = port


def test_virtual_board_publishes_status_and_takes_commands_over_the_sim_broker(tmp_path):
    bhost, bport, stop = mqtt_local.ensure_broker(port=free_port())  # nothing listens there: one is started
    w = None
    try:
        with host.VirtualBoard(str(tmp_path / "flash.bin"), install=host.firmware_files("virtual", "config"),
                               mkfs=True, speed=1.0, echo_stderr=False, broker="%s:%d" % (bhost, bport)):
            w = Watcher(_Port(bport), base="sluice/plc1", user=None, password=None)
            assert wait_online(w, timeout=30)
            state = w.wait(lambda t, p: t == "sluice/plc1/proc/t1_batch/state", timeout=15)
            assert state is not None and json.loads(state[2])["state"] in ("active", "blocked", "inactive")
            since = w.mark()
            w.publish("sluice/plc1/cmd/t1_batch", json.dumps({"cmd": "stop", "id": "sim-1"}))
            reply = w.wait(lambda t, p: t == "sluice/plc1/reply" and b"sim-1" in p, timeout=10, since=since)
            assert reply is not None and json.loads(reply[2])["ok"] is True
            stopped = w.wait(lambda t, p: t == "sluice/plc1/proc/t1_batch/state" and json.loads(p)["state"] == "inactive",
                             timeout=10, since=since)
            assert stopped is not None
    finally:
        if w:
            w.close()
        stop()
