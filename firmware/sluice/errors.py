# Small named exceptions. Messages name the thing that was wrong.


class SluiceError(Exception):
    pass


class CommandError(SluiceError):
    """A command was refused; nothing was changed."""


class ConfigError(SluiceError):
    """A plant, process or board definition is invalid; raised at load, never mid-run."""


class StepTimeout(SluiceError):
    """A wait inside a step ran past its timeout; faults the process."""
