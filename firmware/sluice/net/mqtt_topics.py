# The MQTT topic contract (docs/mqtt.md) and the payloads published on it.
# Topics are bytes (umqtt.simple writes len() then the object: a str with
# non-ASCII characters would be framed wrong). Everything here allocates and
# runs outside the scan.
import json

from sluice.compat import const

_DEVICE_MODEL = "Sluice MicroPython PLC"
NAME_MAX = const(32)  # longest process or I/O name that can appear in a topic level


class Topics:
    def __init__(self, node_id, base=None, discovery_prefix="homeassistant"):
        self.node_id = node_id
        self.base = base or "sluice/" + node_id
        b = self.base
        self.availability = (b + "/availability").encode()  # online / offline, retained, last will
        self.session = (b + "/session").encode()    # this boot's session marker, retained
        self.reply = (b + "/reply").encode()        # one JSON reply per command
        self.event = (b + "/event").encode()        # event log lines
        self.cmd = (b + "/cmd").encode()            # node-wide commands; cmd/<process> for processes
        self.cmd_filter = (b + "/cmd/#").encode()   # matches .../cmd too
        self.discovery_prefix = discovery_prefix

    def proc_state(self, name):
        return ("%s/proc/%s/state" % (self.base, name)).encode()

    def io(self, name):
        return ("%s/io/%s" % (self.base, name)).encode()

    def proc_cmd(self, name):
        return ("%s/cmd/%s" % (self.base, name)).encode()


def elapsed_s_text(ms):
    """ms -> seconds with one decimal, as JSON number text, without floats."""
    return "%d.%d" % (ms // 1000, ms % 1000 // 100)


def proc_state_json(p):
    """The retained .../proc/<name>/state payload of Process p."""
    return '{"state":"%s","step":%s,"priority":%d,"blocked_by":%s,"blocked_on":%s,' \
           '"step_elapsed_s":%s,"fault":%s,"rev":%d}' % (
               p.state_name, json.dumps(p.step), p.priority, json.dumps(p.blocked_by),
               json.dumps(p.blocked_on), elapsed_s_text(p.step_elapsed_ms()), json.dumps(p.fault), p.rev)


def io_text(value):
    return str(value)


def reply_json(cmd_id, ok, error, target=None, cmd=None, extra=None):
    d = {"id": cmd_id, "ok": ok, "error": error, "target": target, "cmd": cmd}
    if extra:
        d.update(extra)
    return json.dumps(d)


def _device(topics):
    return {"identifiers": ["sluice_" + topics.node_id], "name": "Sluice " + topics.node_id,
            "manufacturer": "Sluice", "model": _DEVICE_MODEL}


def discovery(topics, kind, name):
    """(topic, payload) of the Home Assistant MQTT discovery config of one
    process (kind "proc"), output ("out") or input ("in"); None if disabled."""
    prefix = topics.discovery_prefix
    if not prefix:
        return None
    uid = "sluice_%s_%s" % (topics.node_id, name)
    cfg = {"name": name, "unique_id": uid, "object_id": uid,
           "availability_topic": topics.availability.decode(), "device": _device(topics)}
    if kind == "proc":
        component = "sensor"
        st = topics.proc_state(name).decode()
        cfg["state_topic"] = st
        cfg["value_template"] = "{{ value_json.state }}"
        cfg["json_attributes_topic"] = st
        cfg["icon"] = "mdi:state-machine"
    elif kind == "out":
        component = "binary_sensor"
        cfg["state_topic"] = topics.io(name).decode()
        cfg["payload_on"] = "1"
        cfg["payload_off"] = "0"
    else:
        component = "sensor"
        cfg["state_topic"] = topics.io(name).decode()
    topic = "%s/%s/%s/%s/config" % (prefix, component, "sluice_" + topics.node_id, name)
    return topic.encode(), json.dumps(cfg)
