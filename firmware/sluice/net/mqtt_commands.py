# Validates commands received on .../cmd and .../cmd/<process> and hands the
# good ones to the kernel. Every command gets exactly one reply: at once when
# it is refused here or by Kernel.command, or after the scan that applies it.
# An empty payload gets none: publishing one (retained) is how a retained
# command is deleted, and the broker echoes that deletion to subscribers.
#
# Payloads (at most max_payload bytes, UTF-8):
#   plain text   "start", "priority 500"
#   JSON object  {"cmd": "priority 500", "id": "a1"}  or  {"cmd": "priority", "arg": 500,
#                "id": 7, "session": "<the node's retained .../session>"}
# A retained command, or one whose "session" is not this boot's, is refused:
# after a reboot nothing left on the broker acts again.
#
# Calling context: handle() from the network side (never the scan);
# Pending.done from the scan.
import json

from sluice.errors import CommandError
from sluice.kernel.commands import NODE_VERBS, VERBS
from sluice.net.mqtt_topics import NAME_MAX, reply_json

NODE_CMDS = NODE_VERBS + ("status",)
_FIELDS = ("cmd", "id", "arg", "session")
_ID_MAX = 64


class Pending:
    """A command accepted by the kernel, waiting for the scan's verdict."""

    def __init__(self, cmd_id, target, cmd):
        self.cmd_id = cmd_id
        self.target = target
        self.cmd = cmd
        self.ok = False
        self.error = None
        self.ready = False
        self.done = self._done  # bound once here: the scan only calls it

    def _done(self, ok, error):  # scan context: stores references only
        self.ok = ok
        self.error = error
        self.ready = True

    def reply(self):
        return reply_json(self.cmd_id, self.ok, self.error, self.target, self.cmd)


class Refused(Exception):
    pass


class CommandHandler:
    def __init__(self, kernel, topics, session, status=None, max_payload=256):
        """session: this boot's marker (str). status(): dict for the `status`
        reply. max_payload: the client's limit, for the error text."""
        self.kernel = kernel
        self.topics = topics
        self.session = session
        self.status = status
        self.max_payload = max_payload
        self.accepted = 0
        self.refused = 0

    def handle(self, topic, msg, retained):
        """topic: bytes; msg: bytes, or None when longer than max_payload.
        Returns (reply_json or None, pending or None)."""
        cmd_id = target = cmd = None
        try:
            target = self._target(topic)
            if msg is None:
                raise Refused("payload longer than %d bytes" % self.max_payload)
            if not msg:
                return None, None
            try:
                text = str(msg, "utf-8").strip()
            except UnicodeError:
                raise Refused("payload is not UTF-8")
            arg = None
            if text.startswith("{"):
                cmd_id, cmd, arg, session = self._json(text)
                if session is not None and session != self.session:
                    raise Refused("stale: session %s is not the current %s" % (session, self.session))
            else:
                cmd = text
            if retained:
                raise Refused("retained command ignored")
            verb, arg = self._verb_arg(cmd, arg)
            cmd = verb if arg is None else "%s %d" % (verb, arg)
            p = Pending(cmd_id, target, cmd)
            if target is None:
                extra = self._node(verb, p)
                if extra is not None:
                    self.accepted += 1
                    return reply_json(cmd_id, True, None, None, cmd, extra), None
            else:
                self.kernel.command(target, verb, arg, p.done)
            self.accepted += 1
            return None, p
        except (Refused, CommandError) as e:
            self.refused += 1
            return reply_json(cmd_id, False, str(e), target, cmd), None

    def _target(self, topic):
        prefix = self.topics.cmd
        n = len(prefix)
        if topic == prefix:
            return None
        if topic[:n + 1] != prefix + b"/" or len(topic) == n + 1:
            raise Refused("bad command topic")
        name = topic[n + 1:]
        if len(name) > NAME_MAX * 4 or b"/" in name:
            raise Refused("bad command topic: cmd/<process> or cmd")
        try:
            return str(name, "utf-8")
        except UnicodeError:
            raise Refused("bad command topic: not UTF-8")

    def _json(self, text):
        try:
            d = json.loads(text)
        except ValueError:
            raise Refused("bad JSON")
        if not isinstance(d, dict):
            raise Refused("JSON command must be an object")
        cmd_id = d.get("id")
        if cmd_id is not None and not (isinstance(cmd_id, str) and len(cmd_id) <= _ID_MAX or
                                       isinstance(cmd_id, int) and not isinstance(cmd_id, bool)
                                       and -(1 << 31) <= cmd_id < (1 << 31)):
            raise Refused("id must be a string (max %d chars) or a 32-bit integer" % _ID_MAX)
        for k in d:
            if k not in _FIELDS:
                raise Refused("unknown field %r (allowed: %s)" % (k, ", ".join(_FIELDS)))
        cmd = d.get("cmd")
        if not isinstance(cmd, str):
            raise Refused('"cmd" must be a string')
        session = d.get("session")
        if session is not None and not isinstance(session, str):
            raise Refused('"session" must be a string')
        return cmd_id, cmd, d.get("arg"), session

    def _verb_arg(self, cmd, arg):
        parts = cmd.split()
        if not parts or len(parts) > 2:
            raise Refused("expected '<verb>' or 'priority <n>'")
        verb = parts[0]
        if verb not in VERBS and verb not in NODE_CMDS:
            raise Refused("unknown command %r" % verb[:32])
        if verb != "priority":
            if len(parts) == 2 or arg is not None:
                raise Refused(verb + " takes no argument")
            return verb, None
        if len(parts) == 2:
            if arg is not None:
                raise Refused("argument given twice")
            a = parts[1]
            if not (0 < len(a) <= 4 and a.isdigit()):
                raise Refused("argument must be an integer 0..1000")
            arg = int(a)
        if arg is None:
            raise Refused("priority needs an integer 0..1000")
        if not isinstance(arg, int) or isinstance(arg, bool):
            raise Refused("argument must be an integer 0..1000")
        return verb, arg

    def _node(self, verb, p):
        """Node-wide command: a dict to reply with now, or None (reply from p)."""
        if verb == "status":
            return {"status": self.status() if self.status else {}}
        if verb not in NODE_VERBS:
            raise Refused("not a node command: %s (one of: %s)" % (verb, ", ".join(NODE_CMDS)))
        self.kernel.node_command(verb, p.done)
        return None
