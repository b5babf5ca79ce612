# Runs first at every reset: every output to its safe state before anything else.
import board

board.outputs_safe()

# After a soft reset (mpremote) the watchdog keeps counting while main.py may
# not run: feed it for a bounded maintenance window (sluice/io/watchdog.py).
from sluice.io.watchdog import hold_after_soft_reset  # noqa: E402

hold_after_soft_reset(board)
