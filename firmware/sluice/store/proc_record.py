# A process's saved state (see sluice.store.persist): one store key per
# process, named like the process, holding:
#   u8 state | outcome << 3 | auto << 5
#   u16 crc32(step name) & 0xffff   (the step survives reordering; a renamed
#                                     or removed step is detected as missing)
#   varints: priority, start_count, step_ms, state_version
#   varint length + fault text (utf-8, at most FAULT_MAX bytes)
#   one value per name in Process.retain: 0 + zigzag varint (int), or
#   1 + varint length + json (anything else json can carry)
# Typically 11 to 16 bytes, so a one-process commit stays one 64-byte
# littlefs program (see sluice.store.kv).
import json

from sluice.kernel.process import FAULTED
from sluice.store.records import crc32, get_varint, put_varint

FAULT_MAX = 60


def step_hash(name):
    return crc32(name.encode()) & 0xFFFF


def encode(p):
    out = bytearray()
    out.append(p.state | (p.outcome << 3) | (0x20 if p.auto else 0))
    h = step_hash(p.step)
    out.append(h & 0xFF)
    out.append(h >> 8)
    put_varint(out, p.priority)
    put_varint(out, p.start_count)
    put_varint(out, max(0, p.step_elapsed_ms()))
    put_varint(out, p.state_version)
    f = p.fault.encode()[:FAULT_MAX]
    put_varint(out, len(f))
    out += f
    for name in p.retain:
        v = getattr(p, name, None)
        if isinstance(v, int) and not isinstance(v, bool):
            out.append(0)
            put_varint(out, (v << 1) if v >= 0 else ((-v << 1) - 1))
        else:
            t = json.dumps(v).encode()
            out.append(1)
            put_varint(out, len(t))
            out += t
    return bytes(out)


def decode(b):
    """dict of the record's fields. Raises ValueError or IndexError if malformed."""
    r = {"state": b[0] & 7, "outcome": (b[0] >> 3) & 3, "auto": bool(b[0] & 0x20),
         "step_hash": b[1] | (b[2] << 8)}
    if r["state"] > FAULTED:
        raise ValueError("bad state %d" % r["state"])
    i = 3
    for k in ("priority", "start_count", "step_ms", "version", "fault_len"):
        r[k], i = get_varint(b, i)
    r["fault"] = bytes(b[i:i + r["fault_len"]]).decode()
    i += r["fault_len"]
    vals = []
    while i < len(b):
        tag = b[i]
        n, i = get_varint(b, i + 1)
        if tag == 0:
            vals.append((n >> 1) if not n & 1 else -((n + 1) >> 1))
        elif tag == 1:
            vals.append(json.loads(bytes(b[i:i + n])))
            i += n
        else:
            raise ValueError("bad retained tag %d" % tag)
    if i != len(b):
        raise ValueError("truncated record")
    r["retained"] = vals
    return r
