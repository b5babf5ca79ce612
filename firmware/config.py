# Site configuration, deployed with the firmware. Edit per installation.
PLANT = "plant.demo"        # module with io_names(**PLANT_ARGS) and build(kernel, **PLANT_ARGS)
PLANT_ARGS = {"tanks": 8}
SCAN_PERIOD_MS = 300
