# What the simulator's host side sees of a running virtual board: one JSON
# object per line on stderr ("@M " meta after each boot, "@T " samples every
# period_ms of simulated time, "@S " the final summary). Runs under
# micropython; reads the controller through sluice.diag's attached app and
# the plant model, never through the serial line, so the REPL stays free.
import json
import sys

_ACTIVE = 1
_BLOCKED = 2


def _controller():
    d = sys.modules.get("sluice.diag")
    return getattr(d, "_app", None) if d is not None else None


def _mark(unseen, state, seen):
    i = len(unseen) - 1
    while i >= 0:
        p = unseen[i]
        if p.state == state:
            seen[p.name] = 1
            unseen.pop(i)
        i -= 1


class Recorder:
    def __init__(self, hw, plant, outputs, period_ms):
        self.hw = hw
        self.plant = plant
        self.outputs = [hw.signals[n] for n in outputs]
        self.period_ms = period_ms
        self.next_ms = 0
        self.app = None
        self.procs = ()
        self.ev_seq = 0
        self.new_events = []
        # tallies over the whole run, by process name (kept across resets)
        self.ran, self.blocked, self.done, self.faults, self.trips = {}, {}, {}, {}, {}
        self.boots = 0
        self.heap_bytes = 0
        self.scan_us_total = 0  # wall time spent in the firmware's scans

    def _emit(self, tag, obj):
        sys.stderr.write(tag + json.dumps(obj) + "\n")

    def attach(self, heap_bytes):
        """After boot.py and main.py: follow the controller they started, if
        any. heap_bytes: what the firmware keeps on the heap after boot."""
        self.boots += 1
        self.heap_bytes = heap_bytes
        app = self.app = _controller()
        meta = {"boots": self.boots, "reset_cause": self.hw.reset_cause, "heap_bytes": heap_bytes,
                "tanks": [t.name for t in self.plant.tanks],
                "outputs": [s.name for s in self.outputs], "procs": [], "steps": []}
        if app is not None:
            k = app.kernel
            self.procs = tuple(k.processes.values())
            self.ev_seq = k.events.seq
            meta["procs"] = [p.name for p in self.procs]
            meta["steps"] = [list(p.steps) for p in self.procs]
            k.after_scan.append(self._tally)
        else:
            self.procs = ()
        # processes not yet seen active / blocked: the per-scan check shrinks to nothing
        self._unseen_active = [p for p in self.procs if p.name not in self.ran]
        self._unseen_blocked = [p for p in self.procs if p.name not in self.blocked]
        self._emit("@M ", meta)

    def _tally(self, k):
        """An after_scan hook: runs in the scan, so it sees every state."""
        self.scan_us_total += self.app.scan_timer.scan_us  # the previous scan's duration
        _mark(self._unseen_active, _ACTIVE, self.ran)
        _mark(self._unseen_blocked, _BLOCKED, self.blocked)
        ev = k.events
        while self.ev_seq < ev.seq:
            e = ev.entry(self.ev_seq)
            self.ev_seq += 1
            if e is None:
                continue
            what = e[3]
            d = self.done if what == "done" else self.faults if what == "fault" else \
                self.trips if what == "interlock tripped" else None
            if d is not None:
                d[e[2]] = d.get(e[2], 0) + 1
            if e[1] != "info" or what != "done":
                self.new_events.append(ev.format(e))
                if len(self.new_events) > 12:
                    self.new_events.pop(0)

    def on_advance(self, now_ms):
        if self.period_ms and now_ms >= self.next_ms:
            self.next_ms = now_ms + self.period_ms
            self._emit("@T ", self.sample(now_ms))

    def sample(self, now_ms):
        s = {"t": now_ms,
             "lv": [t.level_mpct // 1000 for t in self.plant.tanks],
             "tp": [t.temp_mc // 1000 for t in self.plant.tanks],
             "out": "".join("1" if o.value else "0" for o in self.outputs)}
        app = self.app
        if app is not None:
            k = app.kernel
            st = app.scan_timer
            s.update({"scan": k.scan_count, "halted": k.halted,
                      "st": "".join(str(p.state) for p in self.procs),
                      "si": [p.step_index for p in self.procs],
                      "pr": [p.priority for p in self.procs],
                      "by": {p.name: p.blocked_by + " on " + p.blocked_on
                             for p in self.procs if p.state == _BLOCKED and p.blocked_on},
                      "ilk": [i.name for i in k.interlocks if i.tripped],
                      "scan_us": st.scan_us, "overruns": st.overruns,
                      "ev": self.new_events})
            self.new_events = []
        return s

    def summary(self, now_ms, wall_ms):
        app = self.app
        out = {"t": now_ms, "wall_ms": wall_ms, "boots": self.boots, "heap_bytes": self.heap_bytes, "scan_ms_total": self.scan_us_total // 1000,
               "procs": [p.name for p in self.procs], "ran": self.ran, "blocked": self.blocked,
               "done": self.done, "faults": self.faults, "trips": self.trips}
        if app is not None:
            k = app.kernel
            out["scans"] = k.scan_count
            out["overruns"] = app.scan_timer.overruns
            out["scan_us_max"] = app.scan_timer.scan_us_max
            out["batches"] = {p.name: p.batches for p in self.procs if hasattr(p, "batches")}
            out["final"] = {p.name: [p.state, p.step] for p in self.procs}
        self._emit("@S ", out)
