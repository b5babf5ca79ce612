# Bounded event log: a ring of preallocated slots that drops the oldest entry.
# log() stores references only (process names, constant texts), so logging a
# routine event does not allocate; fault texts are built by the caller.
from sluice.compat import const

EV_INFO = const(0)
EV_WARN = const(1)
EV_FAULT = const(2)
_LEVELS = ("info", "warn", "FAULT")


class EventLog:
    def __init__(self, size=64):
        self.size = size
        self.seq = 0  # total entries ever logged; entry n lives in slot n % size
        self._t = [0] * size
        self._level = [0] * size
        self._who = [""] * size
        self._what = [""] * size
        self._detail = [""] * size
        self.listener = None  # optional callable(seq), e.g. the MQTT publisher's wake-up
        self.t_ms = 0  # the time stamped on new entries: the kernel sets it each scan

    def log(self, level, who, what, detail=""):
        i = self.seq % self.size
        self._t[i] = self.t_ms
        self._level[i] = level
        self._who[i] = who
        self._what[i] = what
        self._detail[i] = detail
        self.seq += 1

    def oldest_seq(self):
        return self.seq - self.size if self.seq > self.size else 0

    def entry(self, seq):
        """(t_ms, level_name, who, what, detail) of entry `seq`, or None once overwritten."""
        if seq < self.oldest_seq() or seq >= self.seq:
            return None
        i = seq % self.size
        return (self._t[i], _LEVELS[self._level[i]], self._who[i], self._what[i], self._detail[i])

    def recent(self, n=20):
        start = max(self.oldest_seq(), self.seq - n)
        return [self.entry(s) for s in range(start, self.seq)]

    @staticmethod
    def format(e):
        t, level, who, what, detail = e
        return "%10d %-5s %-16s %s %s" % (t, level, who, what, detail)
