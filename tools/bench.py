"""`make bench`: run every tools/bench_*.py in turn; each prints JSON lines with a "bench" key."""
import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    failed = 0
    for script in sorted(glob.glob(os.path.join(HERE, "bench_*.py"))):
        rc = subprocess.call([sys.executable, script])
        if rc:
            print("bench script failed: %s (rc=%d)" % (os.path.basename(script), rc), file=sys.stderr)
            failed += 1
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
