# Board I/O: the process image, relays, inputs, pin wiring and its checks, watchdog.
