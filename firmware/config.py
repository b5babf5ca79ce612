# Site configuration, deployed with the firmware. Edit per installation.
PLANT = "plant.demo"        # module with io_names(**PLANT_ARGS) and build(kernel, **PLANT_ARGS)
PLANT_ARGS = {"tanks": 8}
SCAN_PERIOD_MS = 300
STATE_DIR = "/state"        # process state store on the board's littlefs ("" or absent: not saved)
