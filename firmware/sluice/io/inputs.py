# Field inputs: debounced switches and calibrated, filtered analog sensors.
# read(now_ms) runs once per scan (scan context) and allocates nothing: integer
# math on small ints, ages advanced with ticks_diff and saturated.
from sluice.compat import const
from sluice.io.image import Input, elapsed_ms

_AGE_MAX = const(1 << 24)
SPAN_PRODUCT_MAX = const((1 << 30) - (1 << 16))  # raw span * eng span (+ rounding) stays a small int


class _Aged(Input):
    def __init__(self, name, source):
        super().__init__(name, source)
        self._last_ms = 0
        self._started = False

    def _dt(self, now_ms):
        """ms since the previous read (0 on the first)."""
        return elapsed_ms(self, now_ms)



class Switch(_Aged):
    """A debounced digital input (float switch, run feedback). value is 1 when
    active; active_low for switches that pull the pin to ground. A change is
    accepted once the raw level has differed from value for debounce_ms
    (measured between scans, so at least two samples unless debounce_ms is 0).
    The first read is taken as is."""

    def __init__(self, name, source=None, active_low=False, debounce_ms=50):
        super().__init__(name, source)
        self.invert = 1 if active_low else 0
        self.debounce_ms = debounce_ms
        self._age = -1  # ms the raw level has differed from value; -1: it agrees

    def read(self, now_ms):
        if self.source is None:
            return
        first = not self._started
        d = self._dt(now_ms)
        raw = (1 if self.source.value() else 0) ^ self.invert
        if first:
            self.value = raw
        if raw == self.value:
            self._age = -1
            return
        a = 0 if self._age < 0 else self._age + d
        self._age = _AGE_MAX if a > _AGE_MAX else a
        if a >= self.debounce_ms:
            self.value = raw
            self._age = -1


class Analog(_Aged):
    """An ADC sensor (source.read_u16(): 0..65535) in integer engineering units.

    Two-point calibration: raw_lo -> eng_lo, raw_hi -> eng_hi (e.g. the raw
    readings at empty and full, to 0 and 100 %, or 0 and 2000 litres), rounded
    to the nearest unit; readings outside are clamped. Filter: exponential, weight 1/2**filter_shift per scan
    (0 = none), kept as raw << filter_shift. A raw reading below fault_below or
    above fault_above (a broken wire, a shorted loop) for fault_ms sets fault;
    value then holds the last good reading (0 if none) until the sensor is back in range
    for fault_ms (the filter restarts from there). A source that raises counts
    as out of range. A bad first reading faults at once."""

    def __init__(self, name, source=None, raw_lo=0, raw_hi=65535, eng_lo=0, eng_hi=100,
                 filter_shift=2, fault_below=-1, fault_above=65536, fault_ms=500):
        super().__init__(name, source)
        self.raw_lo, self.raw_hi = raw_lo, raw_hi
        self.eng_lo, self.eng_hi = eng_lo, eng_hi
        self.filter_shift = filter_shift
        self.fault_below, self.fault_above = fault_below, fault_above
        self.fault_ms = fault_ms
        self.raw = 0        # last raw reading
        self.fault_count = 0  # times fault was set
        self._acc = -1      # filter state (raw << filter_shift); -1: restart
        self._bad_age = -1  # ms the reading has been in the other state than fault
        self._span_raw = raw_hi - raw_lo
        self._span_eng = eng_hi - eng_lo
        self._half = self._span_raw // 2  # rounds to the nearest unit

    def to_eng(self, raw):
        if raw <= self.raw_lo:
            return self.eng_lo
        if raw >= self.raw_hi:
            return self.eng_hi
        return self.eng_lo + ((raw - self.raw_lo) * self._span_eng + self._half) // self._span_raw

    # read() and its helpers are split so each frame fits the C stack (host_tests/test_frames.py).
    def read(self, now_ms):
        if self.source is None:
            return
        first = not self._started
        d = self._dt(now_ms)
        raw = self.raw = self._sample()
        bad = raw < self.fault_below or raw > self.fault_above or raw < 0
        if first and bad:  # nothing good known yet: fault at once
            self.fault = True
            self.fault_count += 1
        elif bad != self.fault:
            self._age_fault(bad, d)
        else:
            self._bad_age = -1
        if not bad and not self.fault:
            self._filter(raw)

    def _sample(self):
        try:
            return self.source.read_u16()
        except Exception:  # counts as out of range
            return -1

    def _age_fault(self, bad, d):
        """The reading disagrees with fault: change fault once that lasted fault_ms."""
        a = 0 if self._bad_age < 0 else self._bad_age + d
        self._bad_age = _AGE_MAX if a > _AGE_MAX else a
        if a >= self.fault_ms:
            self._bad_age = -1
            self.fault = bad
            if bad:
                self.fault_count += 1
            else:
                self._acc = -1

    def _filter(self, raw):
        s = self.filter_shift
        acc = self._acc
        if acc < 0:
            acc = raw << s
        else:
            acc += raw - (acc >> s)
        self._acc = acc
        self.value = self.to_eng(acc >> s)
