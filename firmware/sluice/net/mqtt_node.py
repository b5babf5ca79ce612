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
from sluice.kernel.events import EV_INFO, EV_WARN
from sluice.net.mqtt_client import Client
from sluice.net.mqtt_commands import CommandHandler
from sluice.net.mqtt_link import Link
from sluice.net.mqtt_settings import Settings
from sluice.net.mqtt_topics import Topics, discovery, io_text, proc_state_json


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
        self.commands = CommandHandler(kernel, t, self.session, self._status_cmd, s.max_payload)
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
        if not link.up:
            link.try_connect(ticks_ms())  # a slice either connects or works, never both
        else:
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
        if retained and msg != b"":  # (None: too long to read)
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
        link.client.subscribe(t.cmd_filter)  # first: "online" means commands are heard
        link.publish(t.session, self.session.encode(), True)
        link.publish(t.availability, b"online", True)
        self.republish()
        self._disc = 0
        self._log(EV_INFO, "mqtt connected")

    def _on_down(self, link):
        del self._pending[:]  # their replies would go nowhere; the commands still apply
        self._log(EV_WARN, "mqtt lost", link.last_error)

    def _log(self, level, what, detail=""):
        self.kernel.events.log(level, "mqtt", what, detail)

    def _status_cmd(self):
        self.republish()
        return self.status()

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
