# A small key-value store on littlefs, designed for flash wear.
#
# Layout under the store's directory (the store owns only these names):
#   b<n>/<key>  one record file per key, in bucket n = crc32(key) % buckets
#   j           the journal: the last batch that changed more than one key
# A record is   0xA5 | seq u32 | value | crc32 u32     (little-endian)
# The journal   0xA6 | seq u32 | n u8 | n * (klen u8, key, vlen u16, value) | crc32
#
# Why: littlefs replaces a small file (up to its inline limit) atomically by
# appending one commit to the metadata log of the file's directory, and
# erases a block only when that log is full and compacts. A commit of a
# record of at most 28 bytes is one 64-byte program (32-byte prog size, mtime
# attribute on); the bucket directories keep each log's live content small, so
# about 60 commits fit before an erase. Appending to a non-inline file costs a
# whole block per flush instead.
#
# Atomicity: a batch of one key is one file replacement, atomic in littlefs. A
# batch of several keys is first written whole to the journal (the commit
# point), then to each key's file with the journal's seq. Loading redoes the
# journal for every key whose file is older than it, so a load returns the
# last batch whose commit point was reached, never part of one.
#
# Calling context: not from an IRQ; commit() does file I/O and allocates.
import os

from sluice.errors import SluiceError

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

_REC = 0xA5
_JRN = 0xA6
KEY_MAX = 32


class StoreError(SluiceError):
    """The store could not read or write its directory; on-flash state is the last good commit."""


def _le(n, size):
    return n.to_bytes(size, "little")


def _u(b, i, size):
    return int.from_bytes(b[i:i + size], "little")


def _sealed(body):
    return body + _le(crc32(body) & 0xFFFFFFFF, 4)


def _unseal(data, magic, min_len):
    """data without its crc if it is intact and of this kind, else None."""
    if len(data) < min_len + 4 or data[0] != magic:
        return None
    body = data[:-4]
    if crc32(body) & 0xFFFFFFFF != _u(data, len(data) - 4, 4):
        return None
    return body


def check_key(key):
    """A key is a file name: 1 to KEY_MAX characters, no '/' or NUL, not '.' or '..'."""
    if (not isinstance(key, str) or not 0 < len(key) <= KEY_MAX or "/" in key or "\0" in key
            or key == "." or key == ".."):
        raise StoreError("bad key %r" % (key,))


