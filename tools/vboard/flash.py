# The virtual board's flash: a littlefs (v2) volume on a host file used as a
# block device, the way ESP32 and RP2040 ports keep their filesystem. Runs
# under micropython. The file holds n_blocks * BLOCK_SIZE bytes; erased
# bytes are 0xff.
import os

import vfs

BLOCK_SIZE = 4096
DEFAULT_BLOCKS = 512  # 2 MiB, like a typical ESP32 data partition
_GEOMETRY = {"progsize": 256, "readsize": 1024}  # progsize as the ports; big reads: fewer Python calls


class FileBlockDevice:
    """The extended block protocol littlefs needs (readblocks/writeblocks
    with offsets, ioctl), over a RAM copy of the host file: littlefs runs at
    memory speed, and changed blocks are written back to the file by
    flush() (the runner calls it about once a wall second, at every reset
    and at power-off), so the file is what a board's flash would hold."""

    def __init__(self, path, n_blocks=DEFAULT_BLOCKS):
        try:
            size = os.stat(path)[6]
        except OSError:
            size = 0
        if size == 0:
            with open(path, "wb") as f:
                chunk = b"\xff" * BLOCK_SIZE
                for _ in range(n_blocks):
                    f.write(chunk)
            size = n_blocks * BLOCK_SIZE
        self.n_blocks = size // BLOCK_SIZE
        self.f = open(path, "r+b")
        self.mem = bytearray(size)
        self.f.readinto(self.mem)
        self.view = memoryview(self.mem)
        self.dirty = set()

    def readblocks(self, block, buf, offset=0):
        a = block * BLOCK_SIZE + offset
        buf[:] = self.view[a:a + len(buf)]

    def writeblocks(self, block, buf, offset=None):
        a = block * BLOCK_SIZE + (offset or 0)
        n = len(buf)
        self.view[a:a + n] = buf
        for b in range(a // BLOCK_SIZE, (a + n - 1) // BLOCK_SIZE + 1):
            self.dirty.add(b)

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self.n_blocks
        if op == 5:  # block size
            return BLOCK_SIZE
        return 0     # 6, erase: littlefs rewrites a block whole, nothing to do

    def flush(self):
        for b in sorted(self.dirty):
            self.f.seek(b * BLOCK_SIZE)
            self.f.write(self.view[b * BLOCK_SIZE:(b + 1) * BLOCK_SIZE])
        self.dirty = set()

    def close(self):
        self.flush()
        self.f.close()


def open_volume(path, n_blocks=DEFAULT_BLOCKS, mkfs=False):
    """The littlefs volume in `path`, formatted first if new, corrupt or mkfs."""
    dev = FileBlockDevice(path, n_blocks)
    if not mkfs:
        try:
            return vfs.VfsLfs2(dev, **_GEOMETRY), dev
        except OSError:
            pass  # blank or corrupt: format, as the ports do at first boot
    vfs.VfsLfs2.mkfs(dev)
    return vfs.VfsLfs2(dev, **_GEOMETRY), dev


def mount_root(volume):
    """Make the volume the board's "/" (the host filesystem disappears: code
    on the board cannot reach host files, as on a real board)."""
    vfs.umount("/")
    vfs.mount(volume, "/")
    os.chdir("/")


def copy_in(volume, host_root, pairs):
    """Copy host files into the volume before it is mounted as "/".
    pairs: (host path relative to host_root, board path) with board paths
    absolute ("/lib/umqtt/simple.py"); folders are created as needed."""
    vfs.mount(volume, "/flash")
    try:
        for src, dst in pairs:
            parts = dst.strip("/").split("/")
            d = "/flash"
            for p in parts[:-1]:
                d += "/" + p
                try:
                    os.mkdir(d)
                except OSError:
                    pass
            with open(host_root + "/" + src if host_root else src, "rb") as fi:
                data = fi.read()
            with open("/flash/" + "/".join(parts), "wb") as fo:
                fo.write(data)
    finally:
        vfs.umount("/flash")
