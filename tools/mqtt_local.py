"""A broker for `make sim` without system packages.

ensure_broker() returns (host, port, stop): a broker already listening on
127.0.0.1:1883 (e.g. the Debian mosquitto service), else a mosquitto started
on a free loopback port if the binary is installed, else MiniBroker, below,
in a thread. tools/sim.py passes "host:port" to the virtual board (--broker).

MiniBroker is a small MQTT 3.1.1 broker for one machine: loopback only,
anonymous (any user name and password are accepted), QoS 0 and 1 (delivered
at QoS 0), retained messages, last wills, + and # wildcards. Not for a plant
network: use mosquitto there.
"""
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time


def _listening(host, port):
    try:
        socket.create_connection((host, port), timeout=0.3).close()
        return True
    except OSError:
        return False


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_broker(port=1883):
    """(host, port, stop): the broker the virtual board should use."""
    if _listening("127.0.0.1", port):
        return "127.0.0.1", port, lambda: None
    exe = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None)
    if exe:
        p = _free_port()
        conf = os.path.join(tempfile.mkdtemp(prefix="sluice-sim-mqtt-"), "mosquitto.conf")
        with open(conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n" % p)
        proc = subprocess.Popen([exe, "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if _listening("127.0.0.1", p):
                return "127.0.0.1", p, proc.terminate
            time.sleep(0.05)
        proc.terminate()
    b = MiniBroker().start()
    return "127.0.0.1", b.port, b.stop


def topic_matches(flt, topic):
    f, t = flt.split("/"), topic.split("/")
    for i, level in enumerate(f):
        if level == "#":
            return not (i == 0 and topic.startswith("$"))
        if i >= len(t) or (level != "+" and level != t[i]) or (level == "+" and i == 0 and t[0].startswith("$")):
            return False
    return len(f) == len(t)


def _packet(kind, body):
    n, head = len(body), bytearray([kind])
    while True:
        b, n = n & 0x7F, n >> 7
        head.append(b | (0x80 if n else 0))
        if not n:
            return bytes(head) + body


def _s(text):
    b = text.encode() if isinstance(text, str) else text
    return struct.pack("!H", len(b)) + b


class _Client:
    def __init__(self, broker, sock):
        self.broker, self.sock = broker, sock
        self.id, self.subs, self.will = None, {}, None
        self.lock = threading.Lock()
        self.open = True

    def send(self, data):
        with self.lock:
            if self.open:
                try:
                    self.sock.sendall(data)
                except OSError:
                    self.close()

    def close(self):
        self.open = False
        try:
            self.sock.close()
        except OSError:
            pass

    def _read(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def _packet(self):
        kind = self._read(1)[0]
        n = shift = 0
        while True:
            b = self._read(1)[0]
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        return kind, self._read(n) if n else b""

    def run(self):
        clean = False
        try:
            kind, body = self._packet()
            if kind != 0x10:
                return
            self._connect(body)
            while True:
                kind, body = self._packet()
                t = kind & 0xF0
                if t == 0x30:
                    self._publish(kind, body)
                elif t == 0x80:
                    self._subscribe(body)
                elif t == 0xA0:
                    pid = body[:2]
                    for flt in self._strings(body[2:]):
                        self.subs.pop(flt, None)
                    self.send(_packet(0xB0, pid))
                elif t == 0xC0:
                    self.send(b"\xd0\x00")
                elif t == 0xE0:
                    clean = True
                    return
                elif t == 0x40:
                    pass
                else:
                    return
        except (EOFError, OSError, IndexError, struct.error, UnicodeError):
            pass
        finally:
            self.close()
            self.broker.gone(self, clean)

    @staticmethod
    def _strings(body):
        out, i = [], 0
        while i < len(body):
            n = struct.unpack("!H", body[i:i + 2])[0]
            out.append(body[i + 2:i + 2 + n].decode())
            i += 2 + n
        return out

    def _connect(self, body):
        n = struct.unpack("!H", body[:2])[0]
        i = 2 + n
        flags, keepalive = body[i + 1], struct.unpack("!H", body[i + 2:i + 4])[0]
        i += 4

        def field():
            nonlocal i
            m = struct.unpack("!H", body[i:i + 2])[0]
            v = body[i + 2:i + 2 + m]
            i += 2 + m
            return v
        self.id = field().decode() or "anon-%d" % id(self)
        if flags & 0x04:
            topic = field().decode()
            self.will = (topic, field(), bool(flags & 0x20))
        if keepalive:
            self.sock.settimeout(keepalive * 1.5)
        self.broker.connected(self)
        self.send(b"\x20\x02\x00\x00")

    def _publish(self, kind, body):
        n = struct.unpack("!H", body[:2])[0]
        topic = body[2:2 + n].decode()
        i = 2 + n
        qos = (kind >> 1) & 3
        if qos:
            pid = body[i:i + 2]
            i += 2
            if qos == 1:
                self.send(_packet(0x40, pid))
            else:
                raise EOFError  # QoS 2: not supported
        self.broker.publish(topic, body[i:], bool(kind & 1))

    def _subscribe(self, body):
        pid, i, flts = body[:2], 2, []
        while i < len(body):
            n = struct.unpack("!H", body[i:i + 2])[0]
            flts.append(body[i + 2:i + 2 + n].decode())
            i += 3 + n
        for f in flts:
            self.subs[f] = 0
        self.send(_packet(0x90, pid + bytes([0] * len(flts))))
        for topic, payload in self.broker.retained_for(flts):
            self.send(_packet(0x31, _s(topic) + payload))


class MiniBroker:
    def __init__(self, port=0):
        self.port = port
        self.clients = {}   # client id -> _Client
        self.retained = {}  # topic -> payload
        self.lock = threading.Lock()
        self.sock = None

    def start(self):
        s = self.sock = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        self.port = s.getsockname()[1]
        s.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self):
        try:
            self.sock.close()
        except OSError:
            pass
        with self.lock:
            clients = list(self.clients.values())
        for c in clients:
            c.close()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=_Client(self, conn).run, daemon=True).start()

    def connected(self, c):
        with self.lock:
            old = self.clients.get(c.id)
            self.clients[c.id] = c
        if old is not None:
            old.close()  # session takeover

    def gone(self, c, clean):
        with self.lock:
            if self.clients.get(c.id) is c:
                del self.clients[c.id]
        if not clean and c.will:
            self.publish(*c.will)

    def retained_for(self, flts):
        with self.lock:
            return [(t, p) for t, p in self.retained.items() if any(topic_matches(f, t) for f in flts)]

    def publish(self, topic, payload, retain):
        with self.lock:
            if retain:
                if payload:
                    self.retained[topic] = payload
                else:
                    self.retained.pop(topic, None)
            targets = [c for c in self.clients.values() if any(topic_matches(f, topic) for f in c.subs)]
        pkt = _packet(0x30, _s(topic) + payload)
        for c in targets:
            c.send(pkt)


if __name__ == "__main__":
    import sys
    b = MiniBroker(int(sys.argv[1]) if len(sys.argv) > 1 else 1883).start()
    print("MiniBroker on 127.0.0.1:%d (Ctrl-C stops)" % b.port)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        b.stop()
