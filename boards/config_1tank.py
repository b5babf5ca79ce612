# Site configuration for the real boards (esp32_devkitc.py, pico_w.py):
# deploy as config.py. One batch tank of the demo plant: 9 relays, 2 sensors,
# 2 switches, which the boards' WIRING provides.
PLANT = "plant.demo"
PLANT_ARGS = {"tanks": 1}
SCAN_PERIOD_MS = 300
STATE_DIR = "/state"  # process state survives resets; every process restarts inactive unless
# listed, e.g. RESTART_POLICY = {"t1_batch": "resume"} (docs/persistence.md)