class Store:
    """open() it, get() what was saved, put() changes, commit() once per batch.

    path     the store's own directory (created if missing, never formatted)
    fs       a mounted-or-not VFS object (vfs.VfsLfs2) to use instead of the
             global filesystem; path is then relative to its root
    buckets  directories the keys are spread over (each is one littlefs
             metadata pair, two blocks)
    """

    def __init__(self, path, fs=None, buckets=8):
        self.path = path.rstrip("/") if path != "/" else ""
        self.buckets = buckets
        self._fs = fs if fs is not None else os
        self._open = fs.open if fs is not None else open
        self.seq = 0          # seq of the last commit
        self.problems = []    # (what, detail) found while loading or writing; the owner logs and clears
        self.commits = 0      # commits that wrote something, since open
        self._flashed = {}    # key -> value bytes known to be on flash
        self._where = {}      # key -> bucket directory path
        self._staged = {}     # key -> value bytes waiting for commit()

    # --- reading --------------------------------------------------------

    @classmethod
    def open(cls, path, fs=None, buckets=8):
        s = cls(path, fs, buckets)
        s._load()
        return s

    def get(self, key, default=None):
        v = self._staged.get(key)
        return v if v is not None else self._flashed.get(key, default)

    def keys(self):
        return list(self._flashed)

    def _listdir(self, path):
        try:
            return [(e[0], e[1]) for e in self._fs.ilistdir(path or "/")]
        except OSError:
            return None

    def _read(self, path):
        try:
            with self._open(path, "rb") as f:
                return f.read()
        except OSError as e:
            self.problems.append(("unreadable", "%s: %s" % (path, e)))
            return None

    def _load(self):
        if self._listdir(self.path) is None:
            try:
                self._fs.mkdir(self.path)
            except OSError as e:
                raise StoreError("cannot create %s: %s" % (self.path, e))
        kseq = {}
        for name, kind in self._listdir(self.path) or ():
            if kind != 0x4000 or name[:1] != "b" or not name[1:].isdigit():
                continue  # not ours
            d = self.path + "/" + name
            for key, kind2 in self._listdir(d) or ():
                if kind2 != 0x8000:
                    continue
                data = self._read(d + "/" + key)
                if not data:
                    continue  # empty: created, power lost before its first record
                body = _unseal(data, _REC, 5)
                if body is None:
                    self.problems.append(("corrupt record", d + "/" + key))
                    continue
                s = _u(body, 1, 4)
                if key in kseq and kseq[key] >= s:
                    continue
                kseq[key] = s
                self._flashed[key] = bytes(body[5:])
                self._where[key] = d
        self.seq = max(kseq.values()) if kseq else 0
        self._redo_journal(kseq)

    def _redo_journal(self, kseq):
        data = self._read(self.path + "/j") if self._exists(self.path + "/j") else None
        if not data:
            return
        body = _unseal(data, _JRN, 6)
        entries = _parse_journal(body) if body is not None else None
        if entries is None:
            self.problems.append(("corrupt journal", self.path + "/j"))
            return
        s = _u(body, 1, 4)
        if s > self.seq:
            self.seq = s
        redo = [(k, v) for k, v in entries if kseq.get(k, -1) < s]
        for k, v in redo:
            self._flashed[k] = v
        if redo:  # finish the interrupted batch, so the journal may be reused
            try:
                for k, v in redo:
                    self._write_record(k, v, s)
            except OSError as e:
                self.problems.append(("journal redo failed", str(e)))

    def _exists(self, path):
        try:
            self._fs.stat(path)
            return True
        except OSError:
            return False

    # --- writing --------------------------------------------------------

    def put(self, key, value):
        """Stage value (bytes) for key; identical to what is on flash: nothing to do."""
        if key not in self._flashed and key not in self._staged:
            check_key(key)
        if self._flashed.get(key) == value:
            self._staged.pop(key, None)
        else:
            self._staged[key] = bytes(value)

    def pending(self):
        return len(self._staged)

    def commit(self):
        """Write every staged key as one atomic batch. Returns the number of
        keys written (0: nothing changed, no flash operation). Raises
        StoreError if a write fails; the batch then stays staged (retried by
        the next commit) and flash holds the last good commit."""
        staged = self._staged
        if not staged:
            return 0
        seq = self.seq + 1
        items = list(staged.items())
        try:
            if len(items) > 1:
                self._write_journal(items, seq)
            for k, v in items:
                self._write_record(k, v, seq)
                self._flashed[k] = v
                del staged[k]
        except OSError as e:
            if len(items) > 1 and len(staged) < len(items):
                self.seq = seq  # the journal holds the batch: it is committed
            raise StoreError("commit failed: %s" % (e,))
        self.seq = seq
        self.commits += 1
        return len(items)

    def _bucket(self, key):
        d = self._where.get(key)
        if d is None:
            d = self.path + "/b%d" % ((crc32(key.encode()) & 0xFFFFFFFF) % self.buckets)
            if self._listdir(d) is None:
                self._fs.mkdir(d)
            self._where[key] = d
        return d

    def _write_record(self, key, value, seq):
        self._write(self._bucket(key) + "/" + key, _sealed(bytes([_REC]) + _le(seq, 4) + value))

    def _write_journal(self, items, seq):
        if len(items) > 255:
            raise StoreError("batch of %d keys (255 at most)" % len(items))
        parts = [bytes([_JRN]), _le(seq, 4), bytes([len(items)])]
        for k, v in items:
            kb = k.encode()
            parts += [bytes([len(kb)]), kb, _le(len(v), 2), v]
        self._write(self.path + "/j", _sealed(b"".join(parts)))

    def _write(self, path, data):
        with self._open(path, "wb") as f:
            n = f.write(data)
        if n != len(data):
            raise OSError("short write to " + path)


def _parse_journal(body):
    """[(key, value)] from an intact journal body, or None if malformed."""
    n = body[5] if len(body) > 5 else 0
    out = []
    i = 6
    try:
        for _ in range(n):
            kl = body[i]
            key = bytes(body[i + 1:i + 1 + kl]).decode()
            i += 1 + kl
            vl = _u(body, i, 2)
            v = bytes(body[i + 2:i + 2 + vl])
            if len(v) != vl:
                return None
            i += 2 + vl
            check_key(key)
            out.append((key, v))
    except (IndexError, UnicodeError, StoreError):
        return None
    return out if i == len(body) and n > 0 else None
