# The kernel: processes, the scan, arbitration, interlocks, commands, events.
