# micropython-lib's umqtt.simple, hardened for a controller that must never
# wait on the network:
# - every socket operation has a timeout (umqtt.simple blocks forever once a
#   message has started, and on connect);
# - TLS through ssl.SSLContext (umqtt.simple 1.3.4 imports the removed `ussl`);
# - an incoming PUBLISH reports its retain flag, and a payload longer than
#   max_payload is skipped without being read into RAM (cb gets msg=None);
# - a malformed packet raises MQTTException instead of an AssertionError.
# Any OSError or MQTTException leaves the stream unusable: the owner (Link)
# closes the socket and reconnects. Call from one context at a time.
import socket
import struct

from umqtt.simple import MQTTClient, MQTTException

from sluice.compat import ticks_ms

_TOPIC_MAX = 256  # longest accepted incoming topic, bytes


class Client(MQTTClient):
    def __init__(self, client_id, server, port=1883, user=None, password=None, keepalive_s=30,
                 timeout_ms=100, tls=None, max_payload=256, socket_mod=socket):
        """tls: None, or a dict: cadata (DER bytes, verifies the broker), server_hostname,
        certfile/keyfile (client certificate). socket_mod: anything with socket() and
        getaddrinfo(), e.g. a test double or a board's network stack."""
        super().__init__(client_id, server, port=port or (8883 if tls else 1883), user=user,
                         password=password, keepalive=keepalive_s)
        self.timeout_s = timeout_ms / 1000
        self.tls = tls
        self.max_payload = max_payload
        self.socket_mod = socket_mod
        self.retained = False  # retain flag of the PUBLISH being handed to cb
        self.last_rx_ms = 0    # ticks of the last packet received
        self.rx_packets = 0
        self._skip_buf = bytearray(128)
        self._addr = None

    def connect(self, clean_session=True):
        sm = self.socket_mod
        if self._addr is None:  # resolved once: a DNS lookup cannot be bounded by a timeout
            self._addr = sm.getaddrinfo(self.server, self.port)[0][-1]
        addr = self._addr
        raw = sm.socket()
        sock = self.sock = _Stream(raw)  # set first so close() works whatever fails next
        raw.settimeout(self.timeout_s)
        raw.connect(addr)
        if self.tls is not None:
            sock.s = _wrap_tls(raw, self.tls, self.server)
        flags = clean_session << 1
        sz = 12 + len(self.client_id)
        if self.user is not None:
            flags |= 0xC0
            sz += 4 + len(self.user) + len(self.pswd)
        if self.lw_topic:
            flags |= 0x4 | (self.lw_qos & 0x3) << 3 | self.lw_retain << 5
            sz += 4 + len(self.lw_topic) + len(self.lw_msg)
        pkt = bytearray(b"\x10")
        while sz > 0x7F:
            pkt.append((sz & 0x7F) | 0x80)
            sz >>= 7
        pkt.append(sz)
        pkt += b"\x00\x04MQTT\x04"
        pkt.append(flags)
        pkt += struct.pack("!H", self.keepalive)
        sock.write(pkt)
        self._send_str(self.client_id)
        if self.lw_topic:
            self._send_str(self.lw_topic)
            self._send_str(self.lw_msg)
        if self.user is not None:
            self._send_str(self.user)
            self._send_str(self.pswd)
        resp = self._read(4)
        if resp[0] != 0x20 or resp[1] != 0x02:
            raise MQTTException("bad CONNACK")
        if resp[3] != 0:
            raise MQTTException(resp[3])  # 4 = bad user name or password, 5 = not authorised
        self.last_rx_ms = ticks_ms()
        return resp[2] & 1

    def close(self):
        """Drop the connection without DISCONNECT, so the broker sends the last will."""
        s = self.sock
        self.sock = None
        if s is not None:
            try:
                s.close()
            except OSError:
                pass

    def _read(self, n):
        b = self.sock.read(n)
        if b is None or len(b) != n:
            raise OSError(-1)  # closed by the broker, or timed out mid-packet
        return b

    def _recv_len(self):
        n = sh = 0
        while sh < 28:
            b = self._read(1)[0]
            n |= (b & 0x7F) << sh
            if not b & 0x80:
                return n
            sh += 7
        raise MQTTException("bad length")

    def _skip(self, n):
        buf = self._skip_buf
        mv = memoryview(buf)
        while n > 0:
            k = self.sock.readinto(mv[:min(n, len(buf))])
            if not k:
                raise OSError(-1)
            n -= k

    def check_msg(self):
        """Handle at most one incoming packet; None at once if nothing is waiting."""
        self.sock.setblocking(False)
        return self.wait_msg()

    def wait_msg(self):
        sock = self.sock
        res = sock.read(1)
        sock.settimeout(self.timeout_s)  # the rest of a packet must follow promptly
        if res is None:
            return None
        if res == b"":
            raise OSError(-1)
        self.last_rx_ms = ticks_ms()
        self.rx_packets += 1
        op = res[0]
        if op == 0xD0:  # PINGRESP
            if self._read(1)[0] != 0:
                raise MQTTException("bad PINGRESP")
            return None
        if op & 0xF0 != 0x30:
            return op  # SUBACK, PUBACK: the caller reads the rest
        sz = self._recv_len()
        b = self._read(2)
        topic_len = b[0] << 8 | b[1]
        sz -= topic_len + 2
        if op & 6:
            sz -= 2
        if topic_len > _TOPIC_MAX or sz < 0:
            raise MQTTException("bad PUBLISH")
        topic = self._read(topic_len)
        pid = 0
        if op & 6:
            b = self._read(2)
            pid = b[0] << 8 | b[1]
        if sz > self.max_payload:
            self._skip(sz)
            msg = None
        else:
            msg = self._read(sz) if sz else b""
        self.retained = bool(op & 1)
        self.cb(topic, msg)
        if op & 6 == 2:
            sock.write(struct.pack("!BBH", 0x40, 2, pid))
        elif op & 6 == 4:
            raise MQTTException("QoS 2 not supported")
        return None


class _Stream:
    """The socket, with a write that raises instead of returning short (a write
    cut by the timeout would otherwise leave half a packet in the stream), and
    timeouts set on the raw socket (MicroPython's SSLSocket has no settimeout)."""

    def __init__(self, s):
        self.s = s    # what reads and writes: the socket, or TLS over it
        self.raw = s  # what times out: TLS reads and writes go through it

    def write(self, buf, n=-1):
        if n < 0:
            n = len(buf)
        if self.s.write(buf, n) != n:
            raise OSError(-1)
        return n

    def read(self, n):
        return self.s.read(n)

    def readinto(self, buf):
        return self.s.readinto(buf)

    def setblocking(self, flag):
        self.raw.setblocking(flag)

    def settimeout(self, t):
        self.raw.settimeout(t)

    def close(self):
        self.s.close()


def _wrap_tls(sock, tls, server):
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if tls.get("certfile"):
        ctx.load_cert_chain(tls["certfile"], tls.get("keyfile"))
    if tls.get("cadata"):
        ctx.load_verify_locations(cadata=tls["cadata"])
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        ctx.verify_mode = ssl.CERT_NONE  # encrypted but unauthenticated: documented as weak
    return ctx.wrap_socket(sock, server_hostname=tls.get("server_hostname", server))
