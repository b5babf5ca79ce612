"""Fetch the micropython-lib packages the firmware uses into build/mplib/.

Their PyPI sdists carry no setup.py, so pip refuses to install them; `pip download
--no-clean` still unpacks them, and we copy the .py files out.  On a real board use
`mpremote mip install umqtt.simple logging` instead (see `make deploy`).
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

PACKAGES = {  # sdist name -> (version, files to keep, relative to the sdist root)
    "micropython-umqtt.simple": ("1.3.4", ["umqtt/simple.py"]),
    "micropython-logging": ("0.5.2", ["logging/__init__.py", "logging/handlers.py"]),
}


def main(dest):
    os.makedirs(dest, exist_ok=True)
    for name, (version, files) in PACKAGES.items():
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, TMPDIR=tmp)
            # pip fails after unpacking ("not a Python project"): that is expected.
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-clean",
                            "-d", os.path.join(tmp, "dl"), "%s==%s" % (name, version)],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for rel in files:
                found = glob.glob(os.path.join(tmp, "**", rel), recursive=True)
                if not found:
                    sys.exit("fetch_mplib: %s==%s: %s not found after download" % (name, version, rel))
                out = os.path.join(dest, rel)
                os.makedirs(os.path.dirname(out) or dest, exist_ok=True)
                shutil.copyfile(found[0], out)
    with open(os.path.join(dest, ".done"), "w") as f:
        f.write("ok\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/mplib")
