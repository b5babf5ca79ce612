#!/usr/bin/env python3
"""sluicectl: watch and command a Sluice node over MQTT (paho-mqtt).

  sluicectl status                     table of every process, I/O values, availability
  sluicectl watch [--count N] [--seconds S]   live changes, one line each
  sluicectl cmd t1_fill start          send a command and wait for its reply
  sluicectl cmd t1_fill priority 500
  sluicectl cmd node halt | resume_all | status

Connection: --host/--port/--user/--node or SLUICE_MQTT_HOST, _PORT, _USER,
_NODE; the password only from SLUICE_MQTT_PASSWORD (or --password-file), so
it never shows in `ps`. --tls [--cafile F] for a TLS listener.

Exit codes: 0 ok; 1 command refused by the node; 2 usage; 3 broker
unreachable or login refused; 4 no answer (node offline, timeout).
"""
import argparse
import json
import os
import sys
import threading
import time
import uuid

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_BROKER, EXIT_NO_ANSWER = 0, 1, 2, 3, 4


class Session:
    """A paho client connected to the broker, collecting messages under the node's base."""

    def __init__(self, args):
        import paho.mqtt.client as mqtt
        self.base = args.base or "sluice/" + args.node
        self.msgs = []
        self.cond = threading.Condition()
        self.connected = threading.Event()
        self.refused = None
        c = self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="sluicectl-" + uuid.uuid4().hex[:8])
        if args.user:
            c.username_pw_set(args.user, _password(args))
        if args.tls:
            c.tls_set(ca_certs=args.cafile)
        c.on_connect = self._on_connect
        c.on_message = self._on_message
        try:
            c.connect(args.host, args.port, keepalive=30)
        except OSError as e:
            raise SystemExit(_fail(EXIT_BROKER, "cannot reach broker %s:%d: %s" % (args.host, args.port, e)))
        c.loop_start()
        if not self.connected.wait(args.timeout):
            c.loop_stop()
            raise SystemExit(_fail(EXIT_BROKER, "broker %s:%d did not accept the connection" % (args.host, args.port)))
        if self.refused:
            c.loop_stop()
            raise SystemExit(_fail(EXIT_BROKER, "broker refused the login: %s" % self.refused))

    def _on_connect(self, client, _ud, _flags, rc, _props):
        if rc.is_failure:
            self.refused = str(rc)
        self.connected.set()

    def _on_message(self, _c, _ud, m):
        with self.cond:
            self.msgs.append((time.time(), m.topic, m.payload, m.retain))
            self.cond.notify_all()

    def subscribe(self, *suffixes):
        for s in suffixes:
            self.client.subscribe(self.base + "/" + s, qos=1)

    def wait(self, pred, timeout, since=0):
        deadline = time.time() + timeout
        with self.cond:
            i = since
            while True:
                while i < len(self.msgs):
                    if pred(self.msgs[i]):
                        return self.msgs[i]
                    i += 1
                left = deadline - time.time()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def settle(self, quiet=0.3, limit=3.0):
        """Wait until no message arrived for `quiet` s (the retained burst is over)."""
        end = time.time() + limit
        while time.time() < end:
            n = len(self.msgs)
            time.sleep(quiet)
            if len(self.msgs) == n:
                return

    def latest(self):
        out = {}
        with self.cond:
            for _, t, p, _r in self.msgs:
                out[t[len(self.base) + 1:]] = p
        return out

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


def _password(args):
    if args.password_file:
        with open(args.password_file) as f:
            return f.read().strip()
    return os.environ.get("SLUICE_MQTT_PASSWORD")


def _fail(code, text):
    print("sluicectl: " + text, file=sys.stderr)
    return code


def cmd_status(args):
    s = Session(args)
    try:
        s.subscribe("availability", "session", "proc/+/state", "io/+")
        s.settle(limit=args.timeout)
        latest = s.latest()
    finally:
        s.close()
    avail = latest.get("availability", b"unknown").decode()
    procs = sorted((k[5:-6], json.loads(v)) for k, v in latest.items() if k.startswith("proc/") and v)
    print("node %s: %s, session %s, %d processes" % (s.base, avail, latest.get("session", b"?").decode(), len(procs)))
    if procs:
        print("%-16s %-9s %-12s %5s %8s  %s" % ("process", "state", "step", "prio", "t_step", "blocked by / fault"))
    for name, st in procs:
        note = st.get("fault") or ("%s on %s" % (st["blocked_by"], st["blocked_on"]) if st.get("blocked_by") else "")
        print("%-16s %-9s %-12s %5d %8s  %s" % (name, st["state"], st["step"], st["priority"], st["step_elapsed_s"], note))
    io = sorted((k[3:], v.decode()) for k, v in latest.items() if k.startswith("io/"))
    if io:
        print("io: " + " ".join("%s=%s" % kv for kv in io))
    return EXIT_OK if avail == "online" else EXIT_NO_ANSWER


