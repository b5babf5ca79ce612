# A board for MQTT tests and benchmarks, run under micropython: the demo plant
# (idle: nothing auto-starts, outputs move only on command), scans driven in real time
# by the kernel's ScanTimer, and the MQTT node attached as on a real board.
# Until the virtual machine.Timer lands, ThreadTimer stands in for it: a
# thread that micropython.schedule()s the scan, as a hardware timer IRQ does.
# The main thread only sleeps, as the REPL does on a board. Ends when the stop
# file appears (or after max_s) and prints one @@RESULT line.
import _thread
import gc
import json
import os
import time
from array import array

from plant import demo
from sluice.compat import ticks_add, ticks_diff, ticks_ms
from sluice.io.image import Input, IoImage, Output
from sluice.kernel.clock import TicksClock
from sluice.kernel.events import EventLog
from sluice.kernel.kernel import Kernel
from sluice.kernel.scan_timer import ScanTimer
from sluice.net.mqtt_node import MqttNode, Settings


class ThreadTimer:
    PERIODIC = 1

    def __init__(self):
        self.running = False

    def init(self, period, mode, callback):
        self.period = period
        self.callback = callback
        self.running = True
        _thread.start_new_thread(self._loop, ())

    def deinit(self):
        self.running = False

    def _loop(self):
        nxt = ticks_add(ticks_ms(), self.period)
        while self.running:
            d = ticks_diff(nxt, ticks_ms())
            if d > 0:
                time.sleep_ms(d)
            self.callback(self)
            nxt = ticks_add(nxt, self.period)


class ScanProbe:
    """Records the ticks at which each scan starts (preallocated: no allocation in the scan)."""

    def __init__(self, kernel, size=4096):
        self.starts = array("i", range(size))
        self.n = 0
        self._scan = kernel.scan
        kernel.scan = self.scan

    def scan(self):
        if self.n < len(self.starts):
            self.starts[self.n] = ticks_ms()
        self.n += 1
        self._scan()


class OutputWatch:
    """Counts output changes scan by scan (after_scan hook)."""

    def __init__(self, kernel):
        self.outs = list(kernel.io.outputs.values())
        self.last = array("b", [o.value for o in self.outs])
        self.changes = 0
        kernel.after_scan.append(self.check)

    def check(self, _k):
        last = self.last
        for i in range(len(self.outs)):
            v = self.outs[i].value
            if v != last[i]:
                last[i] = v
                self.changes += 1


class CommandLag:
    """For each command the kernel applies: scans completed between its
    receipt by the node and its application (0: the first scan after receipt)."""

    def __init__(self, kernel, node):
        self.k = kernel
        self.received = []  # scan_count at receipt of each accepted command, in order
        self.lags = []
        h = node.commands
        self._handle = h.handle
        h.handle = self.handle
        self._apply = kernel._apply
        kernel._apply = self.apply

    def handle(self, topic, msg, retained):
        reply, pending = self._handle(topic, msg, retained)
        if pending is not None and pending.target is not None:
            self.received.append(self.k.scan_count)
        return reply, pending

    def apply(self, p, verb, arg):
        if self.received:
            self.lags.append(self.k.scan_count - self.received.pop(0))
        self._apply(p, verb, arg)


def build(tanks, idle):
    io = IoImage()
    outs, ins = demo.io_names(tanks)
    for n in outs:
        io.add_output(Output(n))
    for n in ins:
        io.add_input(Input(n))
    # A short event ring: it fills within a few reconnects, so memory measured
    # after that shows any growth that is not the ring filling up.
    k = Kernel(io, TicksClock(), events=EventLog(4), period_ms=300)
    demo.build(k, tanks)
    if idle:  # nothing auto-starts: outputs move only on command
        for p in k.processes.values():
            p.auto = False
    return k


def main(opts):
    k = build(opts.get("tanks", 8), opts.get("idle", True))
    probe = ScanProbe(k)
    watch = OutputWatch(k)
    node = MqttNode(k, Settings(**opts["mqtt"])).attach()
    lag = CommandLag(k, node)
    timer = ThreadTimer()
    st = ScanTimer(k, timer)
    wall0_ns = time.time_ns()
    tick0 = ticks_ms()
    st.start(timer.PERIODIC)
    stop_file = opts["stop_file"]
    deadline = ticks_add(tick0, opts.get("max_s", 300) * 1000)
    mem = []       # gc.mem_alloc() after a collect, at each connect, drop or failed attempt
    changes = 0
    while ticks_diff(deadline, ticks_ms()) > 0:
        time.sleep_ms(20)
        if node.link.connects + node.link.failures != changes:
            changes = node.link.connects + node.link.failures
            gc.collect()
            mem.append(gc.mem_alloc())
        try:
            os.stat(stop_file)
            break
        except OSError:
            pass
    timer.deinit()
    time.sleep_ms(350)
    if opts.get("clean_stop", True):
        node.stop()
    gc.collect()
    n = min(probe.n, len(probe.starts))
    starts = [probe.starts[i] for i in range(n)]
    link = node.link
    out = {"starts": starts, "tick0": tick0, "wall0_ms": wall0_ns // 1000000,
           "scans": probe.n, "overruns": st.overruns, "scan_errors": st.scan_errors,
           "mem_at_link_change": mem, "mem_end": gc.mem_alloc(), "connects": link.connects,
           "failures": link.failures, "last_error": link.last_error, "slices": node.slices,
           "slice_us_max": node.slice_us_max, "published": node.published,
           "accepted": node.commands.accepted, "refused": node.commands.refused,
           "output_changes": watch.changes, "cmd_scan_lags": lag.lags, "halted": k.halted, "session": node.session,
           "proc_rev_sum": sum(p.rev for p in k.processes.values()),
           "states": {p.name: [p.state_name, p.priority] for p in k.processes.values()},
           "outputs": {o.name: o.value for o in k.io.outputs.values()}}
    print("@@RESULT " + json.dumps(out))
