# A named resource with a capacity: a shared pump (1), a power budget (3).
# The counters are scratch space for Kernel._arbitrate, valid after each pass.
from sluice.errors import ConfigError


class Resource:
    def __init__(self, name, capacity=1):
        if not isinstance(capacity, int) or capacity < 1 or capacity > 64:
            raise ConfigError("resource %s: capacity must be 1..64, got %r" % (name, capacity))
        self.name = name
        self.capacity = capacity
        self.bit = 0   # 1 << index, set by the kernel
        self.used = 0  # units held by ACTIVE processes, kept between passes
        self.holders = [None] * capacity  # holders[:granted] are the processes holding a unit
        self.granted = 0   # units granted in this pass
        self.held = 0      # units held by active processes not yet ranked in this pass
        self.reserved = 0  # free units kept for blocked processes ranked above
        self.reserver = None
        self.cand = [None] * capacity  # cand[:ncand]: active preemptible holders, in rank order
        self.ncand = 0

    def free(self):
        """Units still free in the current pass."""
        return self.capacity - self.granted - self.held - self.reserved
