# A small key-value store on littlefs, designed for flash wear.
#
# Layout under the store's directory (the store owns only these names):
#   b<n>/<key>  one record file per key, in bucket n = crc32(key) % buckets
#   j           the journal: recent multi-key batches, not yet in record files
# A record      0xA5 | seq u32 | id u16 | value | crc32 u32   (little-endian)
# A placeholder 0xA7 | seq u32 | id u16 | crc32: a key's id, no value yet
# The journal   0xA6 | seq u32 | n * (id u16, vlen varint, value) | crc32
#
# Why: littlefs replaces a small file (up to its inline limit, 128 B with
# MicroPython's settings on ESP32) atomically by appending one commit to the
# metadata log of the file's directory, and erases a block only when that log
# fills and compacts. A record of at most 28 bytes is one 64-byte program
# (32-byte prog size, mtime attribute on); bucket directories keep each log's
# live content small, so about 60 commits fit between erases. Appending to a
# non-inline file costs a whole block per flush instead.
#
# Atomicity: a batch of one key is one record replacement. A batch of several
# keys is one journal replacement (the commit point); the journal also carries
# earlier batches' values whose records were not rewritten since, so record
# files are written only when the journal would outgrow `journal_max` (kept
# inline). A value is the journal's if its record's seq is older than the
# journal's. Loading therefore returns the last batch that reached its commit
# point, never part of one.
#
# Calling context: not from an IRQ; commit() does file I/O and allocates.
import os

from sluice.errors import SluiceError
from sluice.store.records import (HDR, JRN, NEW, REC, crc32, entries_size, from_le, parse_journal, put_varint,
                                  sealed, to_le, unseal)

KEY_MAX = 32


class StoreError(SluiceError):
    """The store could not read or write its directory; on-flash state is the last good commit."""


def check_key(key):
    """A key is a file name: 1 to KEY_MAX characters, no '/' or NUL, not '.' or '..'."""
    if (not isinstance(key, str) or not 0 < len(key) <= KEY_MAX or "/" in key or "\0" in key
            or key == "." or key == ".."):
        raise StoreError("bad key %r" % (key,))


