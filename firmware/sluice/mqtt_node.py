# The node's MQTT side: keeps the link up, publishes status (processes, I/O,
# events, Home Assistant discovery) and feeds validated commands to the kernel.
#
# Where it runs: in short slices, each scheduled (micropython.schedule) by an
# after_scan hook, so a slice starts right after a scan and never overlaps
# one, and the REPL stays free. A slice stops starting new work after
# slice_ms, and every socket operation is bounded by timeout_ms, so a dead,
# slow or frozen broker delays nothing by more than slice_ms + timeout_ms,
# inside the idle time before the next scan. The after_scan hook only
# schedules a pre-bound method: nothing is allocated in the scan.
# Host tools may instead call slice() in their own loop (run()).
from random import getrandbits

import micropython

from sluice.compat import ticks_add, ticks_diff, ticks_ms, ticks_us
from sluice.errors import ConfigError
from sluice.events import EV_INFO, EV_WARN
from sluice.mqtt_client import Client
from sluice.mqtt_commands import CommandHandler
from sluice.mqtt_link import Link
from sluice.mqtt_topics import Topics, discovery, io_text, proc_state_json


class Settings:
    """MQTT settings, checked at load (ConfigError), never mid-run."""

    def __init__(self, host, port=1883, node_id="plc1", base=None, user=None, password=None,
                 tls=None, keepalive_s=30, timeout_ms=100, slice_ms=40, backoff_min_ms=500,
                 backoff_max_ms=30000, republish_s=60, discovery_prefix="homeassistant",
                 max_payload=256):
        _check(isinstance(host, str) and host, "MQTT_HOST must be a host name or address")
        _check(isinstance(node_id, str) and 0 < len(node_id) <= 32 and _topic_safe(node_id),
               "MQTT_NODE_ID: 1-32 chars, none of / + # or space")
        _check(base is None or isinstance(base, str) and base and _topic_safe(base.replace("/", "_")),
               "MQTT_BASE: a topic without wildcards")
        _check((user is None) == (password is None), "MQTT_USER and MQTT_PASSWORD go together")
        _check(tls is None or isinstance(tls, dict), "MQTT_TLS: None or a dict")
        for name, v, lo, hi in (("MQTT_PORT", port, 1, 65535), ("MQTT_KEEPALIVE_S", keepalive_s, 2, 3600),
                                ("MQTT_TIMEOUT_MS", timeout_ms, 10, 2000), ("MQTT_SLICE_MS", slice_ms, 5, 200),
                                ("MQTT_BACKOFF_MIN_MS", backoff_min_ms, 100, 60000),
                                ("MQTT_BACKOFF_MAX_MS", backoff_max_ms, backoff_min_ms, 600000),
                                ("MQTT_REPUBLISH_S", republish_s, 5, 86400),
                                ("MQTT_MAX_PAYLOAD", max_payload, 64, 4096)):
            _check(isinstance(v, int) and lo <= v <= hi, "%s must be an integer %d..%d" % (name, lo, hi))
        self.host, self.port, self.node_id, self.base = host, port, node_id, base
        self.user, self.password, self.tls = user, password, tls
        self.keepalive_s, self.timeout_ms, self.slice_ms = keepalive_s, timeout_ms, slice_ms
        self.backoff_min_ms, self.backoff_max_ms = backoff_min_ms, backoff_max_ms
        self.republish_s, self.discovery_prefix, self.max_payload = republish_s, discovery_prefix, max_payload

    @classmethod
    def from_config(cls, config, broker=None):
        """Settings from MQTT_* names in a config module; None while MQTT_HOST is
        unset. broker: (host, port) that overrides MQTT_HOST/MQTT_PORT (the
        virtual board's --broker)."""
        host = broker[0] if broker else getattr(config, "MQTT_HOST", None)
        if host is None:
            return None
        kw = {"port": broker[1]} if broker else {}
        for key in ("port", "node_id", "base", "user", "password", "tls", "keepalive_s", "timeout_ms",
                    "slice_ms", "backoff_min_ms", "backoff_max_ms", "republish_s", "discovery_prefix",
                    "max_payload"):
            name = "MQTT_" + key.upper()
            if hasattr(config, name) and key not in kw:
                kw[key] = getattr(config, name)
        return cls(host, **kw)


