# A NOR-flash block device for vfs.VfsLfs2 under the unix micropython, for
# tests and benchmarks. Extended block-device interface: littlefs erases with
# ioctl(6) and programs with writeblocks(block, buf, offset). Programming ANDs
# bits into the image like real NOR flash (erased = 0xff), so a program over
# unerased data shows up as corruption instead of being silently accepted.
#
# It counts erases and bytes programmed, can record every erase and program
# (the trace), and can cut power: after `cut_at` operations every further
# operation raises PowerCut, and the operation at the cut is applied only in
# part (a program's first `tear_bytes` bytes; an erase not at all).


class PowerCut(Exception):
    pass


_ERASED = b"\xff" * 4096


class FlashDev:
    def __init__(self, blocks=256, block_size=4096, image=None):
        self.block_size = block_size
        self.blocks = blocks
        self.image = image if image is not None else bytearray(b"\xff" * (blocks * block_size))
        self.erases = 0
        self.prog_bytes = 0
        self.reads = 0
        self.ops = 0           # erases + programs so far
        self.cut_at = -1       # op number at which power fails; -1: never
        self.tear_bytes = 0
        self.failing = False   # True: every program and erase fails with EIO (a worn or broken chip)
        self.trace = None      # list: block (int) for an erase, (addr, bytes) for a program

    def counters(self):
        return (self.erases, self.prog_bytes)

    def readblocks(self, block, buf, offset=0):
        a = block * self.block_size + offset
        buf[:] = memoryview(self.image)[a:a + len(buf)]
        self.reads += 1

    def _power_fails(self):
        """Count one operation; True if it is the cut one or later."""
        n = self.ops
        self.ops += 1
        return 0 <= self.cut_at <= n

    def writeblocks(self, block, buf, offset=0):
        if self.failing:
            return -5  # littlefs sees LFS_ERR_IO
        a = block * self.block_size + offset
        if self._power_fails():
            if self.ops - 1 == self.cut_at:
                program(self.image, a, buf, min(self.tear_bytes, len(buf)))
            raise PowerCut()
        program(self.image, a, buf, len(buf))
        self._written(a, len(buf))
        self.prog_bytes += len(buf)
        if self.trace is not None:
            self.trace.append((a, bytes(buf)))

    def ioctl(self, op, arg):
        if op == 4:
            return self.blocks
        if op == 5:
            return self.block_size
        if op == 6:
            if self.failing:
                return -5
            if self._power_fails():
                raise PowerCut()
            erase(self.image, arg * self.block_size, self.block_size)
            self._written(arg * self.block_size, self.block_size)
            self.erases += 1
            if self.trace is not None:
                self.trace.append(arg)
        return 0

    def _written(self, addr, n):
        pass


class FileFlash(FlashDev):
    """A FlashDev whose image is also a host file, written through on every
    operation: killing the process is a power cut at an operation boundary."""

    def __init__(self, path, blocks=256, block_size=4096):
        try:
            with open(path, "rb") as f:
                image = bytearray(f.read())
        except OSError:
            image = bytearray(b"\xff" * (blocks * block_size))
            with open(path, "wb") as f:
                f.write(image)
        super().__init__(len(image) // block_size, block_size, image)
        self._f = open(path, "r+b")

    def _written(self, addr, n):
        self._f.seek(addr)
        self._f.write(memoryview(self.image)[addr:addr + n])


def program(image, addr, data, n):
    if image[addr:addr + n] == _ERASED[:n]:
        image[addr:addr + n] = data[:n]
        return
    for i in range(n):
        image[addr + i] &= data[i]


def erase(image, addr, size):
    image[addr:addr + size] = _ERASED[:size]


def replay(image, op, block_size=4096, tear_bytes=-1):
    """Apply one trace entry to image; tear_bytes >= 0 programs only that many bytes."""
    if isinstance(op, int):
        erase(image, op * block_size, block_size)
    else:
        a, data = op
        program(image, a, data, len(data) if tear_bytes < 0 else tear_bytes)