class Store:
    """open() it, get() what was saved, put() changes, commit() once per batch.

    path         the store's own directory (created if missing, never formatted)
    fs           a VFS object (vfs.VfsLfs2) to use instead of the global
                 filesystem; path is then relative to its root
    buckets      directories the record files are spread over (each is one
                 littlefs metadata pair, two blocks)
    journal_max  bytes the journal may grow to before values move to their
                 record files: keep it within littlefs's inline limit
    """

    def __init__(self, path, fs=None, buckets=8, journal_max=120):
        self.path = path.rstrip("/") if path != "/" else ""
        self.buckets = buckets
        self.journal_max = journal_max
        self._fs = fs if fs is not None else os
        self._open = fs.open if fs is not None else open
        self.seq = 0          # seq of the last commit
        self.problems = []    # (what, detail) found while loading or writing; the owner logs and clears
        self.commits = 0      # commits that wrote something, since open
        self._flashed = {}    # key -> value bytes committed (in its record or the journal)
        self._staged = {}     # key -> value bytes waiting for commit()
        self._carry = {}      # key -> value held by the journal, not by its record
        self._id = {}         # key -> id u16 (in its record file)
        self._where = {}      # key -> bucket directory path
        self._dirs = {}       # bucket directory path -> itself
        self._next_id = 0

    # --- reading --------------------------------------------------------

    @classmethod
    def open(cls, path, fs=None, buckets=8, journal_max=120):
        s = cls(path, fs, buckets, journal_max)
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
        by_id = {}
        for name, kind in self._listdir(self.path) or ():
            if kind != 0x4000 or name[:1] != "b" or not name[1:].isdigit():
                continue  # not ours
            d = self._dirs[d] = self.path + "/" + name
            for key, kind2 in self._listdir(d) or ():
                if kind2 != 0x8000:
                    continue
                data = self._read(d + "/" + key)
                if not data:
                    continue  # empty: created, power lost before its first record
                body = unseal(data, REC, HDR) or unseal(data, NEW, HDR)
                i = from_le(body, 5, 2) if body is not None else -1
                if body is None or (i in by_id and by_id[i] != key) or key in self._id:
                    self.problems.append(("corrupt record", d + "/" + key))
                    continue
                by_id[i] = key
                self._id[key] = i
                self._where[key] = d
                if i >= self._next_id:
                    self._next_id = i + 1
                kseq[key] = from_le(body, 1, 4)
                if body[0] == REC:
                    self._flashed[key] = bytes(body[HDR:])
        self.seq = max(kseq.values()) if kseq else 0
        self._load_journal(kseq, by_id)

    def _load_journal(self, kseq, by_id):
        j = self.path + "/j"
        data = self._read(j) if self._exists(j) else None
        if not data:
            return
        body = unseal(data, JRN, 5)
        entries = parse_journal(body) if body is not None else None
        if entries is None:
            self.problems.append(("corrupt journal", j))
            return
        s = from_le(body, 1, 4)
        if s > self.seq:
            self.seq = s
        for i, v in entries:
            if i >= self._next_id:  # never reuse an id the journal still names
                self._next_id = i + 1
            key = by_id.get(i)
            if key is None:
                self.problems.append(("journal names an unknown key", "id %d" % i))
            elif kseq[key] < s:
                self._flashed[key] = v
                self._carry[key] = v

    def _exists(self, path):
        try:
            self._fs.stat(path)
            return True
        except OSError:
            return False

    # --- writing --------------------------------------------------------

    def put(self, key, value):
        """Stage value (bytes) for key; identical to what is committed: nothing to do."""
        if key not in self._id and key not in self._staged:
            check_key(key)
        if self._flashed.get(key) == value:
            self._staged.pop(key, None)
        else:
            self._staged[key] = bytes(value)

    def pending(self):
        return len(self._staged)

    def commit(self):
        """Commit every staged key as one atomic batch. Returns the number of
        keys written (0: nothing changed, no flash operation). Raises
        StoreError if a write fails; the batch then stays staged (retried by
        the next commit) and flash holds the last good commit."""
        staged = self._staged
        if not staged:
            return 0
        seq = self.seq + 1
        try:
            if len(staged) == 1:
                for k, v in staged.items():
                    self._write_record(k, v, seq)
                    self._carry.pop(k, None)
            else:
                self._commit_batch(staged, seq)
        except OSError as e:
            raise StoreError("commit failed: %s" % (e,))
        n = len(staged)
        for k, v in staged.items():
            self._flashed[k] = v
        staged.clear()
        self.seq = seq
        self.commits += 1
        return n

    def _commit_batch(self, staged, seq):
        for k in staged:
            if k not in self._id:  # give it an id the journal can name
                self._write(k, bytes([NEW]) + to_le(self.seq, 4) + to_le(self._new_id(k), 2))
        carry = self._carry
        if 9 + entries_size(staged) + entries_size(carry) > self.journal_max:
            for k in list(carry):  # move earlier batches to their records first
                if k not in staged:
                    self._write_record(k, carry[k], self.seq)
                    del carry[k]
        entries = dict(carry)
        entries.update(staged)
        self._write_journal(entries, seq)
        self.seq = seq  # the commit point: from here on the batch is committed
        self._carry = entries
        if 9 + entries_size(entries) > self.journal_max:  # a batch too big for any journal
            for k, v in staged.items():                     # (e.g. the first save): settle it
                self._write_record(k, v, seq)
            self._carry = {}

    def _new_id(self, key):
        i = self._next_id
        if i > 0xFFFF:
            raise OSError("out of key ids")
        self._next_id = i + 1
        self._id[key] = i
        return i

    def _bucket(self, key):
        d = self._where.get(key)
        if d is None:
            d = self.path + "/b%d" % ((crc32(key.encode()) & 0xFFFFFFFF) % self.buckets)
            if self._listdir(d) is None:
                self._fs.mkdir(d)
            d = self._where[key] = self._dirs.setdefault(d, d)  # one string per bucket
        return d

    def _write_record(self, key, value, seq):
        i = self._id.get(key)
        self._write(key, bytes([REC]) + to_le(seq, 4) + to_le(self._new_id(key) if i is None else i, 2) + value)

    def _write_journal(self, entries, seq):
        out = bytearray([JRN])
        out += to_le(seq, 4)
        for k, v in entries.items():
            out += to_le(self._id[k], 2)
            put_varint(out, len(v))
            out += v
        self._write_file(self.path + "/j", sealed(out))

    def _write(self, key, body):
        self._write_file(self._bucket(key) + "/" + key, sealed(body))

    def _write_file(self, path, data):
        with self._open(path, "wb") as f:
            n = f.write(data)
        if n != len(data):
            raise OSError("short write to " + path)
