import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mpy  # noqa: E402


def pytest_report_header(config):
    return "micropython: %s" % mpy.micropython_bin()
