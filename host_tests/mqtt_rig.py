"""MQTT test rig (host side): a real mosquitto on a free 127.0.0.1 port with a
password file, a micropython board process (mp/mqtt_board.py) and a paho-mqtt
watcher. Shared by host_tests/test_mqtt*.py and tools/bench_mqtt.py."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid

import mpy
import pytest

USER, PASSWORD = "plc", "s3cret-plc"
OPERATOR, OPERATOR_PASSWORD = "operator", "s3cret-op"


def mosquitto_bin():
    return shutil.which("mosquitto") or next((p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")
                                              if os.path.exists(p)), None)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """mosquitto on 127.0.0.1:port; kill() and start() keep the port."""

    def __init__(self, workdir, tls=None):
        """tls: (cafile, certfile, keyfile) for a TLS-only listener."""
        self.dir = workdir
        self.port = free_port()
        self.proc = None
        pw = os.path.join(workdir, "passwd")
        for i, (u, p) in enumerate(((USER, PASSWORD), (OPERATOR, OPERATOR_PASSWORD))):
            subprocess.run(["mosquitto_passwd", "-b"] + (["-c"] if i == 0 else []) + [pw, u, p],
                           check=True, capture_output=True)
        os.chmod(pw, 0o600)
        self.conf = os.path.join(workdir, "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous false\npassword_file %s\n"
                    "persistence false\nlog_type error\nlog_type warning\n" % (self.port, pw))
            if tls:
                f.write("cafile %s\ncertfile %s\nkeyfile %s\n" % tls)
            if os.geteuid() == 0:  # else mosquitto drops to user "mosquitto", who cannot read our files
                f.write("user root\n")
        self.log = os.path.join(workdir, "mosquitto.log")

    def start(self):
        self.proc = subprocess.Popen([mosquitto_bin(), "-c", self.conf], stdout=open(self.log, "ab"),
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("mosquitto exited: " + open(self.log).read()[-2000:])
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not listen on %d" % self.port)

    def kill(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def freeze(self):
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.proc.send_signal(signal.SIGCONT)


def start_broker(tls=None):
    d = tempfile.mkdtemp(prefix="sluice-mqtt-")
    return Broker(d, tls).start()


def stop_broker(b):
    if b.proc is not None:
        b.thaw()
    b.kill()
    shutil.rmtree(b.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def broker():
    """A fresh mosquitto (127.0.0.1, free port, password file) per test module."""
    if mosquitto_bin() is None or shutil.which("mosquitto_passwd") is None:
        pytest.fail("mosquitto is not installed: apt-get install mosquitto (.ci/run does)")
    b = start_broker()
    yield b
    stop_broker(b)


def mqtt_settings(broker, node_id="n1", **kw):
    s = {"host": "127.0.0.1", "port": broker.port, "node_id": node_id, "user": USER, "password": PASSWORD,
         "keepalive_s": 4, "timeout_ms": 100, "slice_ms": 40, "backoff_min_ms": 200, "backoff_max_ms": 1000,
         "republish_s": 60}
    s.update(kw)
    return s


class Board:
    """The firmware under micropython, talking to the broker like a real board."""

    def __init__(self, mqtt, heap="512K", **opts):
        self.dir = tempfile.mkdtemp(prefix="sluice-board-")
        self.stop_file = os.path.join(self.dir, "stop")
        opts = dict(opts, mqtt=mqtt, stop_file=self.stop_file)
        # Not mpy.prelude(): tools/vboard's simulated `time` must not shadow the real one here.
        code = "import sys\nsys.path[:0] = %r\n" % [mpy.FIRMWARE, mpy.MP_SUPPORT, mpy.MPLIB]
        code += "import mqtt_board\nmqtt_board.main(%r)\n" % (opts,)
        self.out = os.path.join(self.dir, "out")
        self.proc = subprocess.Popen([mpy.micropython_bin(), "-X", "heapsize=" + heap, "-c", code],
                                     stdout=open(self.out, "w"), stderr=subprocess.STDOUT, cwd=mpy.ROOT)

    def alive(self):
        return self.proc.poll() is None

    def finish(self, timeout=20):
        """Stop the board and return its result dict."""
        open(self.stop_file, "w").close()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        text = open(self.out).read()
        shutil.rmtree(self.dir, ignore_errors=True)
        for line in text.splitlines():
            if line.startswith(mpy.RESULT_MARK):
                r = json.loads(line[len(mpy.RESULT_MARK):])
                r["rc"] = self.proc.returncode
                return r
        raise AssertionError("board gave no result (rc=%s):\n%s" % (self.proc.returncode, text[-4000:]))

    def kill(self):
        """The board drops off the network: no DISCONNECT, the broker sends the last will."""
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def periods_ms(result, wall_from=None, wall_to=None):
    """Scan periods (ms) from a board result; only those starting inside the
    host wall-clock window [wall_from, wall_to] (seconds, time.time()) if given."""
    s, t0, w0 = result["starts"], result["tick0"], result["wall0_ms"]
    out = []
    for a, b in zip(s, s[1:]):
        wall = (w0 + ((b - t0) & ((1 << 30) - 1))) / 1000
        if (wall_from is None or wall >= wall_from) and (wall_to is None or wall <= wall_to):
            out.append((b - a) & ((1 << 30) - 1))
    return out


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q / 100 * len(xs)))] if xs else None


class Watcher:
    """A paho-mqtt client recording every message under the node's base topic."""

    def __init__(self, broker, base="sluice/n1", user=OPERATOR, password=OPERATOR_PASSWORD, topics=None,
                 cafile=None):
        import paho.mqtt.client as mqtt
        self.base = base
        self.msgs = []  # (time.time(), topic, payload bytes, retain)
        self.cond = threading.Condition()
        c = self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="watch-" + uuid.uuid4().hex)
        c.username_pw_set(user, password)
        if cafile:
            c.tls_set(ca_certs=cafile)  # verifies the broker's certificate and name
        c.on_message = self._on_message
        c.on_connect = lambda cl, ud, fl, rc, pr: cl.subscribe([(t, 0) for t in (topics or [base + "/#"])])
        c.connect("127.0.0.1", broker.port, keepalive=30)
        c.loop_start()

    def _on_message(self, _c, _u, m):
        with self.cond:
            self.msgs.append((time.time(), m.topic, m.payload, m.retain))
            self.cond.notify_all()

    def wait(self, pred, timeout=10.0, since=0):
        """First message (index >= since) for which pred(topic, payload) is true, or None."""
        deadline = time.time() + timeout
        with self.cond:
            i = since
            while True:
                while i < len(self.msgs):
                    m = self.msgs[i]
                    if pred(m[1], m[2]):
                        return m
                    i += 1
                left = deadline - time.time()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def mark(self):
        with self.cond:
            return len(self.msgs)

    def latest(self, topic):
        with self.cond:
            for m in reversed(self.msgs):
                if m[1] == topic:
                    return m[2]
        return None

    def publish(self, topic, payload, retain=False):
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


def wait_online(watcher, timeout=15):
    t = watcher.base + "/availability"
    return watcher.wait(lambda tp, p: tp == t and p == b"online", timeout)
