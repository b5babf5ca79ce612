# An interlock: a condition checked every scan, before any process steps.
# While tripped it holds its outputs at their safe value (Output.inhibit) and
# keeps its processes stopped, whatever priorities or commands say.


class Interlock:
    def __init__(self, name, tripped, outputs=(), stops=()):
        self.name = name
        self.tripped_fn = tripped  # callable() -> truthy when the plant is unsafe
        self.output_names = tuple(outputs)
        self.stop_names = tuple(stops)
        self.outputs = ()    # resolved by the kernel
        self.processes = ()
        self.tripped = False
        self.trip_count = 0

    def evaluate(self):
        """True if tripped. A condition that raises counts as tripped: fail safe."""
        try:
            return bool(self.tripped_fn())
        except Exception:
            return True
