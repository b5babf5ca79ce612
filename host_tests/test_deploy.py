"""`make deploy` against a virtual board's pty with the real mpremote and
mpy-cross: a blank board gets the compiled firmware and the micropython-lib
packages (local copy: no internet here), resets, and runs the plant."""
import os
import subprocess
import sys
import time

import pytest

import mpy

sys.path.insert(0, os.path.join(mpy.ROOT, "tools", "vboard"))
sys.path.insert(0, os.path.join(mpy.ROOT, "tools"))
import deploy  # noqa: E402
import host  # noqa: E402

pytestmark = pytest.mark.timeout(240)


def test_deploy_to_a_blank_virtual_board_then_redeploy_only_what_changed(tmp_path):
    with host.VirtualBoard(str(tmp_path / "flash.bin"), mkfs=True, speed=4.0, echo_stderr=False) as b:
        p = subprocess.run([sys.executable, os.path.join(mpy.ROOT, "tools", "deploy.py"), "--port", b.pty,
                            "--board", "virtual", "--deps", "local", "--verify"],
                           capture_output=True, text=True, timeout=180)
        assert p.returncode == 0, p.stdout + p.stderr
        assert "halt: no controller running" in p.stdout
        assert "removed 0 stale" in p.stdout and "running: scan" in p.stdout
        dirs, files = deploy.remote_listing(b.pty)
        assert "/sluice/kernel/kernel.mpy" in files and "/board.mpy" in files
        assert "/lib/umqtt/simple.mpy" in files and "/lib/logging/__init__.mpy" in files
        assert "/main.py" in files and "/boot.py" in files and "/config.py" in files
        assert not any(f.startswith("/sluice/") and f.endswith(".py") for f in files)

        # The plant runs from the deployed files: levels rise, and status
        # answers at the REPL while the scans go on.
        time.sleep(1.0)
        out = deploy.mpremote(b.pty, "exec", "import sys; print(sys.modules['sluice.kernel.kernel'].__file__); "
                                             "print(controller.kernel.scan_count); status(True)")
        lines = out.splitlines()
        assert lines[0].endswith("kernel.mpy")
        scans = int(lines[1])
        assert "t1_fill" in out and "active" in out
        time.sleep(1.0)
        out = deploy.mpremote(b.pty, "exec", "print(controller.kernel.scan_count)")
        assert int(out.strip()) > scans

        # Second deploy: the controller is halted first, nothing to copy but a
        # file removed on the board and a stale source twin to delete.
        deploy.mpremote(b.pty, "fs", "rm", ":/plant/demo.mpy", "+", "fs", "cp",
                        os.path.join(mpy.FIRMWARE, "sluice", "kernel", "events.py"), ":/sluice/kernel/events.py")
        logs = []
        r = deploy.deploy(b.pty, "virtual", deps="local", verify=True, log=logs.append)
        assert "halt: halted: all outputs safe" in logs
        # (in a shared working tree a file edited meanwhile is copied too)
        assert "/plant/demo.mpy" in r["copied"] and len(r["copied"]) <= 5
        assert r["removed"] == ["/sluice/kernel/events.py"]
        assert r["unchanged"] >= 30 and r["scans"] >= 1


def test_plan_copies_changes_and_creates_missing_folders():
    mkdirs, copy, remove = deploy.plan(
        {"/a/b/c.mpy": "1", "/x.py": "2", "/y.mpy": "3"},
        remote_dirs={"/a"}, remote_files={"/x.py": "2", "/y.py": "old", "/a/b/c.py": "9"})
    assert mkdirs == ["/a/b"] and copy == ["/a/b/c.mpy", "/y.mpy"] and remove == ["/a/b/c.py", "/y.py"]
