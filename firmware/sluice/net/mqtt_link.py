# One MQTT connection kept alive from the network side: connect with a last
# will, reconnect with capped exponential backoff (with jitter), keepalive
# pings, and one place where every network error ends up (drop). Never blocks
# longer than the client's socket timeout per operation.
#
# Calling context: one context at a time (the node's slice), never the scan.
from random import getrandbits

from sluice.compat import ticks_add, ticks_diff, ticks_ms


class Link:
    def __init__(self, client, will_topic, keepalive_s=30, backoff_min_ms=500, backoff_max_ms=30000,
                 on_up=None, on_down=None):
        """client: a sluice.net.mqtt_client.Client. will_topic gets b"offline"
        (retained) from the broker when this node vanishes; on_up(link) runs
        after each connect (it publishes "online" and subscribes), and may
        raise like any network call."""
        self.client = client
        self.will_topic = will_topic
        client.set_last_will(will_topic, b"offline", retain=True)
        self.keepalive_ms = keepalive_s * 1000
        self.backoff_min_ms = backoff_min_ms
        self.backoff_max_ms = backoff_max_ms
        self.on_up = on_up
        self.on_down = on_down
        self.up = False
        self.backoff_ms = backoff_min_ms
        self.next_try_ms = ticks_ms()  # first attempt at once
        self.last_ping_ms = 0
        self.connects = 0   # successful connects
        self.failures = 0   # failed attempts and dropped connections
        self.last_error = ""

    def due(self, now):
        return not self.up and ticks_diff(now, self.next_try_ms) >= 0

    def try_connect(self, now):
        """One connect attempt if the backoff allows; True once connected."""
        if not self.due(now):
            return self.up
        try:
            self.client.connect(clean_session=True)
            self.up = True
            self.last_ping_ms = ticks_ms()
            if self.on_up is not None:
                self.on_up(self)
        except Exception as e:  # OSError, MQTTException, TLS errors: all mean "not now"
            self.drop(e)
            return False
        self.connects += 1
        self.backoff_ms = self.backoff_min_ms
        return True

    def drop(self, why):
        """Close the connection (the broker then sends the last will) and
        schedule the next attempt. Safe to call again and again."""
        was_up = self.up
        self.up = False
        self.failures += 1
        self.last_error = _describe(why)
        self.client.close()
        delay = self.backoff_ms
        self.backoff_ms = min(self.backoff_ms * 2, self.backoff_max_ms)
        delay += getrandbits(16) % (delay // 4 + 1)  # jitter: nodes rebooted together spread out
        self.next_try_ms = ticks_add(ticks_ms(), delay)
        if was_up and self.on_down is not None:
            self.on_down(self)

    def publish(self, topic, msg, retain=False):
        self.client.publish(topic, msg, retain)

    def keepalive(self, now):
        """Ping every half keepalive; drop when the broker stayed silent (no
        PINGRESP nor anything else) for a whole keepalive: it is frozen or gone."""
        c = self.client
        if ticks_diff(now, c.last_rx_ms) > self.keepalive_ms:
            self.drop("keepalive: broker silent")
        elif ticks_diff(now, self.last_ping_ms) >= self.keepalive_ms // 2:
            c.ping()
            self.last_ping_ms = now

    def close(self):
        """Orderly stop: availability offline, DISCONNECT (no last will)."""
        if self.up:
            try:
                self.publish(self.will_topic, b"offline", True)
                self.client.disconnect()
            except Exception:
                pass
        self.client.close()
        self.up = False


def _describe(e):
    if isinstance(e, str):
        return e
    return "%s: %s" % (type(e).__name__, e)
