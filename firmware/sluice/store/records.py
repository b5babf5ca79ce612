# The store's on-flash formats (see sluice.store.kv for the layout): sealed
# records and journals, little-endian integers, varints. Pure functions on
# bytes, shared with sluice.store.persist.
try:
    from binascii import crc32
except ImportError:  # a port built without it
    def crc32(data, crc=0):
        crc ^= 0xFFFFFFFF
        for b in data:
            crc ^= b
            for _ in range(8):
                crc = (crc >> 1) ^ (0xEDB88320 & -(crc & 1))
        return crc ^ 0xFFFFFFFF

REC = 0xA5
JRN = 0xA6
NEW = 0xA7
HDR = 7  # magic, seq, id


def to_le(n, size):
    return n.to_bytes(size, "little")


def from_le(b, i, size):
    return int.from_bytes(b[i:i + size], "little")


def sealed(body):
    return body + to_le(crc32(body) & 0xFFFFFFFF, 4)


def unseal(data, magic, min_len):
    """data without its crc if it is intact and of this kind, else None."""
    if len(data) < min_len + 4 or data[0] != magic:
        return None
    body = data[:-4]
    if crc32(body) & 0xFFFFFFFF != from_le(data, len(data) - 4, 4):
        return None
    return body


def put_varint(out, n):
    """Append n >= 0 to bytearray out: 7 bits a byte, low bits first."""
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def get_varint(b, i):
    """(n, index after it) from b at i. Raises IndexError if b ends first,
    ValueError past 64 bits."""
    n = shift = 0
    while True:
        c = b[i]
        i += 1
        n |= (c & 0x7F) << shift
        if c < 0x80:
            return n, i
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def entries_size(d):
    n = 0
    for v in d.values():
        n += 3 + len(v) + (len(v) >= 0x80) + (len(v) >= 0x4000)
    return n


def parse_journal(body):
    """[(id, value)] from an intact journal body, or None if malformed."""
    out = []
    i = 5
    try:
        while i < len(body):
            kid = from_le(body, i, 2)
            n, i = get_varint(body, i + 2)
            v = bytes(body[i:i + n])
            if len(v) != n:
                return None
            i += n
            out.append((kid, v))
    except (IndexError, ValueError):
        return None
    return out if out else None
