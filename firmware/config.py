# Site configuration, deployed with the firmware. Edit per installation.
PLANT = "plant.demo"        # module with io_names(**PLANT_ARGS) and build(kernel, **PLANT_ARGS)
PLANT_ARGS = {"tanks": 8}
SCAN_PERIOD_MS = 300
STATE_DIR = "/state"        # process state store on the board's littlefs ("" or absent: not saved)
# After a reset the simulated demo plant carries on where it was; a process not
# listed here stays inactive until an operator starts it (docs/persistence.md).
RESTART_POLICY = {"t%d_%s" % (i + 1, p): "resume" for i in range(PLANT_ARGS["tanks"])
                  for p in ("batch", "fill", "dose", "mix", "heat", "sample", "transfer", "rinse")}
# MQTT (docs/mqtt.md): off while MQTT_HOST is None. Checked at boot (ConfigError).
MQTT_HOST = None            # broker address, e.g. "192.168.1.10"
MQTT_PORT = 1883            # 8883 is usual with MQTT_TLS
MQTT_NODE_ID = "plc1"       # topics under sluice/<MQTT_NODE_ID> unless MQTT_BASE is set
MQTT_USER = None            # with MQTT_PASSWORD; keep both out of version control
MQTT_PASSWORD = None
MQTT_TLS = None             # None, or {"cadata": <CA cert, DER bytes>, "server_hostname": "broker.plant"}
MQTT_KEEPALIVE_S = 30
