# Sluice: a small PLC runtime for MicroPython. Import submodules directly
# (sluice.kernel, sluice.process, ...) so unused parts cost no RAM.
VERSION = "0.1.0"
