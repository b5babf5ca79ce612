"""MQTT benchmark: the firmware on micropython against a real mosquitto on
loopback (needs the Debian `mosquitto` package). Prints one JSON line:
command-to-output latency as an operator sees it (publish on .../cmd/<p> until
.../io/<output> changes), and the scan period while the broker is frozen
(SIGSTOP) for 10 s."""
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "host_tests"))

import mqtt_rig as R  # noqa: E402

BASE = "sluice/n1"
ROUNDS = 40
FREEZE_S = 10


def main():
    if R.mosquitto_bin() is None:
        print(json.dumps({"bench": "mqtt", "error": "mosquitto not installed (apt-get install mosquitto)"}))
        return 1
    broker = R.start_broker()
    watch = R.Watcher(broker, topics=[BASE + "/availability", BASE + "/io/t1_fill", BASE + "/reply"])
    board = R.Board(R.mqtt_settings(broker, keepalive_s=4), max_s=300)
    lat_ms = []
    reply_ms = []
    try:
        if not R.wait_online(watch):
            raise RuntimeError("board did not come online")
        time.sleep(1.5)
        for i in range(ROUNDS):
            verb, want = ("start", b"1") if i % 2 == 0 else ("stop", b"0")
            m = watch.mark()
            t0 = time.time()
            watch.publish(BASE + "/cmd/t1_fill", json.dumps({"cmd": verb, "id": i}))
            hit = watch.wait(lambda t, p: t == BASE + "/io/t1_fill" and p == want, 5, m)
            rep = watch.wait(lambda t, p: t == BASE + "/reply", 5, m)
            if hit is None or rep is None:
                raise RuntimeError("no output change / reply for round %d" % i)
            lat_ms.append((hit[0] - t0) * 1000)
            reply_ms.append((rep[0] - t0) * 1000)
            time.sleep(0.05 + (i * 37 % 300) / 1000)  # spread the sends over the scan phase
        t_freeze = time.time()
        broker.freeze()
        time.sleep(FREEZE_S)
        broker.thaw()
        t_thaw = time.time()
        m = watch.mark()
        back = watch.wait(lambda t, p: t == BASE + "/availability" and p == b"online", 20, m)
        reconnect_s = round(back[0] - t_thaw, 2) if back else None
        time.sleep(1)
    finally:
        watch.close()
        r = board.finish()
        R.stop_broker(broker)
    frozen = R.periods_ms(r, t_freeze, t_thaw)
    whole = R.periods_ms(r)
    print(json.dumps({
        "bench": "mqtt",
        "cmd_to_output_ms_p50": round(R.percentile(lat_ms, 50)),
        "cmd_to_output_ms_p99": round(R.percentile(lat_ms, 99)),
        "cmd_to_reply_ms_p50": round(R.percentile(reply_ms, 50)),
        "scan_period_ms_p99_broker_frozen": R.percentile(frozen, 99),
        "scan_period_ms_max_broker_frozen": max(frozen),
        "scan_period_ms_p99": R.percentile(whole, 99),
        "reconnect_after_thaw_s": reconnect_s,
        "slice_ms_max": round(r["slice_us_max"] / 1000, 1),
        "commands": ROUNDS, "scans": r["scans"], "scan_errors": r["scan_errors"],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
