# Relay outputs: polarity, minimum on/off times, exclusive pairs with a dead
# time, and a feedback input (e.g. motor running) checked against the command.
# Relay keeps the Output contract (cmd, value, safe, inhibit, write, force_safe):
# value and safe are logical (1 = energised); the pin level is value ^ active_low.
#
# Timing uses ages (ms since an event, saturating at _AGE_MAX) advanced by each
# write() with ticks_diff, so a relay idle for days never sees ticks wrap.
from sluice.compat import const, ticks_diff
from sluice.io.image import Output, elapsed_ms
from sluice.kernel.events import EV_FAULT
from sluice.kernel.process import ACTIVE

_AGE_MAX = const(1 << 24)  # ~4.6 h: longer than any configurable time


class Relay(Output):
    """write(now_ms), scan context only. A logic change of cmd waits for
    min_on_ms (before off) or min_off_ms (before on). An interlock (inhibit),
    halt and a feedback fault cut to safe at once. A paired relay energises
    only when its partner has been off for dead_ms; the one already on keeps
    it. `mismatch` is True once feedback has disagreed with value for
    feedback_ms."""

    def __init__(self, name, driver=None, safe=0, active_low=False,
                 min_on_ms=0, min_off_ms=0, feedback=None, feedback_ms=2000):
        super().__init__(name, driver, safe)
        self.active_low = 1 if active_low else 0
        self.min_on_ms = min_on_ms
        self.min_off_ms = min_off_ms
        self.partner = None   # the other Relay of an exclusive pair
        self.dead_ms = 0      # both ways: partner off at least this long before on
        self.feedback = feedback  # Input: 1 while the load really runs
        self.feedback_ms = feedback_ms
        self.mismatch = False
        self.age_ms = 0       # ms since value last changed (boot counts as a change)
        self.held = 0         # 1 while a cmd waits for a min time or dead time
        self._fb_age = -1     # ms feedback has disagreed; -1 while it agrees
        self._last_ms = 0
        self._started = False

    def write(self, now_ms):
        d = elapsed_ms(self, now_ms)
        age = self.age_ms + d
        self.age_ms = _AGE_MAX if age > _AGE_MAX else age
        want = self._wanted()
        self.held = 1 if want != (self.safe if self.inhibit else self.cmd) else 0
        if want != self.value:
            self.value = want
            self.age_ms = 0
            if self.driver is not None:
                self.driver.value(want ^ self.active_low)
        if self.feedback is not None:
            self._check_feedback(d)

    def _wanted(self):
        """The value to write now: cmd (or safe while inhibited), held back
        by the minimum times and the partner's dead time. A separate frame
        keeps write()'s on the C stack (host_tests/test_frames.py)."""
        v = self.value
        if self.inhibit:
            want = self.safe
        else:
            want = self.cmd
            if want != v and self.age_ms < (self.min_on_ms if v else self.min_off_ms):
                return v
        p = self.partner
        if want and not v and p is not None:
            p_age = p.age_ms + (ticks_diff(self._last_ms, p._last_ms) if p._started else 0)
            if p.value or p_age < self.dead_ms:
                return v
        return want

    def _check_feedback(self, d):
        if (1 if self.feedback.value else 0) == self.value:
            self._fb_age = -1
            self.mismatch = False
            return
        a = 0 if self._fb_age < 0 else self._fb_age + d
        self._fb_age = _AGE_MAX if a > _AGE_MAX else a
        if a >= self.feedback_ms:
            self.mismatch = True

    def force_safe(self):
        if self.value != self.safe:
            self.age_ms = 0
        self.cmd = self.value = self.safe
        self.held = 0
        if self.driver is not None:
            self.driver.value(self.safe ^ self.active_low)


def pair(a, b, dead_ms):
    """Make relays a and b exclusive: never both energised, and each waits
    dead_ms after the other went off."""
    a.partner, b.partner = b, a
    a.dead_ms = b.dead_ms = dead_ms


class FeedbackWatch:
    """Kernel.after_scan hook: when a relay's feedback mismatches, cut the
    relay to safe and fault the process that drives it (an ACTIVE process
    listing it in .outputs). Reports once per mismatch episode."""

    def __init__(self, kernel):
        self.kernel = kernel
        self.watched = []  # relays with feedback, built once
        self._owners = []  # for each, the processes that drive it
        for o in kernel.io._out:
            if getattr(o, "feedback", None) is not None:
                self.watched.append(o)
                self._owners.append(tuple(p for p in kernel.processes.values() if o in p.outputs))
        self._reported = [False] * len(self.watched)

    def __call__(self, _k):  # every scan: kept small (see host_tests/test_frames.py)
        i = 0
        for r in self.watched:
            if r.mismatch != self._reported[i]:
                self._report(i)
            i += 1

    def _report(self, i):
        r = self.watched[i]
        self._reported[i] = r.mismatch
        if r.mismatch:
            self._trip(self.kernel, r, self._owners[i])

    @staticmethod
    def _trip(k, r, owners):
        text = "feedback %s: out=%d fb=%d for %d ms" % (
            r.feedback.name, r.value, 1 if r.feedback.value else 0, r.feedback_ms)
        r.force_safe()
        k.rev += 1
        hit = False
        for p in owners:
            if p.state == ACTIVE:
                k.fault(p, text)
                hit = True
        if not hit:  # e.g. a welded contactor while nothing drives it
            k.events.log(EV_FAULT, r.name, "feedback mismatch", text)


def watch_feedback(kernel):
    """Install FeedbackWatch if any relay has feedback; call after the plant is built."""
    w = FeedbackWatch(kernel)
    if w.watched:
        kernel.after_scan.append(w)
    return w
