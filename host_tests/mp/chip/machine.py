# A stand-in for a real chip's `machine` (ESP32 / RP2040 pins are ints) for
# board-layer tests under the unix port, whose machine has no Pin, ADC, Timer
# or WDT. State is module-level so a test can look at "the board":
#   levels  pin -> level last driven (survives a simulated soft reset)
#   world   pin -> level the outside presents to an input pin
#   raw     pin -> what read_u16() returns on an ADC pin (an int, or an
#           Exception instance to raise)
#   log     every Pin and ADC construction, in order
# value() on an existing pin only stores an int: scans can run heap-locked.
PWRON_RESET = 1
SOFT_RESET = 5
cause = [PWRON_RESET]
levels = {}
world = {}
raw = {}
log = []
timers = []
wdts = []


def reset_cause():
    return cause[0]


class Pin:
    IN = 1
    OUT = 3
    PULL_UP = 1
    PULL_DOWN = 2

    def __init__(self, id, mode=-1, pull=-1, *, value=None):
        self.id = id
        self.mode = mode
        self.pull = pull
        log.append(("Pin", id, mode, pull, value))
        if value is not None:
            levels[id] = value

    def value(self, v=None):
        if v is None:
            if self.mode == Pin.OUT:
                return levels.get(self.id, 0)
            return world.get(self.id, 1 if self.pull == Pin.PULL_UP else 0)
        levels[self.id] = v


class ADC:
    ATTN_11DB = 3

    def __init__(self, pin):
        self.id = pin.id if isinstance(pin, Pin) else pin
        self.attn = None
        log.append(("ADC", self.id))

    def atten(self, a):
        self.attn = a

    def read_u16(self):
        r = raw.get(self.id, 0)
        if isinstance(r, Exception):
            raise r
        return r


class Timer:
    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=-1):
        self.id = id
        self.callback = None
        self.period = 0
        timers.append(self)

    def init(self, period=-1, mode=PERIODIC, callback=None):
        self.period, self.mode, self.callback = period, mode, callback

    def deinit(self):
        self.callback = None

    def fire(self):
        if self.callback is not None:
            self.callback(self)


class WDT:
    def __init__(self, id=0, timeout=5000):
        self.timeout = timeout
        self.feeds = 0
        wdts.append(self)

    def feed(self):
        self.feeds += 1