def cmd_watch(args):
    s = Session(args)
    shown = 0
    end = time.time() + args.seconds if args.seconds else None
    try:
        s.subscribe("availability", "proc/+/state", "io/+", "event", "reply")
        i = 0
        while (args.count is None or shown < args.count) and (end is None or time.time() < end):
            with s.cond:
                if i >= len(s.msgs):
                    s.cond.wait(0.2)
                new = s.msgs[i:]
                i += len(new)
            for t, topic, payload, retained in new:
                if retained or (args.count is not None and shown >= args.count):
                    continue  # the retained snapshot is what `status` shows
                print(_watch_line(t, topic[len(s.base) + 1:], payload), flush=True)
                shown += 1
    except KeyboardInterrupt:
        pass
    finally:
        s.close()
    return EXIT_OK


def _watch_line(t, topic, payload):
    text = payload.decode("utf-8", "replace")
    if topic.startswith("proc/"):
        try:
            st = json.loads(text)
            text = "%s %s prio %d %s" % (st["state"], st["step"], st["priority"], st.get("fault") or "")
        except (ValueError, KeyError, TypeError):
            pass
    return "%s %-28s %s" % (time.strftime("%H:%M:%S", time.localtime(t)), topic, text.rstrip())


def cmd_send(args):
    s = Session(args)
    try:
        s.subscribe("reply", "session", "availability")
        s.settle(quiet=0.2, limit=args.timeout)
        latest = s.latest()
        if latest.get("availability") != b"online":
            return _fail(EXIT_NO_ANSWER, "node %s is %s" % (s.base, latest.get("availability", b"unknown").decode()))
        cmd_id = uuid.uuid4().hex[:12]
        body = {"cmd": " ".join([args.verb] + args.arg), "id": cmd_id}
        if "session" in latest:
            body["session"] = latest["session"].decode()
        topic = s.base + "/cmd" + ("" if args.target == "node" else "/" + args.target)
        mark = len(s.msgs)
        s.client.publish(topic, json.dumps(body), qos=1)

        def mine(m):
            if not m[1].endswith("/reply"):
                return False
            try:
                return json.loads(m[2]).get("id") == cmd_id
            except ValueError:
                return False
        m = s.wait(mine, args.timeout, mark)
    finally:
        s.close()
    if m is None:
        return _fail(EXIT_NO_ANSWER, "no reply within %.1f s" % args.timeout)
    reply = json.loads(m[2])
    if args.json:
        print(json.dumps(reply))
    elif reply["ok"]:
        print("ok" + (": " + json.dumps(reply["status"]) if "status" in reply else ""))
    else:
        print("refused: " + reply["error"], file=sys.stderr)
    return EXIT_OK if reply["ok"] else EXIT_REFUSED


def parser():
    env = os.environ.get
    p = argparse.ArgumentParser(prog="sluicectl", description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n", 1)[1])
    p.add_argument("--host", default=env("SLUICE_MQTT_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(env("SLUICE_MQTT_PORT", "1883")))
    p.add_argument("--user", default=env("SLUICE_MQTT_USER"))
    p.add_argument("--password-file", help="file holding the password (else $SLUICE_MQTT_PASSWORD)")
    p.add_argument("--node", default=env("SLUICE_MQTT_NODE", "plc1"), help="node id (topic base sluice/<node>)")
    p.add_argument("--base", help="topic base, if the node's MQTT_BASE is not sluice/<node>")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--cafile")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the broker or a reply")
    sub = p.add_subparsers(dest="what", required=True)
    sub.add_parser("status", help="process table")
    w = sub.add_parser("watch", help="live changes")
    w.add_argument("--count", type=int, help="stop after N lines")
    w.add_argument("--seconds", type=float, help="stop after S seconds")
    c = sub.add_parser("cmd", help="send a command, wait for its reply")
    c.add_argument("target", help="process name, or `node` for halt / resume_all / status")
    c.add_argument("verb")
    c.add_argument("arg", nargs="*")
    c.add_argument("--json", action="store_true", help="print the reply as JSON")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        return {"status": cmd_status, "watch": cmd_watch, "cmd": cmd_send}[args.what](args)
    except SystemExit as e:
        return e.code


if __name__ == "__main__":
    sys.exit(main())
