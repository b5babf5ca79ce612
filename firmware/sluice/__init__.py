# Sluice: a small PLC runtime for MicroPython. Import submodules directly
# (sluice.kernel.kernel, sluice.kernel.process, ...) so unused parts cost no RAM.
VERSION = "0.1.0"