def _check(ok, text):
    if not ok:
        raise ConfigError(text)


def _topic_safe(s):
    for ch in "/+# ":
        if ch in s:
            return False
    return True


def _b(s):
    return s.encode() if isinstance(s, str) else s


class MqttNode:
    def __init__(self, kernel, settings, socket_mod=None):
        s = self.settings = settings
        self.kernel = kernel
        t = self.topics = Topics(s.node_id, s.base, s.discovery_prefix)
        self.session = "%08x" % getrandbits(32)  # new every boot: marks older commands stale
        kw = {} if socket_mod is None else {"socket_mod": socket_mod}
        client = Client(_b("sluice-" + s.node_id), s.host, s.port, _b(s.user), _b(s.password),
                        s.keepalive_s, s.timeout_ms, s.tls, s.max_payload, **kw)
        client.set_callback(self._on_msg)
        self.link = Link(client, t.availability, s.keepalive_s, s.backoff_min_ms, s.backoff_max_ms,
                         self._on_up, self._on_down)
        self.commands = CommandHandler(kernel, t, self.session, self.status)
        self.commands.max_payload = s.max_payload
        self._procs = list(kernel.processes.values())
        self._proc_topics = [t.proc_state(p.name) for p in self._procs]
        self._proc_rev = [-1] * len(self._procs)  # rev last published; -1: publish
        io = kernel.io
        self._ios = list(io.outputs.values()) + list(io.inputs.values())
        self._n_out = len(io.outputs)
        self._io_topics = [t.io(x.name) for x in self._ios]
        self._io_last = [None] * len(self._ios)   # value last published; None: publish
        self._pending = []       # mqtt_commands.Pending waiting for the scan's verdict
        self._ev_seq = kernel.events.oldest_seq()
        self._disc = 0           # discovery cursor over processes, then I/O
        self._republish_at = ticks_ms()
        self._scheduled = False
        self._slice_ref = self.slice
        self._hook_ref = self._after_scan
        self.slices = 0
        self.slice_us_max = 0
        self.published = 0

    # --- scheduling ----------------------------------------------------------

    def attach(self):
        """Run a slice after every scan (the board's mode)."""
        self.kernel.after_scan.append(self._hook_ref)
        return self

    def detach(self):
        if self._hook_ref in self.kernel.after_scan:
            self.kernel.after_scan.remove(self._hook_ref)

    def _after_scan(self, _k):  # scan context: must not allocate
        if not self._scheduled:
            self._scheduled = True
            try:
                micropython.schedule(self._slice_ref, None)
            except RuntimeError:  # queue full: try after the next scan
                self._scheduled = False

    def run(self, stop, sleep_ms=20):
        """Host loop: slices until stop() is true."""
        from time import sleep_ms as _sleep
        while not stop():
            self.slice()
            _sleep(sleep_ms)

    def stop(self):
        self.detach()
        self.link.close()

    # --- one slice -----------------------------------------------------------

    def slice(self, _arg=None):
        self._scheduled = False
        t0 = ticks_us()
        link = self.link
        if link.up or link.try_connect(ticks_ms()):
            try:
                self._work(ticks_ms())
            except Exception as e:  # every network error: one place, one reconnect path
                link.drop(e)
        self.slices += 1
        us = ticks_diff(ticks_us(), t0)
        if us > self.slice_us_max:
            self.slice_us_max = us

    def _work(self, t0):
        end = ticks_add(t0, self.settings.slice_ms)
        c = self.link.client
        while ticks_diff(end, ticks_ms()) > 0:  # incoming first: commands wait least
            n = c.rx_packets
            c.check_msg()
            if c.rx_packets == n:
                break
        pend = self._pending
        i = 0
        while i < len(pend):
            if pend[i].ready:
                self._pub(self.topics.reply, pend.pop(i).reply())
            else:
                i += 1
        self._publish_events(end)
        self._publish_procs(end)
        self._publish_io(end)
        self._publish_discovery(end)
        now = ticks_ms()
        if ticks_diff(now, self._republish_at) >= 0:
            self.republish()
        self.link.keepalive(now)

    def _pub(self, topic, msg, retain=False):
        if isinstance(msg, str):
            msg = msg.encode()  # framing counts bytes
        self.link.publish(topic, msg, retain)
        self.published += 1

    def _on_msg(self, topic, msg):
        retained = self.link.client.retained
        reply, pending = self.commands.handle(topic, msg, retained)
        if reply is not None:
            self._pub(self.topics.reply, reply)
        if pending is not None:
            self._pending.append(pending)
        if retained and msg:
            self._pub(topic, b"", True)  # delete the retained command from the broker

    def _publish_events(self, end):
        ev = self.kernel.events
        s = max(self._ev_seq, ev.oldest_seq())
        while s < ev.seq and ticks_diff(end, ticks_ms()) > 0:
            e = ev.entry(s)
            if e is not None:
                self._pub(self.topics.event, ev.format(e))
            s += 1
        self._ev_seq = s

    def _publish_procs(self, end):
        revs = self._proc_rev
        for i, p in enumerate(self._procs):
            if revs[i] != p.rev:
                if ticks_diff(end, ticks_ms()) <= 0:
                    return
                rev = p.rev  # read first: a change while formatting is published next time
                self._pub(self._proc_topics[i], proc_state_json(p), True)
                revs[i] = rev

    def _publish_io(self, end):
        last = self._io_last
        for i, x in enumerate(self._ios):
            v = x.value
            if last[i] != v:
                if ticks_diff(end, ticks_ms()) <= 0:
                    return
                self._pub(self._io_topics[i], io_text(v), True)
                last[i] = v

    def _publish_discovery(self, end):
        np = len(self._procs)
        total = np + len(self._ios)
        while self._disc < total and ticks_diff(end, ticks_ms()) > 0:
            i = self._disc
            if i < np:
                d = discovery(self.topics, "proc", self._procs[i].name)
            else:
                d = discovery(self.topics, "out" if i - np < self._n_out else "in", self._ios[i - np].name)
            if d is None:
                self._disc = total
                return
            self._pub(d[0], d[1], True)
            self._disc += 1

    def republish(self):
        """Publish every process state and I/O value again (periodically, on `status`)."""
        for i in range(len(self._proc_rev)):
            self._proc_rev[i] = -1
        for i in range(len(self._io_last)):
            self._io_last[i] = None
        self._republish_at = ticks_add(ticks_ms(), self.settings.republish_s * 1000)

    # --- link events ---------------------------------------------------------

    def _on_up(self, link):
        t = self.topics
        link.publish(t.availability, b"online", True)
        link.publish(t.session, self.session.encode(), True)
        link.client.subscribe(t.cmd_filter)
        self.republish()
        self._disc = 0
        self._log(EV_INFO, "mqtt connected")

    def _on_down(self, link):
        del self._pending[:]  # their replies would go nowhere; the commands still apply
        self._log(EV_WARN, "mqtt lost", link.last_error)

    def _log(self, level, what, detail=""):
        k = self.kernel
        k.events.log(k.now_ms, level, "mqtt", what, detail)

    def status(self):
        """Summary for the `status` command and diagnostics."""
        k = self.kernel
        counts = {}
        for p in self._procs:
            counts[p.state_name] = counts.get(p.state_name, 0) + 1
        link = self.link
        return {"session": self.session, "scan_count": k.scan_count, "halted": k.halted,
                "processes": counts, "interlocks_tripped": [i.name for i in k.interlocks if i.tripped],
                "connects": link.connects, "failures": link.failures,
                "accepted": self.commands.accepted, "refused": self.commands.refused}


def start(kernel, config, socket_mod=None, broker=None):
    """Attach MQTT to a kernel from config's MQTT_* settings (broker: (host, port)
    override); None when disabled. Call before the scan timer starts or from the REPL."""
    s = Settings.from_config(config, broker)
    if s is None:
        return None
    return MqttNode(kernel, s, socket_mod).attach()
