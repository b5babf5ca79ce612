# Operator commands for the kernel: validated at once, applied by the next scan.
# Kernel inherits these methods. Contract: command(), node_command(), halt()
# may be called from any context (REPL, network); a scan may interrupt them
# between any two bytecodes, so they only validate and queue (list.append and
# list.pop are atomic), except halt(), whose writes are safe in any order.
from sluice.compat import const
from sluice.errors import CommandError
from sluice.kernel.events import EV_INFO, EV_WARN
from sluice.kernel.process import FAULTED, INACTIVE, PAUSED, PRIORITY_MAX, PRIORITY_MIN, STATE_NAMES, STOPPED

VERBS = ("start", "stop", "pause", "resume", "reset", "priority")
NODE_VERBS = ("halt", "resume_all")
_QUEUE_MAX = const(16)


def describe(e):
    return "%s: %s" % (type(e).__name__, e)


class Commands:
    def process(self, name):
        p = self.processes.get(name) if isinstance(name, str) else None
        if p is None:
            raise CommandError("unknown process %r" % (name,))
        return p

    def command(self, name, verb, arg=None, done=None):
        """Validate and queue a command for the next scan. Raises CommandError,
        changing nothing, if it is refused. done(ok, error_text), if given, is
        called from the scan that applies it."""
        p = self.process(name)
        if verb not in VERBS:
            raise CommandError("unknown command %r (one of: %s)" % (verb, ", ".join(VERBS)))
        err = self._refusal(p, verb, arg)
        if err:
            raise CommandError(p.name + ": " + err)
        self._enqueue(p, verb, arg, done)

    def node_command(self, verb, done=None):
        if verb == "halt":
            self.halt()
            if done:
                done(True, None)
        elif verb == "resume_all":
            self._enqueue(None, verb, None, done)
        else:
            raise CommandError("unknown node command %r (one of: %s)" % (verb, ", ".join(NODE_VERBS)))

    def halt(self):
        """Every output safe now; every running process paused at the next scan;
        nothing starts again until resume_all."""
        self.halted = True
        self._halt_applied = False
        self.io.all_safe()
        self._log(EV_WARN, "node", "halt")

    def start_now(self, p):
        """Start from inside a scan (Process.run). Raises CommandError if refused."""
        if p.state == INACTIVE and not p._interlocks and not self.halted:
            self._request(p)  # nothing can refuse it: the common case, without _refusal
            return
        err = self._refusal(p, "start", None)
        if err:
            raise CommandError(p.name + ": " + err)
        self._request(p)

    def _enqueue(self, p, verb, arg, done):
        if len(self._queue) >= _QUEUE_MAX:
            raise CommandError("command queue full")
        self._queue.append((p, verb, arg, done))

    def _refusal(self, p, verb, arg):
        """Why `verb` cannot be applied to p now, or None."""
        s = p.state
        if verb == "start" or verb == "resume":
            if verb == "start" and s != INACTIVE:
                return "faulted: reset it first" if s == FAULTED else "already " + STATE_NAMES[s]
            if verb == "resume" and s != PAUSED:
                return "not paused"
            if self.halted:
                return "node halted: resume_all first"
            for ilk in p._interlocks:
                if ilk.tripped:
                    return "interlocked by " + ilk.name
        elif verb == "stop" or verb == "pause":
            if s == INACTIVE or s == FAULTED or (verb == "pause" and s == PAUSED):
                return "not running (" + STATE_NAMES[s] + ")"
        elif verb == "reset":
            if s != FAULTED:
                return "not faulted"
        elif verb == "priority":
            if not isinstance(arg, int) or isinstance(arg, bool) or not PRIORITY_MIN <= arg <= PRIORITY_MAX:
                return "priority must be an integer %d..%d, got %r" % (PRIORITY_MIN, PRIORITY_MAX, arg)
        return None

    def _apply_commands(self):
        q = self._queue
        while q:
            p, verb, arg, done = q.pop(0)
            err = None
            if p is None:  # resume_all
                self.halted = False
                for x in self.procs:
                    if x.state == PAUSED and not self._refusal(x, "resume", None):
                        self._request(x)
                self._log(EV_INFO, "node", "resume_all")
            else:
                err = self._refusal(p, verb, arg)
                if err:
                    self._log(EV_WARN, p.name, "refused " + verb, err)
                else:
                    self._apply(p, verb, arg)
            if done is not None:
                try:
                    done(err is None, err)
                except Exception as e:
                    self._log(EV_WARN, "node", "reply failed", describe(e))

    def _apply(self, p, verb, arg):
        self._log(EV_INFO, p.name, verb)
        if verb == "start":
            p.auto = True
            self._request(p)
        elif verb == "resume":
            self._request(p)
        elif verb == "stop":
            p.auto = False  # an operator stop also takes it out of auto-start
            self._leave(p, INACTIVE, STOPPED)
        elif verb == "pause":
            self._leave(p, PAUSED, 0)
        elif verb == "reset":
            p.fault = ""
            self._leave(p, INACTIVE, p.outcome)
        else:
            p.priority = arg
            self._dirty = True
            self._nsorted = 0  # re-rank at the next scan
            self._touch(p)

