# MQTT settings from config.py (MQTT_* names), checked when they load: a bad
# value raises ConfigError at boot, never mid-run. See docs/mqtt.md.
from sluice.errors import ConfigError


class Settings:
    """MQTT settings, checked at load (ConfigError), never mid-run."""

    def __init__(self, host, port=1883, node_id="plc1", base=None, user=None, password=None,
                 tls=None, keepalive_s=30, timeout_ms=100, slice_ms=40, backoff_min_ms=500,
                 backoff_max_ms=30000, republish_s=60, discovery_prefix="homeassistant",
                 max_payload=256):
        _check(isinstance(host, str) and host, "MQTT_HOST must be a host name or address")
        _check(isinstance(node_id, str) and 0 < len(node_id) <= 32 and _topic_safe(node_id),
               "MQTT_NODE_ID: 1-32 chars, none of / + # or space")
        _check(base is None or isinstance(base, str) and base and _topic_safe(base.replace("/", "_")),
               "MQTT_BASE: a topic without wildcards")
        _check((user is None) == (password is None), "MQTT_USER and MQTT_PASSWORD go together")
        _check(tls is None or isinstance(tls, dict), "MQTT_TLS: None or a dict")
        for name, v, lo, hi in (("MQTT_PORT", port, 1, 65535), ("MQTT_KEEPALIVE_S", keepalive_s, 2, 3600),
                                ("MQTT_TIMEOUT_MS", timeout_ms, 10, 2000), ("MQTT_SLICE_MS", slice_ms, 5, 200),
                                ("MQTT_BACKOFF_MIN_MS", backoff_min_ms, 100, 60000),
                                ("MQTT_BACKOFF_MAX_MS", backoff_max_ms, backoff_min_ms, 600000),
                                ("MQTT_REPUBLISH_S", republish_s, 5, 86400),
                                ("MQTT_MAX_PAYLOAD", max_payload, 64, 4096)):
            _check(isinstance(v, int) and lo <= v <= hi, "%s must be an integer %d..%d" % (name, lo, hi))
        self.host, self.port, self.node_id, self.base = host, port, node_id, base
        self.user, self.password, self.tls = user, password, tls
        self.keepalive_s, self.timeout_ms, self.slice_ms = keepalive_s, timeout_ms, slice_ms
        self.backoff_min_ms, self.backoff_max_ms = backoff_min_ms, backoff_max_ms
        self.republish_s, self.discovery_prefix, self.max_payload = republish_s, discovery_prefix, max_payload

    @classmethod
    def from_config(cls, config, broker=None):
        """Settings from MQTT_* names in a config module; None while MQTT_HOST is
        unset. broker: (host, port) that overrides MQTT_HOST/MQTT_PORT (the
        virtual board's --broker)."""
        host = broker[0] if broker else getattr(config, "MQTT_HOST", None)
        if host is None:
            return None
        kw = {"port": broker[1]} if broker else {}
        for key in ("port", "node_id", "base", "user", "password", "tls", "keepalive_s", "timeout_ms",
                    "slice_ms", "backoff_min_ms", "backoff_max_ms", "republish_s", "discovery_prefix",
                    "max_payload"):
            name = "MQTT_" + key.upper()
            if hasattr(config, name) and key not in kw:
                kw[key] = getattr(config, name)
        return cls(host, **kw)


def _check(ok, text):
    if not ok:
        raise ConfigError(text)


def _topic_safe(s):
    for ch in "/+# ":
        if ch in s:
            return False
    return True
