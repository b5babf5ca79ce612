# Composes the controller at boot: board I/O, kernel, plant, scan timer.
# Order matters: outputs are already safe (boot.py); nothing here energises one.
from sluice.io import watchdog
from sluice.io.relay import watch_feedback
from sluice.kernel.clock import TicksClock
from sluice.kernel.kernel import Kernel
from sluice.kernel.scan_timer import ScanTimer
from sluice.store import persist


class App:
    def __init__(self, board, config, clock=None):
        self.board = board
        self.config = config
        plant = __import__(config.PLANT, None, None, ("build",))
        args = config.PLANT_ARGS
        outputs, inputs = plant.io_names(**args)
        self.io = board.make_io(outputs, inputs)
        self.kernel = Kernel(self.io, clock or TicksClock(), period_ms=config.SCAN_PERIOD_MS)
        plant.build(self.kernel, **args)
        watch_feedback(self.kernel)  # a relay whose feedback disagrees faults its process
        # Saved process state back before the first scan; restored processes only
        # ask to run (arbitration and outputs happen in scans). None: no store.
        self.persist = persist.start(self.kernel, config, getattr(board, "state_fs", None),
                                     getattr(board, "wall_s", None))
        if getattr(board, "WATCHDOG_MS", 0):
            watchdog.check_timeout(board.WATCHDOG_MS, config.SCAN_PERIOD_MS)
        self.scan_timer = ScanTimer(self.kernel, board.make_timer())
        self.watchdog = None
        self.mqtt = None  # network side: slices after each scan (docs/mqtt.md)
        broker = board.mqtt_broker() if hasattr(board, "mqtt_broker") else None  # (host, port) override
        if broker or getattr(config, "MQTT_HOST", None):
            from sluice.net import mqtt_node  # imported only when configured: no RAM otherwise
            self.mqtt = mqtt_node.start(self.kernel, config, getattr(board, "socket", None), broker)

    def start(self):
        watchdog.release()  # the boot-time maintenance feed ends; good scans feed from now on
        self.watchdog = self.board.make_watchdog()
        if self.watchdog is not None:
            self.scan_timer.on_scan_ok = self.watchdog.feed
        self.scan_timer.start(self.board.TIMER_PERIODIC)
        return self


def start(board=None, config=None):
    if board is None:
        import board
    if config is None:
        import config
    return App(board, config).start()
