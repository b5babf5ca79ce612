# The virtual board's flash: a littlefs (v2) volume on a host file used as a
# block device, the way ESP32 and RP2040 ports keep their filesystem. Runs
# under micropython. The file holds n_blocks * BLOCK_SIZE bytes; erased
# bytes are 0xff.
import os

import vfs

BLOCK_SIZE = 4096
DEFAULT_BLOCKS = 512  # 2 MiB, like a typical ESP32 data partition


class FileBlockDevice:
    """The extended block protocol littlefs needs (readblocks/writeblocks
    with offsets, ioctl). Writes go straight to the host file."""

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

    def readblocks(self, block, buf, offset=0):
        self.f.seek(block * BLOCK_SIZE + offset)
        self.f.readinto(buf)

    def writeblocks(self, block, buf, offset=None):
        if offset is None:  # whole-block write: erase first
            offset = 0
        self.f.seek(block * BLOCK_SIZE + offset)
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self.n_blocks
        if op == 5:  # block size
            return BLOCK_SIZE
        if op == 6:  # erase block: littlefs rewrites it whole, nothing to do
            return 0
        return 0

    def close(self):
        self.f.close()


def open_volume(path, n_blocks=DEFAULT_BLOCKS, mkfs=False):
    """The littlefs volume in `path`, formatted first if new, corrupt or mkfs."""
    dev = FileBlockDevice(path, n_blocks)
    if not mkfs:
        try:
            return vfs.VfsLfs2(dev), dev
        except OSError:
            pass  # blank or corrupt: format, as the ports do at first boot
    vfs.VfsLfs2.mkfs(dev)
    return vfs.VfsLfs2(dev), dev


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
