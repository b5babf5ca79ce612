"""MQTT_TLS: the firmware on micropython against a mosquitto TLS listener with
a test CA made by openssl. The broker is verified: a name mismatch never
connects, and the scan keeps its period meanwhile."""
import json
import shutil
import subprocess
import tempfile
import time

import pytest

from mqtt_rig import Board, Watcher, mqtt_settings, percentile, periods_ms, start_broker, stop_broker

BASE = "sluice/n1"


def _certs(d):
    def run(*args):
        subprocess.run(["openssl"] + list(args), cwd=d, check=True, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=Sluice Test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=localhost")
    with open(d + "/ext.cnf", "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "srv.pem",
        "-days", "2", "-extfile", "ext.cnf")
    run("x509", "-in", "ca.pem", "-outform", "der", "-out", "ca.der")
    return d + "/ca.pem", d + "/srv.pem", d + "/srv.key", open(d + "/ca.der", "rb").read()


@pytest.fixture(scope="module")
def tls_broker():
    if shutil.which("openssl") is None:
        pytest.fail("openssl is not installed: apt-get install openssl (.ci/run does)")
    d = tempfile.mkdtemp(prefix="sluice-tls-")
    ca, cert, key, ca_der = _certs(d)
    b = start_broker(tls=(ca, cert, key))
    b.ca, b.ca_der = ca, ca_der
    yield b
    stop_broker(b)
    shutil.rmtree(d, ignore_errors=True)


def test_verified_tls_link_carries_status_and_commands(tls_broker):
    watch = Watcher(tls_broker, cafile=tls_broker.ca)
    board = Board(mqtt_settings(tls_broker, tls={"cadata": tls_broker.ca_der, "server_hostname": "localhost"},
                                timeout_ms=500))
    try:
        assert watch.wait(lambda t, p: t == BASE + "/availability" and p == b"online", 20)
        m = watch.mark()
        watch.publish(BASE + "/cmd/t1_dose", json.dumps({"cmd": "start", "id": "tls"}))
        rep = watch.wait(lambda t, p: t == BASE + "/reply", 5, m)
        assert rep and json.loads(rep[2]) == {"id": "tls", "ok": True, "error": None, "target": "t1_dose",
                                              "cmd": "start"}
        assert watch.wait(lambda t, p: t == BASE + "/io/t1_dose" and p == b"1", 5, m)
    finally:
        watch.close()
        r = board.finish()
    assert r["connects"] == 1 and r["scan_errors"] == 0


def test_wrong_broker_name_is_refused(tls_broker):
    board = Board(mqtt_settings(tls_broker, tls={"cadata": tls_broker.ca_der, "server_hostname": "plant.example"},
                                timeout_ms=500))
    time.sleep(5)
    r = board.finish()
    assert r["connects"] == 0 and r["failures"] >= 2
    assert "CN" in r["last_error"] or "certificate" in r["last_error"].lower(), r["last_error"]
    periods = periods_ms(r)
    assert 200 <= min(periods) and percentile(periods, 99) <= 400
