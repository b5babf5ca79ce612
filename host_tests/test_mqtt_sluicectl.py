"""tools/sluicectl.py as an operator runs it, against the firmware on
micropython and a real mosquitto: output and exit codes."""
import os
import subprocess
import sys
import time

import pytest

import mpy
from mqtt_rig import OPERATOR, OPERATOR_PASSWORD, Board, Watcher, broker, mqtt_settings, wait_online  # noqa: F401

CTL = os.path.join(mpy.ROOT, "tools", "sluicectl.py")


def ctl(broker, *args, password=OPERATOR_PASSWORD, timeout=30):  # noqa: F811
    env = dict(os.environ, SLUICE_MQTT_PASSWORD=password)
    p = subprocess.run([sys.executable, CTL, "--port", str(broker.port), "--user", OPERATOR, "--node", "n1",
                        "--timeout", "4"] + list(args), capture_output=True, text=True, env=env, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


@pytest.fixture(scope="module")
def board(broker):  # noqa: F811
    w = Watcher(broker)
    b = Board(mqtt_settings(broker))
    assert wait_online(w)
    time.sleep(1.5)  # retained status complete
    yield w
    w.close()
    b.finish()


def test_status_table(broker, board):  # noqa: F811
    rc, out, err = ctl(broker, "status")
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("node sluice/n1: online, session ") and "64 processes" in lines[0]
    rows = [ln.split() for ln in lines[2:] if ln.startswith("t")]
    assert len(rows) == 64 and ["t1_fill", "inactive", "fill", "5"] == rows[[r[0] for r in rows].index("t1_fill")][:4]
    assert "t1_fill=0" in lines[-1]


def test_command_exit_codes(broker, board):  # noqa: F811
    rc, out, _ = ctl(broker, "cmd", "t5_fill", "start")
    assert (rc, out.strip()) == (0, "ok")
    rc, _, err = ctl(broker, "cmd", "t5_fill", "start")
    assert rc == 1 and "already active" in err
    rc, _, err = ctl(broker, "cmd", "t5_fill", "priority", "4000")
    assert rc == 1 and "0..1000" in err
    rc, out, _ = ctl(broker, "cmd", "t5_fill", "priority", "800", "--json")
    assert rc == 0 and '"cmd": "priority 800"' in out
    rc, out, _ = ctl(broker, "cmd", "node", "status")
    assert rc == 0 and '"active": 1' in out
    rc, _, err = ctl(broker, "cmd", "nope", "start")
    assert rc == 1 and "unknown process" in err
    rc, _, _ = ctl(broker, "cmd", "t5_fill", "stop")
    assert rc == 0
    rc, _, err = ctl(broker, "status", password="wrong")
    assert rc == 3 and "refused" in err
    rc, _, err = ctl(broker, "--node", "ghost", "cmd", "t1_fill", "start")
    assert rc == 4 and "unknown" in err
    rc, _, _ = ctl(broker, "bogus-subcommand")
    assert rc == 2


def test_watch_shows_live_changes(broker, board):  # noqa: F811
    env = dict(os.environ, SLUICE_MQTT_PASSWORD=OPERATOR_PASSWORD)
    w = subprocess.Popen([sys.executable, CTL, "--port", str(broker.port), "--user", OPERATOR, "--node", "n1",
                          "watch", "--seconds", "6"], stdout=subprocess.PIPE, text=True, env=env)
    time.sleep(1.5)
    assert ctl(broker, "cmd", "t6_dose", "start")[0] == 0
    out, _ = w.communicate(timeout=20)
    assert w.returncode == 0
    assert any("proc/t6_dose/state" in ln and "active" in ln for ln in out.splitlines()), out
    assert any("io/t6_dose" in ln and ln.endswith(" 1") for ln in out.splitlines()), out
    assert any("event" in ln and "t6_dose" in ln for ln in out.splitlines()), out
