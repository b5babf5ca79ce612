# Starts the controller and returns, leaving the REPL free: scans run from a
# timer. At the REPL: status(), show("t1_fill"), events(), start("t1_batch"),
# stop(...), pause(...), resume(...), halt(), resume_all().
from sluice import app as _app, diag

controller = _app.start()
diag.attach(controller)
from sluice.diag import *  # noqa: F401,F403  REPL helpers
