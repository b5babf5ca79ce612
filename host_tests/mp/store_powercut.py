# Power-cut check of sluice.store.kv on real littlefs (vfs.VfsLfs2), under micropython.
#
# record() runs a random workload once on a FlashDev that traces every erase
# and program, noting after each acknowledged commit how many operations had
# been done and what the store then held. sweep() rebuilds the flash image at
# every cut point (every operation in turn, and every program torn at 4-byte
# granularity) from that trace, mounts it, loads the store and compares with
# the last acknowledged commit, or the in-flight one if it completed.
import random

import vfs
from flashdev import FlashDev, replay

from sluice.store.kv import Store

BLOCKS = 48
PATH = "/state"


def _value(rng_size):
    n = random.randint(0, rng_size)
    return bytes(random.getrandbits(8) for _ in range(n))


def record(seed, commits, keys=24, buckets=4):
    random.seed(seed)
    dev = FlashDev(BLOCKS)
    vfs.VfsLfs2.mkfs(dev)
    fs = vfs.VfsLfs2(dev)
    st = Store.open(PATH, fs, buckets)
    names = ["k%d" % i for i in range(keys)]
    base = bytes(dev.image)
    dev.trace = []
    acks = []      # (ops done when commit i returned, {key: value} after it)
    state = {}
    multi = 0
    for _ in range(commits):
        r = random.random()
        n = 1 if r < 0.7 else random.randint(2, 6)
        for k in _pick(names, n):
            if random.random() < 0.1 and k in state:
                v = state[k]              # identical: must cost nothing
            else:
                v = _value(300 if random.random() < 0.03 else 20)
            st.put(k, v)
            state[k] = v
        if st.commit() > 1:
            multi += 1
        acks.append((len(dev.trace), dict(state)))
    return base, dev.trace, acks, multi


def _pick(names, n):
    out = []
    while len(out) < n:
        k = names[random.getrandbits(16) % len(names)]
        if k not in out:
            out.append(k)
    return out


def _tears(n, full):
    """Byte counts a program of n bytes is torn at (4-byte granularity): all of
    them (at most 32, spread) when `full`, else one at random."""
    if full:
        step = 4 * max(1, n // 128)
        return range(0, n, step)
    return (random.getrandbits(16) % max(1, n // 4) * 4,)


def _check(img, expect_a, expect_b, stats):
    dev = FlashDev(BLOCKS, image=img)
    try:
        fs = vfs.VfsLfs2(dev)
    except OSError:
        stats["failed_mounts"] += 1
        return
    try:
        st = Store.open(PATH, fs)
    except Exception as e:
        stats["failed_loads"] += 1
        stats["last_error"] = repr(e)
        return
    got = st._flashed
    if got == expect_a:
        stats["as_acked"] += 1
    elif expect_b is not None and got == expect_b:
        stats["as_in_flight"] += 1
    else:
        stats["wrong_loads"] += 1
        return
    # the load may have finished an interrupted batch: a second load must agree
    if Store.open(PATH, vfs.VfsLfs2(dev))._flashed != got:
        stats["unstable_loads"] += 1


def sweep(base, trace, acks, full_tear_every=25):
    """Cut at every operation; tear every program once at random and every
    full_tear_every-th one at each 4-byte offset. Returns counters."""
    stats = {"cut_points": 0, "torn_programs": 0, "failed_mounts": 0, "failed_loads": 0,
             "wrong_loads": 0, "unstable_loads": 0, "as_acked": 0, "as_in_flight": 0}
    img = bytearray(base)
    a = 0  # commits acknowledged with ops[:n] applied
    empty = {}
    for n in range(len(trace) + 1):
        while a < len(acks) and acks[a][0] <= n:
            a += 1
        expect_a = acks[a - 1][1] if a else empty
        expect_b = acks[a][1] if a < len(acks) else None
        stats["cut_points"] += 1
        _check(bytearray(img), expect_a, expect_b, stats)
        if n < len(trace) and not isinstance(trace[n], int):
            for t in _tears(len(trace[n][1]), n % full_tear_every == 0):
                torn = bytearray(img)
                replay(torn, trace[n], tear_bytes=t)
                stats["torn_programs"] += 1
                _check(torn, expect_a, expect_b, stats)
        if n < len(trace):
            replay(img, trace[n])
    return stats
