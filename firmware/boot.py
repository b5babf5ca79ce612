# Runs first at every reset: every output to its safe state before anything else.
import board

board.outputs_safe()
